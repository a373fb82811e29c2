"""Household matching across partners' files: variants merge, near-misses do not, decisions explained."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pexmail.households.match import KnownHousehold, Thresholds, match_block
from pexmail.households.normalize import identity, split_street
from pexmail.model import Address, Case, Location


def case(
    row: int,
    family: str,
    given: str,
    street: str,
    postcode: str = "75020",
    civility: str | None = "Mme",
    **kw,
) -> Case:
    return Case(
        location=Location(kw.pop("file", "a.csv"), row),
        source_id="src",
        case_id=f"C{row}",
        family_name=family,
        given_name=given,
        civility=civility,
        address=Address(street, postcode, kw.pop("commune", "Paris")),
        territory_id="paris",
        stage="cdp",
        **kw,
    )


def groups_of(*cases: Case, known=()) -> tuple[list[list[int]], list]:
    groups, reviews = match_block(list(cases), known, Thresholds())
    return [[c.location.row for c in g.cases] for g in groups], reviews


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            ("DUPONT-MARTIN", "Marie", "12 bd de Belleville"),
            ("Dupont Martin", "Marie", "12 boulevard de Belleville, Bât. B"),
        ),
        (
            ("DUPONT-MARTIN Marie", "", "12, bd de Belleville"),
            ("Marie", "DUPONT MARTIN", "12 BOULEVARD DE BELLEVILLE  "),
        ),
        (
            ("N'DIAYE", "Ousmane", "94 avenue d'Italie"),
            ("NDIAYE", "Ousmane", "94 av. d'Italie Appt 7"),
        ),
        (("TRAORÉ", "Aïcha", "3 rue des Pyrénées"), ("Traore", "Aicha", "3 R DES PYRENEES")),
        (
            ("DUPOND", "Marie-Claire", "12 rue Lecourbe"),
            ("DUPONT", "Marie-Claire", "12 rue Lecourbe"),
        ),
        (
            ("LEFÈVRE", "Jean-Baptiste", "7 pl. de la République"),
            ("LEFEVRE", "Jean Baptiste", "7 place de la République, esc. 2"),
        ),
    ],
    ids=["bd-batiment", "name-order", "apostrophe-appt", "accents-abbrev", "typo", "hyphen-place"],
)
def test_realistic_variants_merge_and_say_why(a, b):
    first, second = case(2, *a), case(3, *b, file="b.csv")
    groups, reviews = groups_of(first, second)
    assert groups == [[2, 3]]
    (group,) = match_block([first, second])[0]
    decision = group.decisions[1]
    assert decision.rule in {"exact", "fuzzy"} and decision.matched is first
    assert decision.name_score >= 90 and decision.street_score >= 90
    assert reviews == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            case(2, "DUPONT", "Marie", "12 bd de Belleville"),
            case(3, "DUPONT", "Marie", "12 bd de Belleville", postcode="75019"),
        ),
        (
            case(2, "DUPONT", "Marie", "12 bd de Belleville"),
            case(3, "DUPONT", "Marie", "14 bd de Belleville"),
        ),
        (
            case(2, "DUPONT", "Marie", "12 bd de Belleville"),
            case(3, "DURAND", "Marie", "12 bd de Belleville"),
        ),
        (
            case(2, "DUPONT", "Marie", "12 rue de Paris"),
            case(3, "DUPONT", "Marie", "12 avenue Jean Jaurès"),
        ),
        (
            case(2, "MARTIN", "Paul", "5 rue Lecourbe"),
            case(3, "MARTIN", "Pauline", "5 rue Lecourbe"),
        ),
    ],
    ids=["other-postcode", "other-number", "other-family", "other-street", "other-given-name"],
)
def test_near_misses_stay_apart(a, b):
    groups, _ = groups_of(a, b)
    assert groups == [[2], [3]]


def test_uncertain_pairs_are_listed_for_review_not_merged():
    couple = case(2, "BENALI", "", "8 rue de Paris", civility="M. et Mme")
    karim = case(3, "BENALI", "Karim", "8 rue de Paris", civility="M.")
    groups, reviews = groups_of(couple, karim)
    assert groups == [[2], [3]]
    (pair,) = reviews
    assert (pair.a, pair.b) == (karim, couple)
    assert "contains" in pair.reason


def test_known_households_from_the_ledger_keep_their_key():
    earlier = case(2, "DUPONT-MARTIN", "Marie", "12 bd de Belleville")
    known = [KnownHousehold("h-000000000abc", identity(earlier))]
    later = case(9, "Dupont Martin", "Marie", "12 boulevard de Belleville")
    groups, _ = match_block([later], known)
    assert [g.key for g in groups] == ["h-000000000abc"] and groups[0].known
    assert groups[0].decisions[0].rule == "known"


def test_keys_do_not_depend_on_the_order_rows_come_in():
    a = case(2, "DUPONT", "Marie", "12 bd de Belleville")
    b = case(3, "Dupont", "Marie", "12 boulevard de Belleville")
    assert match_block([a, b])[0][0].key == match_block([b, a])[0][0].key


def test_street_complements_are_left_out_but_real_street_names_kept():
    assert split_street("12, bd de Belleville, Bât. B") == ("12", "boulevard de belleville")
    assert split_street("12 BIS rue de la Porte Jaune") == ("12bis", "rue de la porte jaune")
    assert split_street("5 allée des Tilleuls esc. 2 étage 3") == ("5", "allee des tilleuls")


def test_a_case_may_join_a_household_through_any_member():
    a = case(2, "DUPONT", "Marie", "12 bd de Belleville")
    b = replace(case(3, "DUPONT MARTIN", "Marie", "12 bd de Belleville"), given_name="Marie")
    groups, _ = groups_of(a, b)
    assert groups in ([[2], [3]], [[2, 3]])  # contained names: either merged by score or reviewed
