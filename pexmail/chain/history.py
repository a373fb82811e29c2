"""What a household has already been sent: the planner reads it, the ledger keeps it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True, slots=True)
class IssuedLetter:
    household_key: str
    letter_id: str
    version: str
    sender: str
    stage: str
    episode: str  # the act the letter answered (its date), "" when unknown
    run_date: date
    out_dir: str
    path: str
    sha256: str


def episode_of(act_date: date | None) -> str:
    """Letters answer an act: a new act (a new commandement, a new summons) is a new episode."""
    return act_date.isoformat() if act_date else ""


class History(Protocol):
    def issued(self, household_key: str) -> Sequence[IssuedLetter]:
        """Every letter issued to the household, oldest first."""


class MemoryHistory:
    """A history held in memory: for tests and for runs without a ledger."""

    def __init__(self, letters: Sequence[IssuedLetter] = ()) -> None:
        # By household: a run without a ledger looks up every household once.
        self.by_household: dict[str, list[IssuedLetter]] = {}
        for letter in letters:
            self.add(letter)

    @property
    def letters(self) -> list[IssuedLetter]:
        return [x for letters in self.by_household.values() for x in letters]

    def issued(self, household_key: str) -> Sequence[IssuedLetter]:
        return list(self.by_household.get(household_key, ()))

    def add(self, letter: IssuedLetter) -> None:
        self.by_household.setdefault(letter.household_key, []).append(letter)
