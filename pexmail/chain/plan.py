"""A household, a run date and its history → the mailing it is due, and why anything is left out.

The chain rules, applied in this order, each suppression with its reason:

1. ``superseded``: a household is at its most advanced stage, from this run's
   rows or from the letters it was already sent; letters of an earlier stage,
   which another row (or partner) would have triggered alone, do not go;
2. ``exclusive`` / ``superseded_by_letter``: letters that must not go together
   (catalogue ``chain.exclusive``, letters' ``supersedes``): the first kept;
3. ``already_sent``: the same letter for the same act was issued before, in
   another batch (a re-run of the same batch into the same folder carries
   the letters it already issued instead);
4. ``min_interval``: a letter of the same stage went out less than the minimum
   interval ago (catalogue ``chain.min_interval_days``, per letter, per sender,
   or default); a letter for a later stage is news, and goes at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.catalog.select import select_letters
from pexmail.chain.history import History, IssuedLetter, episode_of
from pexmail.model import Household, LetterChoice, Suppression


@dataclass(frozen=True)
class Plan:
    household: Household
    run_date: date
    letters: tuple[LetterChoice, ...]  # to render now, in mailing order
    carried: tuple[IssuedLetter, ...]  # issued by an earlier (interrupted) run of this very batch
    suppressions: tuple[Suppression, ...]
    stage: str  # the stage letters were chosen for


def interval_days(catalog: Catalog, letter: Letter) -> int:
    rules = catalog.document.chain.min_interval_days
    if letter.id in rules.letters:
        return rules.letters[letter.id]
    return rules.senders.get(letter.sender, rules.default)


def plan_mailing(
    household: Household,
    catalog: Catalog,
    run_date: date,
    history: History,
    out_dir: Path | None = None,
) -> Plan:
    key = household.key
    facts = household.facts
    past = list(history.issued(key))
    suppressions: list[Suppression] = []

    # 1. The stage the household has reached, from this run's rows and from its history.
    stage = facts.stage
    stage_source = "this run's rows"
    for letter in past:
        if letter.stage in {s.id for s in catalog.stages} and catalog.stage_rank(
            letter.stage
        ) > catalog.stage_rank(stage):
            stage, stage_source = (
                letter.stage,
                f"the letter {letter.letter_id} sent on {letter.run_date.isoformat()}",
            )
    selection = select_letters(
        catalog, facts if stage == facts.stage else replace(facts, stage=stage), run_date
    )
    chosen = list(selection.letters)
    chosen_ids = {x.id for x in chosen}
    stage_label = catalog.stage(stage).label
    for case in household.cases:
        if case.stage == stage or catalog.stage_rank(case.stage) >= catalog.stage_rank(stage):
            continue
        for letter in select_letters(catalog, replace(facts, stage=case.stage), run_date).letters:
            if letter.id not in chosen_ids:
                suppressions.append(
                    Suppression(
                        key,
                        "superseded",
                        f"stage {case.stage!r} superseded: the household is at stage "
                        f"« {stage_label} » (from {stage_source})",
                        letter.id,
                    )
                )
    if not chosen:
        if not suppressions:
            suppressions.append(
                Suppression(key, "no_letter_due", selection.reason or "no letter due")
            )
        return Plan(household, run_date, (), (), _unique(suppressions), stage)

    # 2. Letters that must not go together.
    kept: list[Letter] = []
    for letter in chosen:
        blocker = next((k for k in kept if letter.id in k.supersedes), None)
        if blocker is not None:
            suppressions.append(
                Suppression(key, "superseded_by_letter", f"{blocker.id} supersedes it", letter.id)
            )
            continue
        group = next(
            (
                g
                for g in catalog.document.chain.exclusive
                if letter.id in g and any(k.id in g for k in kept)
            ),
            None,
        )
        if group is not None:
            first = next(k.id for k in kept if k.id in group)
            suppressions.append(
                Suppression(key, "exclusive", f"not sent with {first} (chain.exclusive)", letter.id)
            )
            continue
        for dropped in [k for k in kept if k.id in letter.supersedes]:
            suppressions.append(
                Suppression(key, "superseded_by_letter", f"{letter.id} supersedes it", dropped.id)
            )
        kept = [k for k in kept if k.id not in letter.supersedes] + [letter]

    # 3-4. History: never twice, and not too soon after an earlier letter.
    episode = episode_of(facts.act_date)
    to_render: list[LetterChoice] = []
    carried: list[IssuedLetter] = []
    for letter in kept:
        same = [p for p in past if p.letter_id == letter.id and p.episode == episode]
        if same:
            previous = same[-1]
            if (
                out_dir is not None
                and previous.out_dir == str(out_dir.resolve())
                and previous.run_date == run_date
            ):
                carried.append(previous)
            else:
                suppressions.append(
                    Suppression(
                        key,
                        "already_sent",
                        f"already sent on {previous.run_date.isoformat()} (version {previous.version})",
                        letter.id,
                    )
                )
            continue
        minimum = interval_days(catalog, letter)
        recent = [
            p
            for p in past
            if p.stage in {s.id for s in catalog.stages}
            and catalog.stage_rank(p.stage) >= catalog.stage_rank(letter.stage)
            and abs((run_date - p.run_date).days) < minimum
            and not (
                out_dir is not None
                and p.out_dir == str(out_dir.resolve())
                and p.run_date == run_date
            )
        ]
        if recent:
            last = recent[-1]
            suppressions.append(
                Suppression(
                    key,
                    "min_interval",
                    f"{last.letter_id} went out on {last.run_date.isoformat()}; at least {minimum} days "
                    "between letters of one stage",
                    letter.id,
                )
            )
            continue
        to_render.append(LetterChoice(letter.id, letter.version))
    return Plan(household, run_date, tuple(to_render), tuple(carried), _unique(suppressions), stage)


def _unique(items: list[Suppression]) -> tuple[Suppression, ...]:
    return tuple(dict.fromkeys(items))
