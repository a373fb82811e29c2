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

import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pexmail import __version__
from pexmail import worker as worker_module
from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.catalog.select import select_letters
from pexmail.chain.history import History, IssuedLetter, MemoryHistory, episode_of
from pexmail.chain.plan import Plan, plan_mailing
from pexmail.errors import InputFileError, PexmailError
from pexmail.falc.gate import REFUSED as FALC_REFUSED
from pexmail.falc.gate import FalcGate
from pexmail.households.match import Group, ReviewPair, Thresholds, match_block
from pexmail.households.merge import merge_household
from pexmail.households.normalize import identity
from pexmail.households.staging import CaseStore
from pexmail.ingest.cases import FileInfo, FileStats, inspect_file, read_cases
from pexmail.log import LOGGER, PROGRESS
from pexmail.model import Document, Household, LetterChoice, Rejection, Suppression
from pexmail.output.files import ensure_dir, sync_folder, write_atomic
from pexmail.output.ledger import (
    Conflict,
    Ledger,
    Reservation,
    ReserveRequest,
    default_ledger_path,
)
from pexmail.output.manifest import (
    MANIFEST_COLUMNS,
    CsvStream,
    RejectsWriter,
    document_row,
    write_summary,
)
from pexmail.output.printfile import INDEX_COLUMNS, PrintFiles
from pexmail.render.engine import DEFAULT_ENGINE
from pexmail.render.letter import FORMATS
from pexmail.render.typst import compiled_in_this_process as typst_compiled_here
from pexmail.worker import (
    CRASHED,
    CarriedLetter,
    HouseholdJob,
    HouseholdResult,
    HouseholdWriter,
    WorkerSettings,
    discard_files,
    failed_result,
    init_worker,
    make_renderer,
    merge_task,
    run_chunk,
)

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class BatchOptions:
    run_date: date
    formats: tuple[str, ...] = FORMATS
    pdf_variant: str | None = None
    engine: str = DEFAULT_ENGINE  # PDF engine: "weasyprint" or "typst"
    source: str | None = None
    encoding: str | None = None
    ledger: Path | None = None  # default: next to the output folder
    use_ledger: bool = True
    dry_run: bool = False  # plan and report; write nothing, neither files nor ledger
    # Names shown in messages and rejects.csv instead of the paths, one per file
    # (the service shows the names the user uploaded, not its own folders).
    displays: tuple[str, ...] = ()
    allow_stale: bool = False  # print contacts past max age (recorded in the manifest)
    falc_gate: bool = True  # refuse strict letters with FALC errors (pexmail.falc.gate)
    workers: int | None = None  # rendering processes; None: one per core (1 for small batches)
    chunk_size: int | None = None  # households per task sent to a worker; None: automatic


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


REFUSALS = {"render_error", "address_unprintable", "stale_contact", FALC_REFUSED, CRASHED}

