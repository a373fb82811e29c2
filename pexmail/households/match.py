"""Cases of one block (same postcode, same street number) → households, each decision explained.

Rules, in order, for a case against the members of a household already formed
(or a household the ledger knows from earlier runs):

* ``exact``: same name words (any order) and same street once folded: merged;
* ``fuzzy``: street and names similar at or above the catalogue's thresholds
  (RapidFuzz ``token_set_ratio`` for streets, ``token_sort_ratio`` for names):
  merged, with both scores;
* ``uncertain``: same street but names only close (or one name contained in the
  other, « M. et Mme DUPONT » / « Marie DUPONT »): kept apart and listed for review;
* otherwise a new household.

Never across postcodes or street numbers: rows are only ever compared inside a block.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from pexmail.households.normalize import Identity, identity
from pexmail.model import Case


@dataclass(frozen=True)
class Thresholds:
    name: float = 90.0  # names at least this similar, with the street → same household
    street: float = 90.0
    review: float = 75.0  # names at least this similar, same street → listed for review


@dataclass(frozen=True)
class Decision:
    """Why a case joined a household (or started one)."""

    case: Case
    rule: str  # "first", "exact", "fuzzy", "known"
    name_score: float = 100.0
    street_score: float = 100.0
    matched: Case | None = None  # the member it was compared with


@dataclass(frozen=True)
class ReviewPair:
    """Two cases that may be one household: kept apart, for a person to decide."""

    a: Case
    b: Case | None  # None when the other side is a household known from the ledger
    known_key: str | None
    name_score: float
    street_score: float
    reason: str


@dataclass
class Group:
    key: str
    decisions: list[Decision] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    known: bool = False  # the key comes from the ledger

    @property
    def cases(self) -> list[Case]:
        return [d.case for d in self.decisions]


@dataclass(frozen=True)
class KnownHousehold:
    """A household the ledger has seen before, by one of its identities."""

    key: str
    identity: Identity


def _compare(a: Identity, b: Identity) -> tuple[float, float]:
    street = 100.0 if a.street == b.street else fuzz.token_set_ratio(a.street, b.street)
    names = 100.0 if a.names == b.names else fuzz.token_sort_ratio(a.name_text, b.name_text)
    return names, street


def _contained(a: Identity, b: Identity) -> bool:
    """One side's name words all appear in the other's (a given name missing on one side)."""
    x, y = set(a.names), set(b.names)
    return bool(x and y) and (x <= y or y <= x) and bool(set(a.family) & set(b.family))


def match_block(
    cases: Iterable[Case | tuple[Case, Identity]],
    known: Sequence[KnownHousehold] = (),
    thresholds: Thresholds = Thresholds(),
) -> tuple[list[Group], list[ReviewPair]]:
    """Group the cases of one block into households; return the groups and the pairs to review.

    Cases may come with their identity already worked out (as the staging store gives them)."""
    groups: list[Group] = []
    reviews: list[ReviewPair] = []
    known_groups: dict[str, Group] = {}
    for item in cases:
        case, mine = item if isinstance(item, tuple) else (item, identity(item))
        best: tuple[float, float, Group, Case | None, str] | None = None
        candidates: list[tuple[Group, Identity, Case | None]] = [
            (group, member_identity, decision.case)
            for group in groups
            for member_identity, decision in zip(group.identities, group.decisions, strict=True)
        ]
        for household in known:
            group = known_groups.get(household.key) or Group(household.key, known=True)
            candidates.append((group, household.identity, None))
        uncertain: list[ReviewPair] = []
        for group, other, other_case in candidates:
            if other.block != mine.block:  # never across postcodes or street numbers
                continue
            names, street = _compare(mine, other)
            exact = mine.names == other.names and mine.street == other.street
            if exact or (names >= thresholds.name and street >= thresholds.street):
                rule = "exact" if exact else "fuzzy"
                if other_case is None:
                    rule = "known" if exact else "known-fuzzy"
                if best is None or (names + street) > (best[0] + best[1]):
                    best = (names, street, group, other_case, rule)
            elif street >= thresholds.street and (
                names >= thresholds.review or _contained(mine, other)
            ):
                reason = (
                    "one name contains the other (a given name or a spouse missing?)"
                    if _contained(mine, other)
                    else "same address, names close but not the same"
                )
                uncertain.append(
                    ReviewPair(
                        case, other_case, None if other_case else group.key, names, street, reason
                    )
                )
        if best is None:
            group = Group(mine.key())
            group.decisions.append(Decision(case, "first"))
            group.identities.append(mine)
            groups.append(group)
            reviews.extend(uncertain)
            continue
        names, street, group, other_case, rule = best
        if group.known and group.key not in known_groups:
            known_groups[group.key] = group
            groups.append(group)
        group.decisions.append(Decision(case, rule, names, street, other_case))
        group.identities.append(mine)
        # A pair is only worth a review if the case did not end up with that household.
        reviews.extend(
            r
            for r in uncertain
            if not ((r.b is not None and r.b in group.cases) or r.known_key == group.key)
        )
    for group in groups:
        if not group.known:
            # The key of a new household depends on its members, not on the order files were given.
            group.key = min(group.identities, key=lambda i: (i.name_text, i.street)).key()
    return groups, reviews
