"""``catalog.yaml`` → a validated :class:`Catalog`, or every problem with its line.

Checks the schema, then what the schema alone cannot: references between
entries, files that must exist under ``templates/``, and letters whose
conditions overlap (two letters of one sender for the same household).
Templates are compiled elsewhere (``render.templates.preflight``).
"""

from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from pexmail.catalog.contacts import Directories, _message, load_directories
from pexmail.catalog.schema import (
    LANDLORD_TYPES,
    CatalogDocument,
    Conditions,
    Fact,
    Letter,
    QrTarget,
    Source,
    Stage,
    Territory,
)
from pexmail.catalog.yamlsrc import Located, Path_, YamlSyntaxError, format_path, load_located
from pexmail.errors import CatalogError, CatalogProblem
from pexmail.model import REQUIRED_COLUMNS
from pexmail.textfold import fold

TEMPLATE_DIR = "templates"
LAYOUT_DIR = "layouts"


@dataclass(frozen=True)
class Catalog:
    """A validated catalogue and the folder its files live in."""

    path: Path
    document: CatalogDocument
    directories: Directories
    sha256: str

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def template_root(self) -> Path:
        return self.root / TEMPLATE_DIR

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def stages(self) -> list[Stage]:
        return self.document.stages

    def stage_rank(self, stage_id: str) -> int:
        return next(i for i, s in enumerate(self.document.stages) if s.id == stage_id)

    def stage(self, stage_id: str) -> Stage:
        return next(s for s in self.document.stages if s.id == stage_id)

    @property
    def territories(self) -> list[Territory]:
        return self.document.territories

    def territory(self, territory_id: str) -> Territory:
        return next(t for t in self.document.territories if t.id == territory_id)

    def territory_for_postcode(self, postcode: str) -> Territory | None:
        best: tuple[int, Territory] | None = None
        for territory in self.document.territories:
            for prefix in territory.postcode_prefixes:
                if postcode.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), territory)
        return best[1] if best else None

    @property
    def letters(self) -> list[Letter]:
        return self.document.letters

    def letter(self, letter_id: str, version: str) -> Letter:
        return next(x for x in self.document.letters if x.id == letter_id and x.version == version)

    def letters_in_force(self, on: date) -> list[Letter]:
        return [x for x in self.document.letters if x.in_force(on)]

    @property
    def sources(self) -> list[Source]:
        return self.document.sources

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.document.sources if s.id == source_id), None)

    def qr_target(self, target_id: str) -> QrTarget:
        return next(q for q in self.document.qr if q.id == target_id)

    def facts_for(self, territory_id: str, on: date) -> dict[str, Fact]:
        """The facts in force at ``on`` in a territory; a territorial fact beats a general one."""
        chosen: dict[str, Fact] = {}
        for fact in self.document.facts:
            if fact.valid_from > on or (fact.valid_until is not None and on > fact.valid_until):
                continue
            if fact.territories is not None and territory_id not in fact.territories:
                continue
            current = chosen.get(fact.id)
            if current is None or (current.territories is None and fact.territories is not None):
                chosen[fact.id] = fact
        return chosen

    def layout_path(self, layout: str, suffix: str) -> Path:
        return self.template_root / LAYOUT_DIR / f"{layout}{suffix}"