# Below this many cases, starting worker processes costs more than it saves.
POOL_MIN_CASES = 150
# Households per pool task: enough to make inter-process traffic negligible, few enough that
# a pool of two has work to share and a killed run has little to redo.
CHUNK_SIZE = 24
# A small batch in one process records results (and commits the ledger) every few households.
IN_PROCESS_CHUNK_SIZE = 4


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
        self.renderer = make_renderer(catalog, options)
        self.gate = FalcGate(catalog, enabled=options.falc_gate)  # the workers' counts, added up
        self.settings = WorkerSettings(options, self.out_dir)
        # Figures and small lists only: rows, documents and decisions stream to files.
        self.refused: list[Suppression] = []
        self.pending_suppressions: list[Suppression] = []
        self.tally = _Tally()
        self.total_cases = 0
        self.cases_done = 0  # cases whose household is finished: the progress bar's ETA
        self.pool: ProcessPoolExecutor | None = None
        self.writer: HouseholdWriter | None = None
        self.workers = 1
        self.chunk_size = IN_PROCESS_CHUNK_SIZE
        self.max_in_flight = 2
        self.window: deque[tuple[list[_Planned], list[HouseholdJob], Future]] = deque()
        self.print_entries: list[dict[str, Any]] = []
        out = None if options.dry_run else self.out_dir
        # The last column says whether the FALC gate checked the document (off: --no-falc-gate).
        self.manifest = CsvStream(out and out / "manifest.csv", (*MANIFEST_COLUMNS, "falc_gate"))
        self.mailings = CsvStream(out and out / "mailings.csv", MAILING_COLUMNS)
        self.households_csv = CsvStream(out and out / "households.csv", HOUSEHOLD_COLUMNS)
        self.review = CsvStream(out and out / "review.csv", REVIEW_COLUMNS)
        self.rejects = RejectsWriter(out and out / "rejects.csv")
        if out is not None:
            ensure_dir(out / "print")
        self.print_index = CsvStream(out and out / "print" / "index.csv", INDEX_COLUMNS)
        self.streams = (
            self.manifest,
            self.mailings,
            self.households_csv,
            self.review,
            self.rejects,
            self.print_index,
        )
        settings = catalog.document.print
        self.prints = PrintFiles(
            self.out_dir,
            self.merge_print_part,
            self.print_index,
            settings.letters_per_file,
            settings.duplex,
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
        self.total_cases = store.count
        self.start_pool(store.count)
        try:
            chunk: list[_Planned] = []
            for block in store.blocks():
                known = []
                if self.ledger is not None:
                    postcode, number = block[0][1].block
                    known = self.ledger.known_in_block(postcode, number)
                groups, reviews = match_block(block, known, self.thresholds)
                self._record_reviews(reviews)
                for group in groups:
                    chunk.append(self.plan(group))
                    if len(chunk) >= self.chunk_size:
                        self.dispatch(chunk)
                        chunk = []
            if chunk:
                self.dispatch(chunk)
            while self.window:
                self.consume(*self.window.popleft())
            self.flush_ledger()
            if not self.options.dry_run:
                self.print_entries = self.prints.finish()
        finally:
            self.stop_pool()

    def flush_ledger(self) -> None:
        """Suppressions and the heartbeat go to the ledger in one transaction every few thousand."""
        if self.ledger is not None and not self.options.dry_run:
            self.ledger.record_suppressions(self.run_id, self.pending_suppressions)
            self.ledger.heartbeat(self.run_id)
        self.pending_suppressions.clear()

    def plan(self, group: Group) -> _Planned:
        """Merge the rows, count, plan the mailing: everything before the ledger and the renderer."""
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
        carried = tuple(
            CarriedLetter(
                issued.letter_id,
                issued.version,
                tuple(
                    self.ledger.documents_of(household.key, issued.letter_id, issued.episode)
                    if self.ledger
                    else ()
                ),
            )
            for issued in plan.carried
        )
        return _Planned(group, household, plan, list(plan.suppressions), carried)

    def dispatch(self, chunk: list[_Planned]) -> None:
        """Reserve the chunk's letters in one transaction, then render it (pool or here)."""
        requests = []
        for planned in chunk:
            episode = episode_of(planned.household.facts.act_date)
            for choice in planned.plan.letters:
                letter = self.catalog.letter(choice.letter_id, choice.version)
                requests.append(
                    (
                        planned,
                        choice,
                        ReserveRequest(
                            planned.household.key,
                            letter.id,
                            episode,
                            letter.version,
                            letter.sender,
                            letter.stage,
                        ),
                    )
                )
        if self.ledger is not None and not self.options.dry_run:
            outcomes = self.ledger.reserve_many(
                self.run_id,
                [r for _, _, r in requests],
                run_date=self.options.run_date,
                out_dir=self.out_dir,
            )
        else:
            outcomes = [None] * len(requests)
        for (planned, choice, _), outcome in zip(requests, outcomes, strict=True):
            if isinstance(outcome, Conflict):
                planned.suppressions.append(
                    Suppression(
                        planned.household.key, outcome.code, outcome.reason, choice.letter_id
                    )
                )
            else:
                planned.choices.append(choice)
                planned.reservations.append(outcome)
        jobs = [HouseholdJob(p.household, tuple(p.choices), p.carried) for p in chunk]
        if self.pool is None:
            self.consume(chunk, jobs, self.writer.run_chunk(jobs))
            return
        self.window.append((chunk, jobs, self.pool.submit(run_chunk, jobs)))
        # Back-pressure: a few chunks in flight per worker, never the whole batch.
        while len(self.window) > self.max_in_flight:
            self.consume(*self.window.popleft())

    def consume(
        self,
        chunk: list[_Planned],
        jobs: list[HouseholdJob],
        results: list[HouseholdResult] | Future,
    ) -> None:
        """Record a chunk's results, in submission order; commit its letters in one transaction."""
        if isinstance(results, Future):
            results = self.collect(jobs, results)
        issued: list[tuple[Reservation, Sequence[Document], list]] = []
        released: list[Reservation] = []
        for planned, result in zip(chunk, results, strict=True):
            self.finish_household(planned, result, issued, released)
        if self.ledger is not None and not self.options.dry_run:
            if issued:
                sync_folder(self.out_dir)  # the files are on disk before the ledger says issued
            self.ledger.commit_many(self.run_id, issued)
            self.ledger.release_many(self.run_id, released)
            if len(self.pending_suppressions) >= 2000:
                self.flush_ledger()

    def collect(self, jobs: list[HouseholdJob], future: Future) -> list[HouseholdResult]:
        """A chunk's results; if its worker died, each household is tried again on its own,
        and one that fails again has its letters refused (never lost)."""
        try:
            return future.result()
        except Exception as exc:
            LOGGER.error(
                "a rendering worker failed (%s): its %d households are tried again one by one",
                type(exc).__name__,
                len(jobs),
            )
        results = []
        for job in jobs:
            try:
                results.append(self.resubmit([job]).result()[0])
            except Exception as exc:
                LOGGER.error(
                    "%s: rendering failed twice (%s); its letters are refused",
                    job.household.key,
                    type(exc).__name__,
                )
                discard_files(self.out_dir, job, self.options.formats, self.options.run_date)
                results.append(
                    failed_result(
                        job,
                        f"the rendering process stopped unexpectedly ({type(exc).__name__});"
                        " nothing was issued, run the batch again",
                    )
                )
        return results

    def resubmit(self, jobs: list[HouseholdJob]) -> Future:
        assert self.pool is not None
        try:
            return self.pool.submit(run_chunk, jobs)
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            return self.pool.submit(run_chunk, jobs)

    def finish_household(
        self,
        planned: _Planned,
        result: HouseholdResult,
        issued: list[tuple[Reservation, Sequence[Document], list]],
        released: list[Reservation],
    ) -> None:
        household = planned.household
        suppressions = planned.suppressions
        letters = 0
        identities = [identity(c) for c in household.cases]
        if result.falc is not None:
            self.gate.add_counts(result.falc)
        for outcome, reservation in zip(result.letters, planned.reservations, strict=True):
            self.tally.contacts_to_review.update(outcome.review_ids)
            self.tally.stale_contacts_allowed.update(outcome.stale_ids)
            if outcome.refusal is not None:
                suppressions.append(outcome.refusal)
                if reservation is not None:
                    released.append(reservation)
                continue
            letters += 1
            self.tally.planned[outcome.letter_id] += 1
            for document in outcome.documents:
                self.record(document)
            if reservation is not None:
                issued.append((reservation, outcome.documents, identities))
            elif isinstance(self.history, MemoryHistory) and not self.options.dry_run:
                letter = self.catalog.letter(outcome.letter_id, planned_version(planned, outcome))
                self.history.add(
                    _issued(
                        household,
                        letter,
                        episode_of(household.facts.act_date),
                        self.options.run_date,
                        self.out_dir,
                        list(outcome.documents),
                    )
                )
        for documents, carried in zip(result.carried, planned.carried, strict=True):
            letters += 1
            self.tally.carried += 1
            self.tally.planned[carried.letter_id] += 1
            for document in documents:
                self.record(document)
        self.suppress(suppressions)
        self.tally.letters_per_household[letters] += 1
        rows = len(household.cases)
        if letters:
            self.tally.with_documents += 1
            self.tally.rows_rendered += rows
        else:
            self.tally.rows_suppressed += rows
        mailing = result.mailing
        loose = [
            d
            for docs in [*(o.documents for o in result.letters), *result.carried]
            for d in docs
            if d.format == "pdf"
        ]
        if mailing is not None:
            self.tally.mailings += 1
            self.tally.letters_in_mailings += letters
            self.mailings.write(
                [
                    mailing.mailing_id,
                    household.key,
                    mailing.letters,
                    mailing.pages,
                    mailing.sha256,
                    mailing.path,
                ]
            )
            if mailing.refusal is not None:
                self.suppress([mailing.refusal])
            if mailing.path:
                loose = []
                self.prints.add(
                    "mailings", mailing.path, mailing.pages, household.key, mailing.letters
                )
        for document in loose:
            self.prints.add(
                document.letter_id,
                document.path,
                document.pages or 0,
                household.key,
                document.letter_id,
            )
        if result.envelope is not None:
            self.record(result.envelope)
            self.prints.add(
                "envelopes",
                result.envelope.path,
                result.envelope.pages or 0,
                household.key,
                result.envelope.letter_id,
            )
        if result.envelope_refusal is not None:
            self.suppress([result.envelope_refusal])
        self.households_csv.write(_household_row(planned.group, household, planned.plan, letters))
        self.cases_done += rows
        self.report("households", self.tally.households, None)
        self.report("letters", sum(self.tally.planned.values()), None)
        self.report("cases", self.cases_done, self.total_cases)

    def suppress(self, suppressions: Sequence[Suppression]) -> None:
        for suppression in suppressions:
            self.tally.suppressed[suppression.code] += 1
            self.tally.reasons[suppression.reason] += 1
            if suppression.code in REFUSALS:
                self.refused.append(suppression)
        self.pending_suppressions.extend(suppressions)

    def record(self, document: Document) -> None:
        self.manifest.write((*document_row(document), "on" if self.options.falc_gate else "off"))
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

    # -- the pool ---------------------------------------------------------------------
    def start_pool(self, cases: int) -> None:
        """Worker processes for a batch worth their start-up; in-process otherwise."""
        workers = self.options.workers
        if workers is None:
            workers = os.cpu_count() or 1
            if cases < POOL_MIN_CASES:
                workers = 1
        if self.options.dry_run:
            workers = 1  # nothing to render
        self.workers = max(1, workers)
        if self.options.chunk_size:
            self.chunk_size = self.options.chunk_size
        else:
            small = cases < POOL_MIN_CASES
            self.chunk_size = IN_PROCESS_CHUNK_SIZE if small and self.workers == 1 else CHUNK_SIZE
        self.max_in_flight = 2 * self.workers
        if self.workers == 1:
            self.writer = HouseholdWriter(self.catalog, self.settings)
            self.writer.use_renderer(self.renderer)  # already compiled by the preflight
            return
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # fork: workers inherit the loaded catalogue and start in milliseconds. Not once
        # Typst has compiled here (the service, a test process): its layout threads are not
        # copied by a fork, and a forked worker would wait for them forever.
        fork = "fork" in multiprocessing.get_all_start_methods() and not typst_compiled_here()
        context = multiprocessing.get_context("fork" if fork else "spawn")
        worker_module._INHERITED = (self.catalog, self.settings)
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(os.getpid(), str(self.catalog.path), self.settings),
        )

    def stop_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        worker_module._INHERITED = None

    def merge_print_part(self, paths: list[str], target: str, blanks: list[bool]) -> Any:
        if self.pool is None:
            return merge_task(paths, target, blanks)
        try:
            return self.pool.submit(merge_task, paths, target, blanks)
        except BrokenProcessPool:
            self.pool = self._new_pool()
            return self.pool.submit(merge_task, paths, target, blanks)


@dataclass
class _Planned:
    """A household planned by the parent, waiting for its rendering results."""

    group: Group
    household: Household
    plan: Plan
    suppressions: list[Suppression]
    carried: tuple[CarriedLetter, ...]
    choices: list[LetterChoice] = field(default_factory=list)  # reserved, sent to render
    reservations: list[Reservation | None] = field(default_factory=list)


def planned_version(planned: _Planned, outcome: Any) -> str:
    return next(c.version for c in planned.choices if c.letter_id == outcome.letter_id)


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
        summary = _summary(batch, file_reports, batch.print_entries)
        summary["workers"] = batch.workers
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
                "column_suggestions": [
                    {"header": h, "expected": e, "field": f} for h, e, f in info.columns.suggestions
                ],
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
        "options": {
            "formats": list(options.formats),
            "pdf_variant": options.pdf_variant,
            "falc_gate": options.falc_gate,
            "engine": options.engine,
        },
        "falc": batch.gate.summary(),
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
