"""Contact directories: who to call, for which communes, checked when.

One YAML file per territory (plus one for national numbers). Every entry says
where it was copied from and when someone last verified it; letters print an
entry only from data, never from memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pexmail.catalog.yamlsrc import Located, YamlSyntaxError, format_path, read_located
from pexmail.errors import CatalogProblem
from pexmail.textfold import fold

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Phone(_Model):
    number: str = Field(pattern=r"^\+?[0-9 .]{3,20}$")
    label: str | None = None


class Serves(_Model):
    """Where an entry applies; nothing given = its whole territory."""

    postcodes: list[Annotated[str, Field(pattern=r"^\d{5}$")]] | None = None
    communes: list[str] | None = None


class ContactEntry(_Model):
    id: Identifier
    kind: Identifier
    name: str
    phones: list[Phone] = Field(default_factory=list)
    address: str | None = None
    email: str | None = None
    url: str | None = None
    hours: str | None = None
    serves: Serves = Field(default_factory=Serves)
    source: str = Field(description="Seed file and lines, or the document it was copied from.")
    verified_on: date | None = Field(
        default=None, description="When someone last checked it against a live source."
    )
    verified_by: str | None = None
    note: str | None = None


class SourceDocument(_Model):
    file: str
    title: str
    date: str | None = None


class Place(_Model):
    """A postal place a directory serves: notices on demand are written only for these."""

    postcode: str = Field(pattern=r"^\d{5}$")
    commune: str


class DirectoryFile(_Model):
    territory: Identifier | None = Field(description="Territory id; null = valid everywhere.")
    title: str
    coverage: str | None = Field(
        default=None, description="Which places the directory serves, in words, for messages."
    )
    source_documents: list[SourceDocument] = Field(default_factory=list)
    places: list[Place] = Field(
        default_factory=list, description="Postcodes and communes the directory serves."
    )
    entries: list[ContactEntry]


class Freshness(Enum):
    CURRENT = "current"
    REVIEW = "review"  # printed, but flagged for review
    STALE = "stale"  # refused unless the user allows stale contacts


@dataclass(frozen=True)
class Directory:
    path: Path
    territory: str | None
    entries: tuple[ContactEntry, ...]
    title: str = ""
    places: tuple[Place, ...] = ()
    coverage: str | None = None


def months_between(earlier: date, later: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


def freshness(entry: ContactEntry, on: date, review_after: int, max_age: int) -> Freshness:
    if entry.verified_on is None:
        return Freshness.STALE
    age = months_between(entry.verified_on, on)
    if age >= max_age:
        return Freshness.STALE
    if age >= review_after:
        return Freshness.REVIEW
    return Freshness.CURRENT


@dataclass(frozen=True)
class FreshnessReport:
    """The freshness of the contacts one document prints."""

    review: tuple[ContactEntry, ...] = ()
    stale: tuple[ContactEntry, ...] = ()

    @property
    def review_ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.review)

    @property
    def stale_ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.stale)


def assess(
    entries: Iterable[ContactEntry], on: date, review_after: int, max_age: int
) -> FreshnessReport:
    """Sort printed entries into due-for-review and stale (each entry once)."""
    review: dict[str, ContactEntry] = {}
    stale: dict[str, ContactEntry] = {}
    for entry in entries:
        state = freshness(entry, on, review_after, max_age)
        if state is Freshness.STALE:
            stale[entry.id] = entry
        elif state is Freshness.REVIEW:
            review[entry.id] = entry
    return FreshnessReport(tuple(review.values()), tuple(stale.values()))


def describe_entries(entries: Iterable[ContactEntry]) -> str:
    """« lens-adil-62 (never verified), paris-drihl (verified 2023-01-01) »."""
    parts = []
    for entry in entries:
        when = (
            f"verified {entry.verified_on.isoformat()}" if entry.verified_on else "never verified"
        )
        parts.append(f"{entry.id} ({when})")
    return ", ".join(parts)


@dataclass(frozen=True)
class Directories:
    """Every directory of the catalogue, searchable by kind and place."""

    directories: tuple[Directory, ...]

    def by_id(self, entry_id: str) -> ContactEntry | None:
        for directory in self.directories:
            for entry in directory.entries:
                if entry.id == entry_id:
                    return entry
        return None

    def entries(self) -> Iterable[tuple[Directory, ContactEntry]]:
        for directory in self.directories:
            for entry in directory.entries:
                yield directory, entry

    def find(self, kind: str, territory_id: str, postcode: str, commune: str) -> list[ContactEntry]:
        """Entries of ``kind`` for a place: the commune's own first, then the territory's,
        then national ones. Another territory's local entries are never returned."""
        local: list[ContactEntry] = []
        territorial: list[ContactEntry] = []
        national: list[ContactEntry] = []
        folded_commune = fold(commune)
        for directory in self.directories:
            if directory.territory not in (None, territory_id):
                continue
            for entry in directory.entries:
                if entry.kind != kind:
                    continue
                serves = entry.serves
                if serves.postcodes is None and serves.communes is None:
                    (national if directory.territory is None else territorial).append(entry)
                elif postcode in (serves.postcodes or ()) or folded_commune in {
                    fold(c) for c in serves.communes or ()
                }:
                    local.append(entry)
        return local + territorial + national


def load_directories(
    root: Path, files: Sequence[str], territory_ids: set[str]
) -> tuple[Directories, list[CatalogProblem]]:
    problems: list[CatalogProblem] = []
    loaded: list[Directory] = []
    seen: dict[str, str] = {}
    for name in files:
        path = (root / name).resolve()
        display = name
        if not path.is_file():
            problems.append(CatalogProblem(display, None, "", "contact directory not found"))
            continue
        try:
            located, yaml_problems = read_located(path)
        except YamlSyntaxError as exc:
            problems.append(CatalogProblem(display, exc.line, "", exc.message))
            continue
        except UnicodeDecodeError:
            problems.append(CatalogProblem(display, None, "", "not UTF-8 text"))
            continue
        problems.extend(
            CatalogProblem(display, p.line, format_path(p.path), p.message) for p in yaml_problems
        )
        try:
            parsed = DirectoryFile.model_validate(located.data)
        except ValidationError as exc:
            problems.extend(_validation_problems(display, located, exc))
            continue
        if parsed.territory is not None and parsed.territory not in territory_ids:
            problems.append(
                CatalogProblem(
                    display,
                    located.line_of(("territory",)),
                    "territory",
                    f"unknown territory {parsed.territory!r}",
                )
            )
        for index, entry in enumerate(parsed.entries):
            if entry.id in seen:
                problems.append(
                    CatalogProblem(
                        display,
                        located.line_of(("entries", index, "id")),
                        f"entries[{index}]",
                        f"contact id {entry.id!r} is already used in {seen[entry.id]}",
                    )
                )
            seen[entry.id] = display
        loaded.append(
            Directory(
                path,
                parsed.territory,
                tuple(parsed.entries),
                parsed.title,
                tuple(parsed.places),
                parsed.coverage,
            )
        )
    return Directories(tuple(loaded)), problems


def _validation_problems(
    display: str, located: Located, exc: ValidationError
) -> list[CatalogProblem]:
    return [
        CatalogProblem(
            display,
            located.line_of(tuple(err["loc"])),
            format_path(tuple(err["loc"]), located.data),
            _message(err),
        )
        for err in exc.errors()
    ]


def _message(err: dict) -> str:
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        return "unknown field (not part of the schema; see `pexmail catalog --schema`)"
    if err["type"] == "missing":
        return "required field is missing"
    return message
