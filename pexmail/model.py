"""The records that move between the pipeline's steps.

CSV rows → :class:`Case` or :class:`Rejection` → :class:`Household` →
:class:`Mailing` (+ :class:`Suppression`) → :class:`Document`.

Plain frozen dataclasses: no I/O, no third-party types, no other pexmail module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from operator import attrgetter


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value came from: file, spreadsheet row (header = row 1), column."""

    file: str
    row: int | None = None
    column: str | None = None

    def __reduce__(self) -> tuple:
        return Location, (self.file, self.row, self.column)

    def __str__(self) -> str:
        text = self.file
        if self.row is not None:
            text += f":{self.row}"
        if self.column:
            text += f": column {self.column!r}"
        return text


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address, split as NF Z 10-011 lines 2 to 6 expect it."""

    street: str  # line 4: number and street name
    postcode: str
    commune: str
    complement: str = ""  # lines 2-3: flat, floor, building, "chez"
    locality: str = ""  # line 5: lieu-dit, BP

    def __reduce__(self) -> tuple:
        return Address, (self.street, self.postcode, self.commune, self.complement, self.locality)


@dataclass(frozen=True, slots=True)
class Case:
    """One usable row of a partner's file, in canonical fields."""

    location: Location
    source_id: str
    case_id: str
    family_name: str
    address: Address
    territory_id: str
    stage: str
    given_name: str = ""
    civility: str | None = None  # "M.", "Mme" or "M. et Mme"
    landlord_type: str | None = None  # "social" or "private"
    landlord_name: str = ""
    debt: Decimal | None = None
    monthly_rent: Decimal | None = None
    act_date: date | None = None
    hearing_date: date | None = None
    lease_date: date | None = None
    caf_recipient: bool | None = None
    phone: str = ""
    email: str = ""
    language: str = ""

    def __reduce__(self) -> tuple:
        # Positional: cases are pickled by the thousand into the staging store.
        return Case, _case_values(self)


_case_values = attrgetter(*(f.name for f in fields(Case)))


# The canonical case fields a source may map a column onto. `location`,
# `source_id`, `territory_id` and `address` are built by the reader, and the
# address is read from its parts.
CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "civility",
    "family_name",
    "given_name",
    "full_name",
    "street",
    "complement",
    "locality",
    "postcode",
    "commune",
    "landlord_type",
    "landlord_name",
    "debt",
    "monthly_rent",
    "stage",
    "act_date",
    "hearing_date",
    "lease_date",
    "caf_recipient",
    "phone",
    "email",
    "language",
)

# Without these a row cannot become a letter.
REQUIRED_COLUMNS: frozenset[str] = frozenset({"case_id", "street", "postcode", "commune", "stage"})


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one value of a row (the value itself is never kept)."""

    column: str | None  # the file's header name
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that cannot be used, with every problem found in it."""

    location: Location
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Household:
    """One household: the cases that describe it and its merged facts."""

    key: str
    cases: tuple[Case, ...]
    facts: Case  # the merged view the letters are written from
    notes: tuple[str, ...] = ()  # how facts were merged, for the manifest


@dataclass(frozen=True, slots=True)
class Suppression:
    """A household, or one of its letters, that gets no document, and why."""

    household_key: str
    code: str
    reason: str
    letter_id: str | None = None


@dataclass(frozen=True, slots=True)
class LetterChoice:
    """A letter (id and version) due to a household at the run date."""

    letter_id: str
    version: str


@dataclass(frozen=True, slots=True)
class Document:
    """A file written for one household and letter."""

    household_key: str
    letter_id: str
    version: str
    sender: str
    format: str  # "pdf" or "docx"
    path: str  # relative to the output folder
    sha256: str
    pages: int | None = None
    case_ids: tuple[str, ...] = field(default_factory=tuple)
    # Directory entries it prints that are due for review, or stale and allowed (--allow-stale).
    contacts_to_review: tuple[str, ...] = field(default_factory=tuple)
    stale_contacts_allowed: tuple[str, ...] = field(default_factory=tuple)