def default_catalog_path() -> Path:
    """``$PEXMAIL_CATALOG``, else ``./catalog.yaml``, else the catalogue shipped with pexmail."""
    env = os.environ.get("PEXMAIL_CATALOG")
    if env:
        return Path(env)
    local = Path("catalog.yaml")
    if local.is_file():
        return local
    here = Path(__file__).resolve().parent.parent
    bundled = here / "_bundled" / "catalog.yaml"
    if bundled.is_file():
        return bundled
    return here.parent / "catalog.yaml"  # a source checkout run from elsewhere


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load and validate a catalogue; raise :class:`CatalogError` listing every problem."""
    path = Path(path) if path is not None else default_catalog_path()
    display = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(
            [CatalogProblem(display, None, "", f"cannot read: {exc.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            [CatalogProblem(display, None, "", f"not UTF-8 text ({exc.reason})")]
        ) from None
    try:
        located, yaml_problems = load_located(text, display)
    except YamlSyntaxError as exc:
        raise CatalogError([CatalogProblem(display, exc.line, "", exc.message)]) from None
    problems = [
        CatalogProblem(display, p.line, format_path(p.path), p.message) for p in yaml_problems
    ]
    if not isinstance(located.data, dict):
        raise CatalogError(
            [*problems, CatalogProblem(display, 1, "", "expected a mapping of sections")]
        )
    try:
        document = CatalogDocument.model_validate(located.data)
    except ValidationError as exc:
        problems.extend(
            CatalogProblem(
                display,
                located.line_of(tuple(err["loc"])),
                format_path(tuple(err["loc"]), located.data),
                _message(err),
            )
            for err in exc.errors()
        )
        raise CatalogError(problems) from None
    root = path.resolve().parent
    directories, directory_problems = load_directories(
        root, document.contacts.directories, {t.id for t in document.territories}
    )
    problems.extend(directory_problems)
    problems.extend(_Checker(display, located, document, root, directories).run())
    if problems:
        raise CatalogError(problems)
    return Catalog(
        path=path.resolve(),
        document=document,
        directories=directories,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


class _Checker:
    """Cross-reference checks, each problem located at its YAML line."""

    def __init__(
        self,
        display: str,
        located: Located,
        doc: CatalogDocument,
        root: Path,
        directories: Directories,
    ) -> None:
        self.display = display
        self.located = located
        self.doc = doc
        self.root = root
        self.directories = directories
        self.problems: list[CatalogProblem] = []

    def problem(self, path: Path_, message: str) -> None:
        self.problems.append(
            CatalogProblem(
                self.display,
                self.located.line_of(path),
                format_path(path, self.located.data),
                message,
            )
        )

    def run(self) -> list[CatalogProblem]:
        self.unique_ids()
        self.stages()
        self.senders()
        self.facts()
        self.sources()
        self.letters()
        self.chain()
        self.recommendations()
        self.overlaps()
        return self.problems

    def unique_ids(self) -> None:
        for section in ("territories", "stages", "qr", "sources"):
            seen: dict[str, int] = {}
            for index, item in enumerate(getattr(self.doc, section)):
                if item.id in seen:
                    self.problem((section, index, "id"), f"id {item.id!r} is already used")
                seen[item.id] = index
        seen_prefixes: dict[str, str] = {}
        for index, territory in enumerate(self.doc.territories):
            for prefix in territory.postcode_prefixes:
                if prefix in seen_prefixes:
                    self.problem(
                        ("territories", index, "postcode_prefixes"),
                        f"prefix {prefix} already belongs to {seen_prefixes[prefix]}",
                    )
                seen_prefixes[prefix] = territory.id

    def stages(self) -> None:
        seen: dict[str, str] = {}
        for index, stage in enumerate(self.doc.stages):
            for alias in [stage.id, stage.label, *stage.aliases]:
                key = fold(alias)
                if key in seen and seen[key] != stage.id:
                    self.problem(
                        ("stages", index),
                        f"spelling {alias!r} already names stage {seen[key]!r}",
                    )
                seen[key] = stage.id

    def senders(self) -> None:
        territory_ids = {t.id for t in self.doc.territories}
        for sender_id, sender in self.doc.senders.items():
            for suffix in (".html.j2", ".docx"):
                layout = self.root / TEMPLATE_DIR / LAYOUT_DIR / f"{sender.layout}{suffix}"
                if not layout.is_file():
                    self.problem(
                        ("senders", sender_id, "layout"),
                        f"layout file {TEMPLATE_DIR}/{LAYOUT_DIR}/{sender.layout}{suffix} not found",
                    )
            for territory_id, office in sender.offices.items():
                path = ("senders", sender_id, "offices", territory_id)
                if territory_id not in territory_ids:
                    self.problem(path, f"unknown territory {territory_id!r}")
                if office.contact and self.directories.by_id(office.contact) is None:
                    self.problem(
                        (*path, "contact"), f"no directory entry with id {office.contact!r}"
                    )

    def facts(self) -> None:
        territory_ids = {t.id for t in self.doc.territories}
        for index, fact in enumerate(self.doc.facts):
            if fact.valid_until is not None and fact.valid_until < fact.valid_from:
                self.problem(("facts", index, "valid_until"), "is before valid_from")
            for territory_id in fact.territories or ():
                if territory_id not in territory_ids:
                    self.problem(
                        ("facts", index, "territories"), f"unknown territory {territory_id!r}"
                    )
        for (i, a), (j, b) in itertools.combinations(enumerate(self.doc.facts), 2):
            if a.id != b.id or not _periods_overlap(a, b):
                continue
            if (a.territories is None and b.territories is None) or (
                a.territories and b.territories and set(a.territories) & set(b.territories)
            ):
                self.problem(
                    ("facts", j),
                    f"fact {b.id!r} is also defined at facts[{i}] for the same period and territory",
                )

    def sources(self) -> None:
        stage_ids = {s.id for s in self.doc.stages}
        for index, source in enumerate(self.doc.sources):
            provided = set(source.columns) | set(source.defaults)
            missing = sorted(REQUIRED_COLUMNS - provided)
            if missing:
                self.problem(
                    ("sources", index, "columns"),
                    f"no column or default for required field(s): {', '.join(missing)}",
                )
            if not ({"family_name", "full_name"} & set(source.columns)):
                self.problem(
                    ("sources", index, "columns"), "maps neither family_name nor full_name"
                )
            for field in source.optional:
                if field not in source.columns:
                    self.problem(("sources", index, "optional"), f"{field} has no column mapped")
                if field in REQUIRED_COLUMNS:
                    self.problem(
                        ("sources", index, "optional"), f"{field} is required for every row"
                    )
            if "stage" in source.defaults and source.defaults["stage"] not in stage_ids:
                self.problem(("sources", index, "defaults", "stage"), "unknown stage")
            for field, mapping in source.values.items():
                allowed = {"landlord_type": set(LANDLORD_TYPES), "stage": stage_ids}.get(field)
                if allowed is None:
                    self.problem(
                        ("sources", index, "values", field),
                        "only landlord_type and stage take codes",
                    )
                    continue
                for code, value in mapping.items():
                    if value not in allowed:
                        self.problem(
                            ("sources", index, "values", field, code),
                            f"{value!r} is not one of {', '.join(sorted(allowed))}",
                        )

    def letters(self) -> None:
        stage_ids = {s.id for s in self.doc.stages}
        territory_ids = {t.id for t in self.doc.territories}
        qr_ids = {q.id for q in self.doc.qr}
        kinds = set(self.doc.contacts.kinds)
        versions: dict[tuple[str, str], int] = {}
        template_root = (self.root / TEMPLATE_DIR).resolve()
        for index, letter in enumerate(self.doc.letters):
            path: Path_ = ("letters", index)
            if (letter.id, letter.version) in versions:
                self.problem((*path, "version"), f"{letter.id} {letter.version} is defined twice")
            versions[(letter.id, letter.version)] = index
            sender = self.doc.senders.get(letter.sender)
            if sender is None:
                self.problem((*path, "sender"), f"unknown sender {letter.sender!r}")
            if letter.stage not in stage_ids:
                self.problem((*path, "stage"), f"unknown stage {letter.stage!r}")
            if letter.qr is not None and letter.qr not in qr_ids:
                self.problem((*path, "qr"), f"unknown QR target {letter.qr!r}")
            for stage_id in letter.conditions.stages or ():
                if stage_id not in stage_ids:
                    self.problem((*path, "conditions", "stages"), f"unknown stage {stage_id!r}")
            if letter.envelope is not None:
                envelope = letter.envelope
                if envelope.qr is not None and envelope.qr not in qr_ids:
                    self.problem((*path, "envelope", "qr"), f"unknown QR target {envelope.qr!r}")
                target = (template_root / envelope.template).resolve()
                if not target.is_relative_to(template_root) or not target.is_file():
                    self.problem(
                        (*path, "envelope", "template"),
                        f"template {TEMPLATE_DIR}/{envelope.template} not found",
                    )
            for kind in letter.contacts:
                if kind not in kinds:
                    self.problem((*path, "contacts"), f"unknown contact kind {kind!r}")
            targets = letter.conditions.territories
            for territory_id in targets or ():
                if territory_id not in territory_ids:
                    self.problem(
                        (*path, "conditions", "territories"), f"unknown territory {territory_id!r}"
                    )
            if sender is not None:
                for territory_id in targets or sorted(territory_ids):
                    if territory_id in territory_ids and territory_id not in sender.offices:
                        self.problem(
                            (*path, "conditions", "territories"),
                            f"sender {letter.sender!r} has no office for territory {territory_id!r}",
                        )
            html = letter.templates.html
            resolved = (template_root / html).resolve()
            if not resolved.is_relative_to(template_root):
                self.problem((*path, "templates", "html"), "must stay inside the templates folder")
            elif not resolved.is_file():
                self.problem(
                    (*path, "templates", "html"), f"template {TEMPLATE_DIR}/{html} not found"
                )

    def chain(self) -> None:
        letter_ids = {letter.id for letter in self.doc.letters}
        intervals = self.doc.chain.min_interval_days
        for sender_id in intervals.senders:
            if sender_id not in self.doc.senders:
                self.problem(("chain", "min_interval_days", "senders", sender_id), "unknown sender")
        for letter_id in intervals.letters:
            if letter_id not in letter_ids:
                self.problem(("chain", "min_interval_days", "letters", letter_id), "unknown letter")
        for index, group in enumerate(self.doc.chain.exclusive):
            for letter_id in group:
                if letter_id not in letter_ids:
                    self.problem(("chain", "exclusive", index), f"unknown letter {letter_id!r}")
            if len(set(group)) < 2:
                self.problem(("chain", "exclusive", index), "a group needs two different letters")
        for index, letter in enumerate(self.doc.letters):
            for other in letter.supersedes:
                if other not in letter_ids or other == letter.id:
                    self.problem(
                        ("letters", index, "supersedes"), f"unknown or same letter {other!r}"
                    )

    def recommendations(self) -> None:
        kinds = set(self.doc.contacts.kinds)
        seen: dict[str, str] = {}
        for index, item in enumerate(self.doc.recommendations):
            if item.contact is not None and item.contact not in kinds:
                self.problem(
                    ("recommendations", index, "contact"), f"unknown contact kind {item.contact!r}"
                )
            for spelling in (item.id, item.label, *item.aliases):
                key = fold(spelling)
                if key in seen and seen[key] != item.id:
                    self.problem(
                        ("recommendations", index),
                        f"spelling {spelling!r} already names recommendation {seen[key]!r}",
                    )
                seen[key] = item.id

    def overlaps(self) -> None:
        letters = list(enumerate(self.doc.letters))
        for (i, a), (j, b) in itertools.combinations(letters, 2):
            if a.sender != b.sender or a.kind != b.kind:
                continue
            if not set(a.due_stages) & set(b.due_stages):
                continue
            if not _periods_overlap(a, b) or not _conditions_overlap(a.conditions, b.conditions):
                continue
            if a.id == b.id:
                message = f"version {b.version} overlaps version {a.version} in time"
            else:
                message = (
                    f"conditions overlap with letters[{i}] ({a.id}): one household would get "
                    "both; make the bands or lists disjoint"
                )
            self.problem(("letters", j, "conditions"), message)


def _periods_overlap(a: Letter | Fact, b: Letter | Fact) -> bool:
    far = date.max
    return a.valid_from <= (b.valid_until or far) and b.valid_from <= (a.valid_until or far)


def _conditions_overlap(a: Conditions, b: Conditions) -> bool:
    def lists_meet(x: list | None, y: list | None) -> bool:
        return x is None or y is None or bool(set(x) & set(y))

    if not lists_meet(a.territories, b.territories):
        return False
    if not lists_meet(a.landlord_types, b.landlord_types):
        return False
    if not lists_meet(a.recommended_by, b.recommended_by):
        return False
    if (
        a.caf_recipient is not None
        and b.caf_recipient is not None
        and a.caf_recipient != b.caf_recipient
    ):
        return False
    if a.debt is not None and b.debt is not None:
        low = max(a.debt.min or 0, b.debt.min or 0)
        highs = [m for m in (a.debt.max, b.debt.max) if m is not None]
        if highs and low >= min(highs):
            return False
    return True
