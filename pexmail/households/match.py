"""Cases → groups of cases that describe the same household.

Two cases are one household when their normalised names, street and postcode
are equal. (Fuzzy matching with explained decisions replaces this in the
coordination work.)
"""

from __future__ import annotations

from collections.abc import Iterable

from pexmail.households.normalize import household_key
from pexmail.model import Case


def group_cases(cases: Iterable[Case]) -> dict[str, list[Case]]:
    """Groups keyed by household key, in the order households first appear."""
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(household_key(case), []).append(case)
    return groups
