"""One batch: case files → households → mailings → documents → output folder and ledger.

The only module that knows every step:

1. headers of every file read and matched to a source (a bad file stops the
   batch here, before anything is written);
2. rows streamed into cases (to a disk-backed store) or rejections (to
   ``rejects.csv``);
3. cases read back block by block (postcode, street number) and grouped into
   households, each decision explained (``households.csv``, ``review.csv``);
4. each household's mailing planned with the chain rules and its history in
   the ledger;
5. each letter reserved in the ledger, its text prepared, checked, rendered,
   written, then recorded as issued; several letters for one household make one
   mailing with a cover page;
6. print files, manifest, summary.

Every row read ends in exactly one outcome (rendered, suppressed or rejected),
and ``summary.json`` proves the totals add up. Nothing here prints or knows click.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pexmail import __version__
from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.catalog.select import select_letters
from pexmail.chain.history import History, IssuedLetter, MemoryHistory, episode_of
from pexmail.chain.plan import Plan, plan_mailing
from pexmail.errors import InputFileError, PexmailError
from pexmail.households.match import Group, ReviewPair, Thresholds, match_block
from pexmail.households.merge import merge_household
from pexmail.households.normalize import identity
from pexmail.households.staging import CaseStore
from pexmail.ingest.cases import FileInfo, FileStats, inspect_file, read_cases
from pexmail.log import LOGGER, PROGRESS
from pexmail.model import Document, Household, Rejection, Suppression
from pexmail.output.files import document_path, ensure_dir, safe_name, write_atomic
from pexmail.output.ledger import Conflict, Ledger, default_ledger_path
from pexmail.output.manifest import (
    MANIFEST_COLUMNS,
    CsvStream,
    RejectsWriter,
    document_row,
    write_summary,
)
from pexmail.output.printfile import merge_pdfs
from pexmail.render.cover import render_cover
from pexmail.render.letter import FORMATS, LetterRenderer, PreparedLetter, Refused, RenderedLetter

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class BatchOptions:
    run_date: date
    formats: tuple[str, ...] = FORMATS
    pdf_variant: str | None = None
    source: str | None = None
    encoding: str | None = None
    ledger: Path | None = None  # default: next to the output folder
    use_ledger: bool = True
    dry_run: bool = False  # plan and report; write nothing, neither files nor ledger
    # Names shown in messages and rejects.csv instead of the paths, one per file
    # (the service shows the names the user uploaded, not its own folders).
    displays: tuple[str, ...] = ()
    allow_stale: bool = False  # print contacts past max age (recorded in the manifest)


@dataclass
class BatchResult:
    out_dir: Path
    summary: dict[str, Any]
    refusals: list[Suppression] = field(default_factory=list)  # documents that could not be made

    @property
    def complete(self) -> bool:
        """False when a file could not be read to its end."""
        return not any(f.get("error") for f in self.summary["files"])

    @property
    def rejected_rows(self) -> int:
        return int(self.summary["rows"]["rejected"])

    @property
    def refused(self) -> int:
        return len(self.refusals)


REFUSALS = {"render_error", "address_unprintable", "stale_contact"}


def _noop(step: str, done: int, total: int | None) -> None:
    return None


# Written first into every output folder: a run killed before its summary can be resumed there.
OUTPUT_MARK = ".pexmail-output"


def check_output_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(
            file=str(out_dir), message="the output path exists and is not a folder"
        )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / OUTPUT_MARK).is_file():
        raise InputFileError(
            file=str(out_dir),
            message="the output folder is not empty and was not written by pexmail",
            hint="choose a new folder with --out",
        )


def inspect_files(paths: Sequence[Path], catalog: Catalog, options: BatchOptions) -> list[FileInfo]:
    """Read every header first: an unrecognised file stops the batch before anything is written."""
    displays = options.displays or tuple(str(path) for path in paths)
    return [
        inspect_file(path, catalog, source=options.source, encoding=options.encoding, display=name)
        for path, name in zip(paths, displays, strict=True)
    ]


@dataclass
class _Tally:
    """Running counts: the batch keeps figures, not rows, in memory."""

    rows_rendered: int = 0
    rows_suppressed: int = 0
    households: int = 0
    with_documents: int = 0
    from_several_rows: int = 0
    uncoordinated_letters: int = 0
    letters_per_household: Counter = field(default_factory=Counter)
    uncoordinated_per_household: Counter = field(default_factory=Counter)
    carried: int = 0
    conflicts: Counter = field(default_factory=Counter)
    rules: Counter = field(default_factory=Counter)
    reviews: int = 0
    mailings: int = 0
    letters_in_mailings: int = 0
    pages: int = 0
    documents: Counter = field(default_factory=Counter)  # format → files
    suppressed: Counter = field(default_factory=Counter)  # code → suppressions
    reasons: Counter = field(default_factory=Counter)
    planned: Counter = field(
        default_factory=Counter
    )  # letter id → letters issued or carried (dry run: due)
    contacts_to_review: Counter = field(default_factory=Counter)  # entry id → letters
    stale_contacts_allowed: Counter = field(default_factory=Counter)  # entry id → letters


class _Batch:
    """The state of one run; :func:`run_batch` drives it."""

    def __init__(
        self, catalog: Catalog, out_dir: Path, options: BatchOptions, report: Progress
    ) -> None:
        self.catalog = catalog
        self.out_dir = out_dir.resolve()
        self.options = options
        self.report = report
        self.renderer = LetterRenderer(
            catalog,
            options.run_date,
            options.formats,
            options.pdf_variant,
            allow_stale=options.allow_stale,
        )
        # Figures and small lists only: rows, documents and decisions stream to files.
        self.refused: list[Suppression] = []
        self.pending_suppressions: list[Suppression] = []
        self.single_letter_pdfs: dict[str, list[str]] = {}  # letter id → paths, for print files
        self.mailing_pdfs: list[str] = []
        self.tally = _Tally()
        out = None if options.dry_run else self.out_dir
        self.manifest = CsvStream(out and out / "manifest.csv", MANIFEST_COLUMNS)
        self.mailings = CsvStream(out and out / "mailings.csv", MAILING_COLUMNS)
        self.households_csv = CsvStream(out and out / "households.csv", HOUSEHOLD_COLUMNS)
        self.review = CsvStream(out and out / "review.csv", REVIEW_COLUMNS)
        self.rejects = RejectsWriter(out and out / "rejects.csv")
        self.streams = (
            self.manifest,
            self.mailings,
            self.households_csv,
            self.review,
            self.rejects,
        )
        self.ledger: Ledger | None = None
        self.history: History = MemoryHistory()
        self.run_id = "dry-run" if options.dry_run else "no-ledger"
        matching = catalog.document.matching
        self.thresholds = Thresholds(
            matching.name_min_score, matching.street_min_score, matching.review_min_score
        )

    # -- ledger ---------------------------------------------------------------------
    def open_ledger(self) -> None:
        if not self.options.use_ledger:
            return
        path = self.options.ledger or default_ledger_path(self.out_dir)
        if self.options.dry_run:
            if path.exists():
                self.ledger = Ledger.open(path, readonly=True)
                self.history = self.ledger
            return
        self.ledger = Ledger.open(path)
        self.history = self.ledger
        self.run_id = self.ledger.begin_run(
            self.options.run_date, self.out_dir, self.catalog.sha256
        )

    # -- households -----------------------------------------------------------------
    def households(self, store: CaseStore) -> None:
        PROGRESS.info("Step 3 - Grouping households and rendering")
        for block in store.blocks():
            known = []
            if self.ledger is not None:
                postcode, number = block[0][1].block
                known = self.ledger.known_in_block(postcode, number)
            groups, reviews = match_block(block, known, self.thresholds)
            self._record_reviews(reviews)
            for group in groups:
                self.household(group)
            if len(self.pending_suppressions) >= 2000:
                self.flush_ledger()
        self.flush_ledger()

    def flush_ledger(self) -> None:
        """Suppressions and the heartbeat go to the ledger in one transaction every few thousand."""
        if self.ledger is not None and not self.options.dry_run:
            self.ledger.record_suppressions(self.run_id, self.pending_suppressions)
            self.ledger.heartbeat(self.run_id)
        self.pending_suppressions.clear()

    def household(self, group: Group) -> None:
        catalog = self.catalog
        household = merge_household(group.key, group.cases, catalog)
        self.tally.households += 1
        if len(group.cases) > 1:
            self.tally.from_several_rows += 1
        for decision in group.decisions:
            self.tally.rules[decision.rule] += 1
        for note in household.notes:
            self.tally.conflicts[note.split(":")[0]] += 1
        # What the partners would have sent alone, row by row, without coordination.
        alone = sum(
            len(select_letters(catalog, case, self.options.run_date).letters)
            for case in group.cases
        )
        self.tally.uncoordinated_letters += alone
        self.tally.uncoordinated_per_household[alone] += 1

        plan = plan_mailing(household, catalog, self.options.run_date, self.history, self.out_dir)
        suppressions = list(plan.suppressions)
        prepared: list[tuple[PreparedLetter, list[Document]]] = []
        for choice in plan.letters:
            letter = catalog.letter(choice.letter_id, choice.version)
            outcome = self.issue(household, letter)
            if isinstance(outcome, Suppression):
                suppressions.append(outcome)
            else:
                prepared.append(outcome)
                self.tally.planned[letter.id] += 1
        carried = [self.carry(household, issued) for issued in plan.carried]
        issued_count = len(prepared) + len(carried)
        self.suppress(suppressions)
        self.tally.letters_per_household[issued_count] += 1
        rows = len(household.cases)
        if issued_count:
            self.tally.with_documents += 1
            self.tally.rows_rendered += rows
        else:
            self.tally.rows_suppressed += rows
        if issued_count > 1:
            self.mailing(household, prepared, carried)
        else:
            for _, documents in [*prepared, *carried]:
                for document in documents:
                    if document.format == "pdf":
                        self.single_letter_pdfs.setdefault(document.letter_id, []).append(
                            document.path
                        )
        self.households_csv.write(_household_row(group, household, plan, issued_count))
        self.report("households", self.tally.households, None)

    def suppress(self, suppressions: Sequence[Suppression]) -> None:
        for suppression in suppressions:
            self.tally.suppressed[suppression.code] += 1
            self.tally.reasons[suppression.reason] += 1
            if suppression.code in REFUSALS:
                self.refused.append(suppression)
        self.pending_suppressions.extend(suppressions)

    def record(self, document: Document) -> None:
        self.manifest.write(document_row(document))
        self.tally.documents[document.format] += 1
        self.tally.pages += document.pages or 0

    def _record_reviews(self, reviews: Sequence[ReviewPair]) -> None:
        for pair in reviews:
            self.tally.reviews += 1
            other = (
                f"{pair.b.location.file}:{pair.b.location.row}"
                if pair.b
                else f"ledger household {pair.known_key}"
            )
            self.review.write(
                (
                    f"{pair.a.location.file}:{pair.a.location.row}",
                    other,
                    f"{pair.name_score:.0f}",
                    f"{pair.street_score:.0f}",
                    pair.reason,
                )
            )

    # -- letters --------------------------------------------------------------------
    def issue(
        self, household: Household, letter: Letter
    ) -> tuple[PreparedLetter, list[Document]] | Suppression:
        """Reserve, prepare, render, write, record: one letter for one household."""
        episode = episode_of(household.facts.act_date)
        reservation = None
        if self.ledger is not None and not self.options.dry_run:
            reservation = self.ledger.reserve(
                self.run_id,
                household.key,
                letter.id,
                episode,
                version=letter.version,
                sender=letter.sender,
                stage=letter.stage,
                run_date=self.options.run_date,
                out_dir=self.out_dir,
            )
            if isinstance(reservation, Conflict):
                return Suppression(household.key, reservation.code, reservation.reason, letter.id)
        try:
            prepared = self.renderer.prepare(letter, household.facts)
            self.tally.contacts_to_review.update(prepared.freshness.review_ids)
            self.tally.stale_contacts_allowed.update(prepared.freshness.stale_ids)
            if self.options.dry_run:
                return prepared, []
            rendered = self.renderer.render(prepared)
        except Refused as refusal:
            if reservation is not None and self.ledger is not None:
                self.ledger.release(reservation, self.run_id)
            LOGGER.error("%s: %s refused (%s)", household.key, letter.id, refusal.code)
            return Suppression(household.key, refusal.code, refusal.reason, letter.id)
        documents = self.write(household, letter, rendered)
        if reservation is not None and self.ledger is not None:
            self.ledger.commit(
                reservation, self.run_id, documents, [identity(c) for c in household.cases]
            )
        elif isinstance(self.history, MemoryHistory):
            self.history.add(
                _issued(household, letter, episode, self.options.run_date, self.out_dir, documents)
            )
        return prepared, documents

    def write(
        self, household: Household, letter: Letter, rendered: RenderedLetter
    ) -> list[Document]:
        documents = []
        freshness = rendered.prepared.freshness
        for fmt, (data, pages) in rendered.outputs.items():
            relative = document_path(household.key, letter.id, letter.version, fmt)
            write_atomic(self.out_dir / relative, data)
            documents.append(
                Document(
                    household_key=household.key,
                    letter_id=letter.id,
                    version=letter.version,
                    sender=letter.sender,
                    format=fmt,
                    path=relative,
                    sha256=hashlib.sha256(data).hexdigest(),
                    pages=pages,
                    case_ids=tuple(dict.fromkeys(c.case_id for c in household.cases)),
                    contacts_to_review=freshness.review_ids,
                    stale_contacts_allowed=freshness.stale_ids,
                )
            )
        for document in documents:
            self.record(document)
        return documents

    def carry(
        self, household: Household, issued: IssuedLetter
    ) -> tuple[PreparedLetter | None, list[Document]]:
        """A letter an interrupted run of this same batch already issued: listed again, not re-sent.

        If its file went missing, it is rendered again (same text, same bytes)."""
        self.tally.carried += 1
        self.tally.planned[issued.letter_id] += 1
        letter = self.catalog.letter(issued.letter_id, issued.version)
        rows = (
            self.ledger.documents_of(household.key, issued.letter_id, issued.episode)
            if self.ledger
            else []
        )
        documents = []
        rendered = None
        prepared = None
        try:
            prepared = self.renderer.prepare(letter, household.facts)
        except Refused:
            prepared = None
        review = prepared.freshness.review_ids if prepared else ()
        stale = prepared.freshness.stale_ids if prepared else ()
        for fmt, path, sha256, pages in rows:
            target = self.out_dir / path
            if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != sha256:
                if rendered is None:
                    rendered = self.renderer.render(self.renderer.prepare(letter, household.facts))
                if fmt in rendered.outputs:
                    write_atomic(target, rendered.outputs[fmt][0])
            documents.append(
                Document(
                    household.key,
                    letter.id,
                    letter.version,
                    letter.sender,
                    fmt,
                    path,
                    sha256,
                    pages,
                    tuple(dict.fromkeys(c.case_id for c in household.cases)),
                    review,
                    stale,
                )
            )
        for document in documents:
            self.record(document)
        return prepared, documents

    # -- mailings ---------------------------------------------------------------------
    def mailing(
        self,
        household: Household,
        prepared: list[tuple[PreparedLetter, list[Document]]],
        carried: list[tuple[PreparedLetter | None, list[Document]]],
    ) -> None:
        """Several letters for one household: one PDF, a cover page first, one envelope."""
        letters = [p for p, _ in prepared] + [p for p, _ in carried if p is not None]
        files = [d for _, docs in [*prepared, *carried] for d in docs if d.format == "pdf"]
        mailing_id = f"{household.key}-{self.options.run_date.isoformat()}"
        self.tally.mailings += 1
        self.tally.letters_in_mailings += len(prepared) + len(carried)
        row = [mailing_id, household.key, " ".join(p.letter.id for p in letters), 0, "", ""]
        if self.options.dry_run or len(files) < 2:
            self.mailings.write(row)
            return
        order = {p.letter.id: i for i, p in enumerate(letters)}
        files.sort(key=lambda d: order.get(d.letter_id, len(order)))
        try:
            cover, _ = render_cover(self.renderer, letters, mailing_id)
        except Refused as refusal:
            # The letters still go, as loose letters; the missing cover is reported.
            LOGGER.error("%s: mailing cover refused (%s)", household.key, refusal.code)
            self.suppress([Suppression(household.key, "cover_refused", refusal.reason)])
            for document in files:
                self.single_letter_pdfs.setdefault(document.letter_id, []).append(document.path)
            self.mailings.write(row)
            return
        relative = f"mailings/{safe_name(mailing_id)}.pdf"
        cover_path = self.out_dir / "mailings" / f".{safe_name(mailing_id)}-cover.pdf"
        write_atomic(cover_path, cover)
        pages = merge_pdfs(
            [cover_path, *(self.out_dir / d.path for d in files)], self.out_dir / relative
        )
        cover_path.unlink()
        digest = hashlib.sha256((self.out_dir / relative).read_bytes()).hexdigest()
        self.mailings.write([*row[:3], pages, digest, relative])
        self.mailing_pdfs.append(relative)

    # -- print files ------------------------------------------------------------------
    def print_files(self) -> list[dict[str, Any]]:
        """One file per letter type for single-letter mailings; one for combined mailings."""
        PROGRESS.info("Step 5 - Writing print files")
        entries = []
        for letter_id, paths in self.single_letter_pdfs.items():
            target = self.out_dir / "print" / f"{letter_id}.pdf"
            pages = merge_pdfs([self.out_dir / p for p in paths], target)
            entries.append(
                {
                    "kind": "letter",
                    "letter_id": letter_id,
                    "path": f"print/{letter_id}.pdf",
                    "letters": len(paths),
                    "pages": pages,
                }
            )
        if self.mailing_pdfs:
            pages = merge_pdfs(
                [self.out_dir / p for p in self.mailing_pdfs],
                self.out_dir / "print" / "mailings.pdf",
            )
            entries.append(
                {
                    "kind": "mailings",
                    "letter_id": None,
                    "path": "print/mailings.pdf",
                    "mailings": len(self.mailing_pdfs),
                    "pages": pages,
                }
            )
        return entries


def run_batch(
    paths: Sequence[Path],
    catalog: Catalog,
    out_dir: Path,
    options: BatchOptions,
    progress: Progress | None = None,
) -> BatchResult:
    """Render every letter due for the cases in ``paths`` at ``options.run_date``."""
    started = time.monotonic()
    unknown = [f for f in options.formats if f not in FORMATS]
    if unknown:
        raise PexmailError(f"unknown format(s) {', '.join(unknown)}; expected pdf and/or docx")
    if not options.dry_run:
        check_output_dir(out_dir)
    PROGRESS.info("Step 1 - Reading headers (%d files)", len(paths))
    infos = inspect_files(paths, catalog, options)
    if not options.dry_run:
        ensure_dir(out_dir)
        write_atomic(out_dir / OUTPUT_MARK, f"pexmail {__version__}\n".encode())
    batch = _Batch(catalog, out_dir, options, progress or _noop)
    batch.renderer.preflight()
    status = "failed"
    try:
        batch.open_ledger()
        with CaseStore() as store:
            file_reports = _read_files(infos, catalog, options, store, batch.rejects, batch.report)
            batch.households(store)
        print_files = [] if options.dry_run else batch.print_files()
        summary = _summary(batch, file_reports, print_files)
        summary["duration_seconds"] = round(time.monotonic() - started, 2)
        for stream in batch.streams:
            stream.finish()
        if not options.dry_run:
            write_summary(batch.out_dir / "summary.json", summary)
        status = "done"
    finally:
        for stream in batch.streams:
            stream.abort()
        if batch.ledger is not None:
            if not options.dry_run:
                batch.ledger.finish_run(
                    batch.run_id, status, _run_stats(batch) if status == "done" else None
                )
            batch.ledger.close()
    return BatchResult(batch.out_dir, summary, batch.refused)


def _read_files(
    infos: Sequence[FileInfo],
    catalog: Catalog,
    options: BatchOptions,
    store: CaseStore,
    rejects: RejectsWriter,
    report: Progress,
) -> list[dict[str, Any]]:
    reports = []
    for info in infos:
        PROGRESS.info("Step 2 - Reading cases (%s)", info.display)
        stats = FileStats()
        rejected_here = 0
        for record in read_cases(info, catalog, options.run_date, stats):
            if isinstance(record, Rejection):
                rejects.add(record)
                rejected_here += 1
                LOGGER.warning(
                    "%s:%s: row rejected (%s)",
                    record.location.file,
                    record.location.row,
                    ", ".join(p.code for p in record.problems),
                )
            else:
                store.add(record)
            report("rows", stats.rows, None)
        if stats.error:
            LOGGER.error("%s: %s", info.display, stats.error)
        reports.append(
            {
                "file": info.display,
                "source": info.columns.source.id,
                "encoding": info.encoding,
                "delimiter": info.delimiter,
                "rows": stats.rows,
                "rejected": rejected_here,
                "blank_lines": stats.blank_lines,
                "ignored_columns": list(info.columns.ignored),
                "error": stats.error,
            }
        )
    return reports


MAILING_COLUMNS = ("mailing_id", "household_key", "letters", "pages", "sha256", "path")
HOUSEHOLD_COLUMNS = (
    "household_key",
    "rows",
    "rules",
    "name_scores",
    "street_scores",
    "known",
    "stage",
    "letters",
    "notes",
)
REVIEW_COLUMNS = ("row", "other", "name_score", "street_score", "reason")


def _household_row(group: Group, household: Household, plan: Plan, issued: int) -> tuple:
    decisions = group.decisions
    return (
        household.key,
        " ".join(f"{d.case.location.file}:{d.case.location.row}" for d in decisions),
        " ".join(d.rule for d in decisions),
        " ".join(f"{d.name_score:.0f}" for d in decisions),
        " ".join(f"{d.street_score:.0f}" for d in decisions),
        "yes" if group.known else "no",
        plan.stage,
        issued,
        " | ".join(household.notes),
    )


def _issued(
    household: Household,
    letter: Letter,
    episode: str,
    run_date: date,
    out_dir: Path,
    documents: list[Document],
) -> IssuedLetter:
    pdf = next((d for d in documents if d.format == "pdf"), documents[0] if documents else None)
    return IssuedLetter(
        household.key,
        letter.id,
        letter.version,
        letter.sender,
        letter.stage,
        episode,
        run_date,
        str(out_dir),
        pdf.path if pdf else "",
        pdf.sha256 if pdf else "",
    )


def _distribution(counter: Counter) -> dict[str, Any]:
    total = sum(counter.values())
    letters = sum(k * v for k, v in counter.items())
    return {
        "households": total,
        "letters": letters,
        "mean": round(letters / total, 2) if total else 0,
        "max": max((k for k, v in counter.items() if v), default=0),
        "histogram": {str(k): counter[k] for k in sorted(counter)},
    }


def _run_stats(batch: _Batch) -> dict[str, Any]:
    return {
        "new_letters": sum(batch.tally.planned.values()) - batch.tally.carried,
        "uncoordinated": _distribution(batch.tally.uncoordinated_per_household),
        "coordinated": _distribution(batch.tally.letters_per_household),
    }


def _summary(
    batch: _Batch, files: list[dict[str, Any]], print_files: list[dict[str, Any]]
) -> dict[str, Any]:
    tally = batch.tally
    rejects = batch.rejects
    read = sum(f["rows"] for f in files)
    totals = {
        "read": read,
        "used": tally.rows_rendered + tally.rows_suppressed,
        "rendered": tally.rows_rendered,
        "suppressed": tally.rows_suppressed,
        "rejected": rejects.rejected_rows,
    }
    if totals["read"] != totals["rendered"] + totals["suppressed"] + totals["rejected"]:
        raise AssertionError(f"row totals do not add up: {totals}")  # a bug, never bad input
    options = batch.options
    catalog = batch.catalog
    return {
        "pexmail": __version__,
        "run_date": options.run_date.isoformat(),
        "dry_run": options.dry_run,
        "catalog": {
            "path": str(catalog.path),
            "version": catalog.document.catalog.version,
            "sha256": catalog.sha256,
        },
        "ledger": {
            "path": str(batch.ledger.path) if batch.ledger else None,
            "run_id": batch.run_id,
        },
        "options": {"formats": list(options.formats), "pdf_variant": options.pdf_variant},
        "files": files,
        "rows": totals,
        "households": {
            "total": tally.households,
            "with_documents": tally.with_documents,
            "without_documents": tally.households - tally.with_documents,
            "from_several_rows": tally.from_several_rows,
            "match_rules": dict(tally.rules),
            "conflicting_facts": dict(tally.conflicts),
            "pairs_to_review": tally.reviews,
        },
        "coordination": {
            "without": _distribution(tally.uncoordinated_per_household),
            "with": _distribution(tally.letters_per_household),
        },
        "documents": {
            "total": sum(tally.documents.values()),
            "letters": sum(tally.planned.values()),
            "carried_from_an_interrupted_run": tally.carried,
            "by_format": dict(tally.documents),
            "by_letter": dict(tally.planned),
            "pages": tally.pages,
        },
        "mailings": {"combined": tally.mailings, "letters_in_combined": tally.letters_in_mailings},
        "rejections": {"rows": rejects.rejected_rows, "by_code": dict(rejects.by_code)},
        "suppressions": {
            "total": sum(tally.suppressed.values()),
            "by_code": dict(tally.suppressed),
            "reasons": dict(tally.reasons.most_common(50)),
        },
        "print_files": print_files,
        "contacts": {
            "allow_stale": options.allow_stale,
            "review_after_months": catalog.document.contacts.review_after_months,
            "max_age_months": catalog.document.contacts.max_age_months,
            "to_review": dict(tally.contacts_to_review.most_common()),
            "stale_printed": dict(tally.stale_contacts_allowed.most_common()),
        },
    }
