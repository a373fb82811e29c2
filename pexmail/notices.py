"""Notices on demand: the information sheet a commissaire de justice annexes to an act.

A notice has no household: it is written for a place (postcode, commune), prints
the contacts that serve that place, and is refused when one of them is stale.
The CLI (``pexmail notice``) and the web service call :func:`render_notice`;
:func:`notice_acts` and :func:`find_places` feed their forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.errors import EXIT_STRICT, EXIT_USAGE, PexmailError
from pexmail.render.letter import FORMATS, LetterRenderer, Refused, StaleContacts
from pexmail.textfold import fold

__all__ = [
    "MEDIA_TYPES",
    "Notice",
    "NoticeContact",
    "NoticeRefused",
    "Place",
    "UnknownAct",
    "UnknownPlace",
    "find_places",
    "notice_acts",
    "render_notice",
    "resolve_place",
]

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class Place:
    """A postal place a territory's directory serves."""

    postcode: str
    commune: str
    territory: str  # territory id
    territory_name: str

    @property
    def label(self) -> str:
        return f"{self.postcode} {self.commune}"


@dataclass(frozen=True)
class NoticeContact:
    """A directory entry a notice printed, with when it was last checked."""

    id: str
    kind: str
    name: str
    verified_on: date | None
    freshness: str  # "current", "review" or "stale" (only with allow_stale)


@dataclass(frozen=True)
class Notice:
    letter_id: str
    version: str
    act: str
    territory: str
    postcode: str
    commune: str
    format: str
    data: bytes
    media_type: str
    filename: str
    pages: int | None
    contacts: tuple[NoticeContact, ...]
    flags: tuple[str, ...]  # ids of printed contacts due for review
    stale_allowed: tuple[str, ...] = ()  # ids of stale contacts printed under allow_stale


class UnknownPlace(PexmailError):
    """No territory's directory serves this postcode/commune."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, covered: Iterable[str]) -> None:
        self.covered = tuple(covered)
        super().__init__(message)


class UnknownAct(PexmailError):
    """No notice in force for this act."""

    exit_code = EXIT_USAGE


class NoticeRefused(PexmailError):
    """The notice must not go out (stale contacts, unprintable); ``code`` says why."""

    exit_code = EXIT_STRICT

    def __init__(self, code: str, reason: str, contact_ids: Iterable[str] = ()) -> None:
        self.code = code
        self.reason = reason
        self.contact_ids = tuple(contact_ids)
        super().__init__(reason)


def notice_acts(catalog: Catalog, on: date | None = None) -> list[tuple[str, str]]:
    """(act id, French label) of every act that has a notice, in procedure order."""
    acts = {
        letter.stage
        for letter in catalog.letters
        if letter.kind == "notice" and (on is None or letter.in_force(on))
    }
    return [(s.id, s.label) for s in catalog.stages if s.id in acts]


def all_places(catalog: Catalog) -> list[Place]:
    """Every place some territory's directory serves, in directory order."""
    places: list[Place] = []
    seen: set[tuple[str, str]] = set()
    for directory in catalog.directories.directories:
        if directory.territory is None:
            continue
        territory = catalog.territory(directory.territory)
        for place in directory.places:
            key = (place.postcode, fold(place.commune))
            if key not in seen:
                seen.add(key)
                places.append(Place(place.postcode, place.commune, territory.id, territory.name))
    return places


def covered_territories(catalog: Catalog) -> list[str]:
    """« Paris: the 20 arrondissements of Paris », … what a notice can be written for."""
    described = []
    for directory in catalog.directories.directories:
        if directory.territory is None or not directory.places:
            continue
        name = catalog.territory(directory.territory).name
        coverage = directory.coverage or f"{len(directory.places)} places"
        described.append(f"{name}: {coverage}")
    return described


def find_places(catalog: Catalog, text: str, limit: int = 10) -> list[Place]:
    """Places whose postcode or commune starts with ``text`` (accents and case ignored),
    for a search box: postcode matches first, then communes, each in alphabetical order."""
    query = fold(text)
    if not query:
        return []
    by_postcode: list[Place] = []
    by_commune: list[Place] = []
    for place in all_places(catalog):
        if place.postcode.startswith(query):
            by_postcode.append(place)
        elif fold(place.commune).startswith(query) or any(
            word.startswith(query) for word in fold(place.commune).split()
        ):
            by_commune.append(place)
    by_postcode.sort(key=lambda p: (p.postcode, fold(p.commune)))
    by_commune.sort(key=lambda p: (not fold(p.commune).startswith(query), fold(p.commune)))
    return (by_postcode + by_commune)[:limit]


