"""Which letters of the catalogue apply to a household's facts at a date.

Conditions are compared as data; a condition that needs a fact the household
lacks (no debt, unknown landlord type) does not hold, and the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Conditions, Letter
from pexmail.model import Case


@dataclass(frozen=True)
class Selection:
    letters: tuple[Letter, ...]
    reason: str | None  # why nothing applies, when letters is empty


def unmet(conditions: Conditions, facts: Case) -> str | None:
    """The first condition ``facts`` fail, in words, or None when all hold."""
    if conditions.territories is not None and facts.territory_id not in conditions.territories:
        return f"territory {facts.territory_id!r} not in {conditions.territories}"
    if conditions.landlord_types is not None:
        if facts.landlord_type is None:
            return "landlord type unknown"
        if facts.landlord_type not in conditions.landlord_types:
            return f"landlord type {facts.landlord_type!r} not in {conditions.landlord_types}"
    if conditions.debt is not None:
        if facts.debt is None:
            return "debt unknown"
        if not conditions.debt.contains(facts.debt):
            return "debt outside the letter's band"
    if conditions.recommended_by is not None:
        if not facts.recommendations:
            return "no recommendation ticked for the household"
        if facts.recommended_by not in conditions.recommended_by:
            return f"recommendations not made by {conditions.recommended_by}"
    if conditions.caf_recipient is not None:
        if facts.caf_recipient is None:
            return "CAF recipient status unknown"
        if facts.caf_recipient != conditions.caf_recipient:
            return "CAF recipient status differs"
    return None


def select_letters(catalog: Catalog, facts: Case, on: date, kind: str = "letter") -> Selection:
    """Letters in force at ``on`` for the household's stage whose conditions all hold."""
    at_stage = [
        letter
        for letter in catalog.letters_in_force(on)
        if letter.kind == kind and facts.stage in letter.due_stages
    ]
    if not at_stage:
        return Selection(
            (),
            f"no {kind} in force on {on.isoformat()} for stage {facts.stage!r}",
        )
    matched = [letter for letter in at_stage if unmet(letter.conditions, facts) is None]
    if matched:
        return Selection(tuple(matched), None)
    reasons = sorted({unmet(letter.conditions, facts) or "" for letter in at_stage})
    return Selection(
        (),
        f"no {kind} for stage {facts.stage!r} matches: " + "; ".join(reasons),
    )
