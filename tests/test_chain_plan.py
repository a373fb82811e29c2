"""The chain rules, with an in-memory history."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pexmail.catalog import load_catalog
from pexmail.chain import IssuedLetter, MemoryHistory, plan_mailing
from pexmail.model import Address, Case, Household, Location

from .conftest import ROOT

RUN = date(2026, 11, 23)
ACT = date(2026, 10, 5)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "catalog.yaml")


def household(*stages: str, debt: str = "5000", landlord: str = "private") -> Household:
    cases = tuple(
        Case(
            location=Location("f.csv", i + 2),
            source_id="drihl-exploc-cdp",
            case_id=f"C{i}",
            family_name="DUPONT",
            given_name="Marie",
            address=Address("12 bd de Belleville", "75020", "Paris"),
            territory_id="paris",
            stage=stage,
            landlord_type=landlord,
            debt=Decimal(debt),
            act_date=ACT,
        )
        for i, stage in enumerate(stages)
    )
    from pexmail.households import merge_household

    return merge_household("h-1", list(cases), load_catalog(ROOT / "catalog.yaml"))


def sent(
    letter_id: str,
    stage: str,
    days_ago: int,
    episode: str = ACT.isoformat(),
    out: str = "/elsewhere",
) -> IssuedLetter:
    return IssuedLetter(
        "h-1",
        letter_id,
        "1.0",
        "drihl",
        stage,
        episode,
        RUN - timedelta(days=days_ago),
        out,
        "x.pdf",
        "0",
    )


def test_due_letter_without_history(catalog):
    plan = plan_mailing(household("cdp"), catalog, RUN, MemoryHistory())
    assert [c.letter_id for c in plan.letters] == ["drihl-cdp-private-adil"]
    assert plan.suppressions == ()


def test_a_later_stage_in_the_rows_supersedes_the_earlier_letters(catalog):
    plan = plan_mailing(household("cdp", "assignation"), catalog, RUN, MemoryHistory())
    assert plan.stage == "assignation"
    assert [(s.code, s.letter_id) for s in plan.suppressions] == [
        ("superseded", "drihl-cdp-private-adil")
    ]
    assert (
        "superseded" in plan.suppressions[0].reason and "Assignation" in plan.suppressions[0].reason
    )


def test_a_later_stage_in_the_history_supersedes_too(catalog):
    history = MemoryHistory([sent("some-assignation-letter", "assignation", 40)])
    plan = plan_mailing(household("cdp"), catalog, RUN, history)
    # The stage's own letter may go; the CDP letter may not.
    assert [c.letter_id for c in plan.letters] == ["drihl-assignation"]
    assert plan.suppressions[0].code == "superseded"
    assert "some-assignation-letter" in plan.suppressions[0].reason


def test_never_twice_for_the_same_act(catalog):
    history = MemoryHistory([sent("drihl-cdp-private-adil", "cdp", 60)])
    plan = plan_mailing(household("cdp"), catalog, RUN, history)
    assert plan.letters == () and plan.suppressions[0].code == "already_sent"


def test_a_new_act_is_a_new_episode(catalog):
    history = MemoryHistory([sent("drihl-cdp-private-adil", "cdp", 400, episode="2025-09-01")])
    plan = plan_mailing(household("cdp"), catalog, RUN, history)
    assert [c.letter_id for c in plan.letters] == ["drihl-cdp-private-adil"]


def test_minimum_interval_holds_back_a_letter_of_the_same_stage(catalog):
    history = MemoryHistory([sent("drihl-cdp-social", "cdp", 10, episode="2026-09-01")])
    plan = plan_mailing(household("cdp"), catalog, RUN, history)
    assert plan.letters == ()
    (suppression,) = plan.suppressions
    assert suppression.code == "min_interval" and "21 days" in suppression.reason


def test_minimum_interval_is_per_sender_and_letter(catalog, catalog_copy):
    text = catalog_copy.read_text(encoding="utf-8")
    catalog_copy.write_text(
        text.replace(
            "  min_interval_days:\n    default: 21\n",
            "  min_interval_days:\n    default: 21\n    senders:\n      drihl: 5\n",
            1,
        ),
        encoding="utf-8",
    )
    relaxed = load_catalog(catalog_copy)
    history = MemoryHistory([sent("drihl-cdp-social", "cdp", 10, episode="2026-09-01")])
    assert [c.letter_id for c in plan_mailing(household("cdp"), relaxed, RUN, history).letters] == [
        "drihl-cdp-private-adil"
    ]


def test_a_letter_for_a_later_stage_is_news_and_goes_despite_the_interval(catalog):
    history = MemoryHistory([sent("some-impaye-letter", "signalement", 3)])
    plan = plan_mailing(household("cdp"), catalog, RUN, history)
    assert [c.letter_id for c in plan.letters] == ["drihl-cdp-private-adil"]


def test_rerun_of_the_same_batch_carries_instead_of_resending(catalog, tmp_path):
    out = tmp_path / "out"
    history = MemoryHistory([sent("drihl-cdp-private-adil", "cdp", 0, out=str(out.resolve()))])
    plan = plan_mailing(household("cdp"), catalog, RUN, history, out_dir=out)
    assert plan.letters == () and [c.letter_id for c in plan.carried] == ["drihl-cdp-private-adil"]
    assert plan.suppressions == ()


SECOND_SENDER = """
  clil-test:
    name: Commission locale d'impayés de loyers (test)
    short_name: CLIL
    layout: state
    offices:
      paris:
        unit: CLIL de test
