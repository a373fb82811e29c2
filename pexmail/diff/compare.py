"""Both versions of each letter rendered for the same household(s) at the same date.

The one module of the package that knows every step: it picks the letters
(one, or the whole catalogue), the households (a sample household, or the
cases of a CSV file read with ``ingest``), renders both versions through the
library's :class:`LetterRenderer`, and compares entries, text, readability,
page counts and page images.

A letter whose page HTML, stylesheets and QR targets are the same on both
sides is the same PDF: it is not laid out again, which keeps a whole-catalogue
diff of a one-letter change fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.catalog.select import unmet
from pexmail.diff.entries import (
    Change,
    catalog_changes,
    letter_changes,
    letter_ids,
    pick,
    version_changes,
)
from pexmail.diff.pages import PagePair, VisualDiff, compare_pdfs, rasterise
from pexmail.diff.text import Readability, page_text, readability
from pexmail.diff.versions import Version
from pexmail.diff.words import TextDiff, diff_text
from pexmail.errors import PexmailError
from pexmail.ingest import inspect_file, read_cases
from pexmail.model import Case, Rejection
from pexmail.render.letter import LetterRenderer, PreparedLetter, Refused
from pexmail.render.preflight import letter_territories, sample_facts

MAX_CASES = 5  # households per letter: a review shows a few, not a batch


@dataclass(frozen=True)
class FalcFacts:
    """The FALC checker's verdict on one rendered letter, when the checker is installed."""

    findings: tuple[tuple[str, str, str], ...]  # (level, rule, excerpt), reading order
    scores: tuple[tuple[str, float], ...]  # (name, value): Kandel-Moles, LIX

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f[0] == level)


def falc_facts(prepared: PreparedLetter, catalog: Catalog) -> FalcFacts | str | None:
    """FALC findings and scores from ``pexmail.falc`` (``pexmail check``), if this build has it.

    None when it has not (the readability facts stand alone); a message when it failed.
    """
    try:
        from pexmail.falc.gate import check_prepared  # type: ignore[import-not-found]
    except ImportError:
        return None
    config = getattr(catalog.document, "falc", None)
    if config is None:
        return None
    try:
        check = check_prepared(prepared, config)
    except Exception as exc:  # a checker's failure must not hide the diff itself
        return f"FALC check failed: {type(exc).__name__}: {exc}"
    findings = tuple((f.level, f.rule, " ".join(str(f.excerpt).split())) for f in check.findings)
    scores: tuple[tuple[str, float], ...] = ()
    if check.scores is not None:
        scores = (("Kandel-Moles", check.scores.kandel_moles), ("LIX", check.scores.lix))
    return FalcFacts(findings, scores)


@dataclass
class Side:
    """One version of a letter rendered for one household."""

    text: str = ""
    readability: Readability | None = None
    falc: FalcFacts | str | None = None  # see falc_facts
    pdf: bytes | None = None
    pages: int | None = None
    key: str = ""  # same key, same PDF
    refused: str | None = None  # why it could not be rendered
    selected: str | None = None  # None: the letter's conditions hold; else why not
    job: PreparedLetter | None = field(default=None, repr=False)  # laid out only if needed


@dataclass
class HouseholdDiff:
    label: str  # « sample household (Paris) », « cases.csv row 3 »
    before: Side | None
    after: Side | None
    text: TextDiff
    visual: VisualDiff | None

    @property
    def changed(self) -> bool:
        return (
            self.text.changed
            or (self.visual is not None and self.visual.changed)
            or _side_state(self.before) != _side_state(self.after)
        )

    @property
    def page_counts(self) -> tuple[int | None, int | None]:
        return (
            self.before.pages if self.before else None,
            self.after.pages if self.after else None,
        )


def _side_state(side: Side | None) -> tuple[object, ...]:
    return (side is None, side.refused if side else None, side.selected if side else None)


@dataclass
class LetterDiff:
    letter_id: str
    status: str  # added, removed, changed, unchanged
    before: Letter | None
    after: Letter | None
    changes: list[Change] = field(default_factory=list)
    households: list[HouseholdDiff] = field(default_factory=list)

    @property
    def title(self) -> str:
        letter = self.after or self.before
        assert letter is not None
        return letter.title

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


@dataclass
class Comparison:
    before_label: str
    after_label: str
    run_date: date
    letter_id: str | None  # None: the whole catalogue
    catalog: list[Change]
    letters: list[LetterDiff]
    notes: list[str] = field(default_factory=list)
    personal: bool = False  # rendered for real households: the text holds personal data

    @property
    def changed(self) -> bool:
        return bool(self.catalog) or any(x.changed for x in self.letters)

    def by_status(self, status: str) -> list[LetterDiff]:
        return [x for x in self.letters if x.status == status]


