"""A household and a run date → the mailing it is due, and why anything is left out."""

from __future__ import annotations

from datetime import date

from pexmail.catalog.load import Catalog
from pexmail.catalog.select import select_letters
from pexmail.model import Household, LetterChoice, Mailing, Suppression


def plan_mailing(household: Household, catalog: Catalog, run_date: date) -> Mailing:
    selection = select_letters(catalog, household.facts, run_date)
    if not selection.letters:
        suppression = Suppression(
            household.key, "no_letter_due", selection.reason or "no letter due"
        )
        return Mailing(household, run_date, (), (suppression,))
    choices = tuple(LetterChoice(letter.id, letter.version) for letter in selection.letters)
    return Mailing(household, run_date, choices)