"""
SECOND_LETTER = """
  - id: clil-test-letter
    title: Test letter from a second sender
    sender: clil-test
    stage: cdp
    conditions:
      territories: [paris]
      landlord_types: [private]
    templates:
      html: letters/drihl/cdp-private-under-3000.html.j2
    version: "1.0"
    valid_from: 2026-01-01
    legal_basis:
      - text: test only
    contacts: [caf]
{extra}"""


def with_second_sender(catalog_copy: Path, extra: str = "", chain: str = "") -> Path:
    """A catalogue copy where a second sender writes to the same households as the DRIHL."""
    text = catalog_copy.read_text(encoding="utf-8")
    text = text.replace("\nqr:\n", SECOND_SENDER + "\nqr:\n", 1)
    if chain:  # a group added to the catalogue's own exclusive groups
        text = text.replace("\nchain:\n  exclusive:\n", f"\nchain:\n  exclusive:\n{chain}", 1)
    catalog_copy.write_text(text + SECOND_LETTER.format(extra=extra), encoding="utf-8")
    return catalog_copy


def test_two_senders_both_due(catalog_copy):
    catalog = load_catalog(with_second_sender(catalog_copy))
    plan = plan_mailing(household("cdp"), catalog, RUN, MemoryHistory())
    assert [c.letter_id for c in plan.letters] == ["drihl-cdp-private-adil", "clil-test-letter"]


def test_a_letter_may_supersede_another(catalog_copy):
    catalog = load_catalog(
        with_second_sender(catalog_copy, extra="    supersedes: [drihl-cdp-private-adil]\n")
    )
    plan = plan_mailing(household("cdp"), catalog, RUN, MemoryHistory())
    assert [c.letter_id for c in plan.letters] == ["clil-test-letter"]
    assert [(s.code, s.letter_id) for s in plan.suppressions] == [
        ("superseded_by_letter", "drihl-cdp-private-adil")
    ]


def test_letters_that_must_not_go_together(catalog_copy):
    chain = "    - [drihl-cdp-private-adil, clil-test-letter]\n"
    catalog = load_catalog(with_second_sender(catalog_copy, chain=chain))
    plan = plan_mailing(household("cdp"), catalog, RUN, MemoryHistory())
    assert [c.letter_id for c in plan.letters] == ["drihl-cdp-private-adil"]
    assert (
        plan.suppressions[0].code == "exclusive"
        and "drihl-cdp-private-adil" in plan.suppressions[0].reason
    )