def resolve_place(catalog: Catalog, postcode: str, commune: str | None = None) -> Place:
    """The one place a postcode (and commune, when several share it) names.

    Raises :class:`UnknownPlace` naming the territories covered, or the communes
    to choose from when the postcode alone is ambiguous."""
    postcode = postcode.strip().replace(" ", "")
    places = all_places(catalog)
    covered = covered_territories(catalog)
    at_postcode = [p for p in places if p.postcode == postcode]
    if not at_postcode:
        territory = catalog.territory_for_postcode(postcode) if postcode.isdigit() else None
        where = (
            f"postcode {postcode} is in {territory.name}, but no contact directory serves it"
            if territory is not None
            else f"postcode {postcode!r} is not in any territory of the catalogue"
        )
        raise UnknownPlace(f"{where}. Notices can be written for: {'; '.join(covered)}.", covered)
    if commune:
        wanted = fold(commune)
        matching = [p for p in at_postcode if fold(p.commune) == wanted]
        if not matching:
            choices = ", ".join(sorted({p.commune for p in at_postcode}))
            raise UnknownPlace(
                f"commune {commune!r} does not match postcode {postcode} "
                f"(communes with this postcode: {choices})",
                covered,
            )
        return matching[0]
    communes = sorted({p.commune for p in at_postcode}, key=fold)
    if len(communes) > 1:
        raise UnknownPlace(
            f"postcode {postcode} serves several communes: {', '.join(communes)}; "
            "name one with --commune",
            covered,
        )
    return at_postcode[0]


def notice_for(catalog: Catalog, act: str, territory_id: str, on: date) -> Letter:
    """The notice in force at ``on`` for an act in a territory."""
    candidates = [
        letter
        for letter in catalog.letters_in_force(on)
        if letter.kind == "notice"
        and letter.stage == act
        and (letter.conditions.territories is None or territory_id in letter.conditions.territories)
    ]
    if not candidates:
        acts = ", ".join(a for a, _ in notice_acts(catalog, on)) or "none"
        raise UnknownAct(
            f"no notice in force on {on.isoformat()} for act {act!r} "
            f"in territory {territory_id!r} (acts with a notice: {acts})"
        )
    return candidates[0]


def render_notice(
    catalog: Catalog,
    act: str,
    *,
    postcode: str,
    commune: str | None = None,
    on: date,
    fmt: str = "pdf",
    allow_stale: bool = False,
    renderer: LetterRenderer | None = None,
) -> Notice:
    """The notice for ``act`` at ``on``, with the contacts serving the place.

    Raises :class:`UnknownPlace`, :class:`UnknownAct`, or :class:`NoticeRefused`
    (code ``stale_contact`` naming the contact ids, unless ``allow_stale``)."""
    if fmt not in FORMATS:
        raise PexmailError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    place = resolve_place(catalog, postcode, commune)
    letter = notice_for(catalog, act, place.territory, on)
    if renderer is None:
        renderer = LetterRenderer(catalog, on, (fmt,), allow_stale=allow_stale)
    try:
        prepared = renderer.prepare_notice(letter, place.territory, place.postcode, place.commune)
        rendered = renderer.render(prepared)
    except Refused as refusal:
        ids = refusal.contact_ids if isinstance(refusal, StaleContacts) else ()
        raise NoticeRefused(refusal.code, refusal.reason, ids) from None
    data, pages = rendered.outputs[fmt]
    freshness = prepared.freshness
    review_ids = set(freshness.review_ids)
    stale_ids = set(freshness.stale_ids)
    contacts = tuple(
        NoticeContact(
            c["id"],
            c["kind"],
            c["name"],
            c["verified_on"],
            "stale" if c["id"] in stale_ids else "review" if c["id"] in review_ids else "current",
        )
        for c in prepared.context["contacts"]
    )
    safe_commune = "-".join(fold(place.commune).split())
    return Notice(
        letter_id=letter.id,
        version=letter.version,
        act=act,
        territory=place.territory,
        postcode=place.postcode,
        commune=place.commune,
        format=fmt,
        data=data,
        media_type=MEDIA_TYPES[fmt],
        filename=f"{letter.id}-v{letter.version}-{place.postcode}-{safe_commune}.{fmt}",
        pages=pages,
        contacts=contacts,
        flags=freshness.review_ids,
        stale_allowed=freshness.stale_ids,
    )