class DiffError(PexmailError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        return self.message


@dataclass(frozen=True)
class CaseFile:
    path: Path
    source: str | None = None
    encoding: str | None = None


def compare(
    before: Version,
    after: Version,
    *,
    run_date: date,
    letter_id: str | None = None,
    territory: str | None = None,
    case_file: CaseFile | None = None,
) -> Comparison:
    """Compare two versions for one letter, or for every letter of either catalogue."""
    a, b = before.catalog, after.catalog
    ids_a, ids_b = letter_ids(a), letter_ids(b)
    if letter_id is not None:
        if letter_id not in ids_a and letter_id not in ids_b:
            known = ", ".join(dict.fromkeys([*ids_b, *ids_a]))
            raise DiffError(f"no letter {letter_id!r} in either version; letters: {known}")
        ids = [letter_id]
    else:
        ids = [*ids_a, *(i for i in ids_b if i not in ids_a)]
    if territory is not None and all(
        territory not in {t.id for t in c.territories} for c in (a, b)
    ):
        raise DiffError(f"no territory {territory!r} in either catalogue")
    comparison = Comparison(
        before.label,
        after.label,
        run_date,
        letter_id,
        catalog_changes(a, b) if letter_id is None else [],
        [],
    )
    cases: list[Case] | None = None
    comparison.personal = case_file is not None
    if case_file is not None:
        cases = _read_cases(case_file, b, run_date, comparison.notes)
    renderers = _Renderers(a, b, run_date)
    for current in ids:
        x, y = pick(a, current, run_date), pick(b, current, run_date)
        status = "added" if x is None else "removed" if y is None else "changed"
        diff = LetterDiff(current, status, x, y)
        if x is not None and y is not None:
            diff.changes = letter_changes(a, x, b, y, run_date)
            diff.changes += version_changes(a, b, current, (x, y), run_date)
        for label, facts in _households(a, x, b, y, territory, cases, comparison.notes):
            diff.households.append(renderers.compare(x, y, label, facts))
        if status == "changed" and not diff.changes and not any(h.changed for h in diff.households):
            diff.status = "unchanged"
        comparison.letters.append(diff)
    return comparison


def _read_cases(
    case_file: CaseFile, catalog: Catalog, run_date: date, notes: list[str]
) -> list[Case]:
    info = inspect_file(
        case_file.path, catalog, source=case_file.source, encoding=case_file.encoding
    )
    cases: list[Case] = []
    rejected = 0
    for record in read_cases(info, catalog, run_date):
        if isinstance(record, Rejection):
            rejected += 1
            problem = record.problems[0] if record.problems else None
            if rejected <= 5 and problem is not None:
                column = f", column {problem.column!r}" if problem.column else ""
                notes.append(
                    f"{info.display} row {record.location.row}{column}: row not used: {problem.reason}"
                )
        else:
            cases.append(record)
    if rejected > 5:
        notes.append(
            f"{info.display}: {rejected - 5} more rows not used (run pexmail render for all)"
        )
    if not cases:
        raise DiffError(f"{info.display}: no usable row to render the letters with")
    return cases


def _households(
    a: Catalog,
    x: Letter | None,
    b: Catalog,
    y: Letter | None,
    territory: str | None,
    cases: list[Case] | None,
    notes: list[str],
) -> list[tuple[str, Case]]:
    """The households to render a letter for: same facts for both versions."""
    letter, catalog = (y, b) if y is not None else (x, a)
    assert letter is not None
    if cases is not None:
        chosen = [
            c
            for c in cases
            if c.stage == letter.stage
            and (
                (x is not None and unmet(x.conditions, c) is None)
                or (y is not None and unmet(y.conditions, c) is None)
            )
        ]
        if territory is not None:
            chosen = [c for c in chosen if c.territory_id == territory]
        if chosen:
            if len(chosen) > MAX_CASES:
                notes.append(
                    f"{letter.id}: {len(chosen)} rows of the case file are for this letter; "
                    f"the first {MAX_CASES} are compared"
                )
            return [(f"{c.location.file} row {c.location.row}", c) for c in chosen[:MAX_CASES]]
        notes.append(
            f"{letter.id}: no row of the case file is for this letter; sample household used"
        )
    territories = letter_territories(catalog, letter)
    if territory is not None:
        if territory not in territories:
            other = x if letter is y else y
            if other is None or territory not in letter_territories(a if other is x else b, other):
                notes.append(f"{letter.id}: not sent in {territory}; compared in {territories[0]}")
                territory = territories[0]
        place = territory
    else:
        place = territories[0]
    try:
        name = catalog.territory(place).name
    except StopIteration:
        name = place
    return [(f"sample household ({name})", sample_facts(catalog, letter, place))]


class _Renderers:
    """One renderer per version, made on first use, and the layout-independent keys."""

    def __init__(self, before: Catalog, after: Catalog, run_date: date) -> None:
        self.catalogs = {"before": before, "after": after}
        self.run_date = run_date
        self._renderers: dict[str, LetterRenderer] = {}
        self._assets: dict[str, str] = {}

    def renderer(self, side: str) -> LetterRenderer:
        if side not in self._renderers:
            # The reference engine: the diff reads the page's HTML and draws its pages.
            self._renderers[side] = LetterRenderer(
                self.catalogs[side], self.run_date, ("pdf",), engine="weasyprint"
            )
        return self._renderers[side]

    def assets(self, side: str) -> str:
        """A digest of the files a page loads besides its HTML (stylesheets, images)."""
        if side not in self._assets:
            digest = hashlib.sha256()
            root = self.catalogs[side].template_root
            for path in sorted((root / "assets").rglob("*")) if (root / "assets").is_dir() else []:
                if path.is_file():
                    digest.update(path.relative_to(root).as_posix().encode())
                    digest.update(path.read_bytes())
            self._assets[side] = digest.hexdigest()
        return self._assets[side]

    def prepare(self, side: str, letter: Letter | None, facts: Case) -> Side | None:
        if letter is None:
            return None
        result = Side(selected=unmet(letter.conditions, facts))
        if letter.stage != facts.stage:
            result.selected = (
                f"the household is at stage {facts.stage!r}, the letter at {letter.stage!r}"
            )
        renderer = self.renderer(side)
        try:
            prepared = renderer.prepare(letter, facts)
            html = renderer.pdf.html(prepared.layout, prepared.context, prepared.parts)
        except Refused as exc:
            result.refused = f"{exc.code}: {exc.reason}"
            return result
        except (KeyError, StopIteration):
            # the version has no office or territory for this household
            result.refused = (
                f"cannot be written for territory {facts.territory_id!r} in this version"
            )
            return result
        qr = prepared.context.get("qr") or {}
        text = page_text(html)
        if qr:
            text += f"\n[Code QR → {qr['url']}]"  # where the code leads is part of what is read
        result.text = text
        result.readability = readability(str(prepared.parts.body))
        result.falc = falc_facts(prepared, self.catalogs[side])
        result.key = hashlib.sha256(
            "\0".join([html, str(qr.get("url", "")), self.assets(side)]).encode()
        ).hexdigest()
        result.job = prepared
        return result

    def lay_out(self, side: str, result: Side | None) -> None:
        if result is None or result.job is None:
            return
        prepared, result.job = result.job, None
        try:
            rendered = self.renderer(side).render(prepared)
        except Refused as exc:
            result.refused = f"{exc.code}: {exc.reason}"
            return
        result.pdf, result.pages = rendered.outputs["pdf"]

    def compare(self, x: Letter | None, y: Letter | None, label: str, facts: Case) -> HouseholdDiff:
        old = self.prepare("before", x, facts)
        new = self.prepare("after", y, facts)
        text = diff_text(old.text if old else "", new.text if new else "")
        same = old is not None and new is not None and old.key == new.key and old.key != ""
        visual: VisualDiff | None = None
        if same:
            for result in (old, new):
                assert result is not None
                result.job = None
        else:
            self.lay_out("before", old)
            self.lay_out("after", new)
            visual = _visual(old, new)
        return HouseholdDiff(label, old, new, text, visual)


def _visual(old: Side | None, new: Side | None) -> VisualDiff | None:
    pdfs: Sequence[bytes | None] = (
        old.pdf if old is not None else None,
        new.pdf if new is not None else None,
    )
    if pdfs[0] is not None and pdfs[1] is not None:
        return compare_pdfs(pdfs[0], pdfs[1])
    if pdfs[0] is None and pdfs[1] is None:
        return None
    # a letter added or removed: its pages, each facing « no page », nothing to mark
    old = rasterise(pdfs[0]) if pdfs[0] is not None else []
    new = rasterise(pdfs[1]) if pdfs[1] is not None else []
    pages = [
        PagePair(i, old[i] if i < len(old) else None, new[i] if i < len(new) else None)
        for i in range(max(len(old), len(new)))
    ]
    return VisualDiff(pages, len(old), len(new))
