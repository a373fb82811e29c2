"""The rendering half of a batch: one household's letters → files, in a worker process or not.

The parent process (:mod:`pexmail.pipeline`) reads, matches, plans and reserves;
it sends :class:`HouseholdJob` s here, in chunks, and gets small
:class:`HouseholdResult` s back (paths, sha256, pages, refusals), never the
documents themselves. A worker loads the catalogue's templates, fonts, QR images
and engines once (:func:`init_worker`), then writes each household's files
atomically: its letters, and when it gets several, one mailing PDF with a cover.

Nothing here touches the ledger or the output CSVs: the parent records results in
submission order, so the output is the same whatever the number of workers or
the chunk size.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pexmail.catalog.load import Catalog
from pexmail.falc.gate import FalcGate
from pexmail.log import LOGGER
from pexmail.model import Document, Household, LetterChoice, Suppression
from pexmail.output.files import document_path, safe_name, write_atomic
from pexmail.output.printfile import merge_pdfs
from pexmail.render.cover import render_cover
from pexmail.render.engine import lay_out_on_one_thread, remove_scratch_folders
from pexmail.render.envelope import write_envelope
from pexmail.render.letter import LetterRenderer, PreparedLetter, Refused

# A household whose rendering failed for a reason other than a refusal (a bug, a
# worker process killed): its letters are refused with this code, never lost.
CRASHED = "render_crashed"


@dataclass(frozen=True, slots=True)
class CarriedLetter:
    """A letter an interrupted run of this batch already issued: listed again, not re-sent."""

    letter_id: str
    version: str
    documents: tuple[tuple[str, str, str, int | None], ...]  # format, path, sha256, pages


@dataclass(frozen=True, slots=True)
class HouseholdJob:
    household: Household
    letters: tuple[LetterChoice, ...]  # reserved: to render now, in mailing order
    carried: tuple[CarriedLetter, ...] = ()


@dataclass(frozen=True, slots=True)
class LetterOutcome:
    letter_id: str
    documents: tuple[Document, ...] = ()
    refusal: Suppression | None = None
    # Directory entries the letter prints that are due for review / stale but allowed.
    review_ids: tuple[str, ...] = ()
    stale_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MailingOutcome:
    mailing_id: str
    letters: str  # letter ids, space-separated, in mailing order
    pages: int = 0
    sha256: str = ""
    path: str = ""  # "" when no mailing PDF was made (dry run, cover refused)
    refusal: Suppression | None = None  # the cover could not be made: letters go loose


@dataclass(frozen=True, slots=True)
class HouseholdResult:
    key: str
    letters: tuple[LetterOutcome, ...]  # one per job letter, same order
    carried: tuple[tuple[Document, ...], ...]  # one per carried letter, same order
    mailing: MailingOutcome | None = None
    # The FALC gate's counts for this household (FalcGate.take_counts), added up by the parent.
    falc: tuple[int, int, dict[str, int], dict[str, int]] | None = None
    envelope: Document | None = None  # the DL envelope, when a letter asks for one
    envelope_refusal: Suppression | None = None


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs besides the catalogue; every field comes from the batch's options."""

    options: Any  # pipeline.BatchOptions (not imported: the pipeline imports this module)
    out_dir: Path


def make_renderer(catalog: Catalog, options: Any) -> LetterRenderer:
    """The one place a batch builds its renderer: every rendering option passes through here."""
    return LetterRenderer(
        catalog,
        options.run_date,
        options.formats,
        options.pdf_variant,
        allow_stale=options.allow_stale,
        engine=options.engine,
    )


class HouseholdWriter:
    """Prepares, renders and writes households' letters; one per process."""

    def __init__(self, catalog: Catalog, settings: WorkerSettings) -> None:
        self.catalog = catalog
        self.options = settings.options
        self.out_dir = settings.out_dir
        self.run_date: date = settings.options.run_date
        self.dry_run: bool = settings.options.dry_run
        self.renderer = make_renderer(catalog, settings.options)
        self.gate = FalcGate(catalog, enabled=settings.options.falc_gate)
        self.use_renderer(self.renderer)

    def use_renderer(self, renderer: LetterRenderer) -> None:
        """Render with ``renderer`` (in-process runs share the parent's, already warmed up)."""
        self.renderer = renderer
        inspect = self.gate.inspector()
        if inspect is not None and "pdf" in renderer.formats and renderer.engine == "weasyprint":
            renderer.pdf.inspect = inspect  # the FALC layout checks read the laid-out boxes

    def warm_up(self) -> None:
        """Load the engines (fonts, layouts) before the first job, not during it."""
        self.renderer.preflight()
        if self.dry_run:
            return
        if "pdf" in self.renderer.formats:
            _ = self.renderer.pdf
        if "docx" in self.renderer.formats:
            _ = self.renderer.docx

    def run_chunk(self, jobs: Sequence[HouseholdJob]) -> list[HouseholdResult]:
        return [self.run(job) for job in jobs]

    def run(self, job: HouseholdJob) -> HouseholdResult:
        """One household; an unexpected error refuses its letters instead of stopping the batch."""
        try:
            return self._run(job)
        except Exception as exc:
            LOGGER.error(
                "%s: rendering failed unexpectedly (%s)", job.household.key, type(exc).__name__
            )
            self.discard(job)
            return failed_result(
                job, f"the renderer failed unexpectedly ({type(exc).__name__}); nothing was issued"
            )

    def _run(self, job: HouseholdJob) -> HouseholdResult:
        household = job.household
        outcomes: list[LetterOutcome] = []
        prepared: list[tuple[PreparedLetter, tuple[Document, ...]]] = []
        for choice in job.letters:
            letter = self.catalog.letter(choice.letter_id, choice.version)
            text = None
            try:
                text = self.renderer.prepare(letter, household.facts)
                self.gate.check_text(text)
                documents: tuple[Document, ...] = ()
                if not self.dry_run:
                    rendered = self.renderer.render(text)
                    self.gate.check_layout(rendered)
                    documents = self.write(household, letter, rendered)
            except Refused as refusal:
                LOGGER.error("%s: %s refused (%s)", household.key, letter.id, refusal.code)
                outcomes.append(
                    LetterOutcome(
                        letter.id,
                        refusal=Suppression(household.key, refusal.code, refusal.reason, letter.id),
                    )
                )
                continue
            fresh = text.freshness
            outcomes.append(
                LetterOutcome(letter.id, documents, None, fresh.review_ids, fresh.stale_ids)
            )
            prepared.append((text, documents))
        carried = [self.carry(household, c) for c in job.carried]
        mailing = None
        if len(prepared) + len(carried) > 1:
            mailing = self.mailing(household, prepared, carried)
        envelope, envelope_refusal = self.envelope(
            household, [p for p, _ in [*prepared, *carried] if p is not None]
        )
        return HouseholdResult(
            household.key,
            tuple(outcomes),
            tuple(docs for _, docs in carried),
            mailing,
            self.gate.take_counts(),
            envelope,
            envelope_refusal,
        )

    def envelope(
        self, household: Household, letters: list[PreparedLetter]
    ) -> tuple[Document | None, Suppression | None]:
        """One DL envelope per mailing holding a letter that asks for one (render/envelope.py)."""
        if self.dry_run or "pdf" not in self.renderer.formats or not letters:
            return None, None
        case_ids = list(dict.fromkeys(c.case_id for c in household.cases))
        try:
            document = write_envelope(
                self.renderer, self.out_dir, household.key, case_ids, letters, self.run_date
            )
        except Refused as refusal:
            return None, Suppression(household.key, "envelope_refused", refusal.reason)
        return document, None

    def write(self, household: Household, letter: Any, rendered: Any) -> tuple[Document, ...]:
        documents = []
        case_ids = tuple(dict.fromkeys(c.case_id for c in household.cases))
        freshness = rendered.prepared.freshness
        for fmt, (data, pages) in rendered.outputs.items():
            relative = document_path(household.key, letter.id, letter.version, fmt)
            write_atomic(self.out_dir / relative, data, durable=False)
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
                    case_ids=case_ids,
                    contacts_to_review=freshness.review_ids,
                    stale_contacts_allowed=freshness.stale_ids,
                )
            )
        return tuple(documents)

    def carry(
        self, household: Household, carried: CarriedLetter
    ) -> tuple[PreparedLetter | None, tuple[Document, ...]]:
        """Files of a letter already issued into this folder; made again if one went missing
        (same text, same bytes)."""
        letter = self.catalog.letter(carried.letter_id, carried.version)
        case_ids = tuple(dict.fromkeys(c.case_id for c in household.cases))
        prepared: PreparedLetter | None = None
        with contextlib.suppress(Refused):
            prepared = self.renderer.prepare(letter, household.facts)
        rendered = None
        documents = []
        for fmt, path, sha256, pages in carried.documents:
            target = self.out_dir / path
            if not self.dry_run and (
                not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != sha256
            ):
                if rendered is None and prepared is not None:
                    rendered = self.renderer.render(prepared)
                if rendered is not None and fmt in rendered.outputs:
                    write_atomic(target, rendered.outputs[fmt][0], durable=False)
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
                    case_ids,
                    contacts_to_review=prepared.freshness.review_ids if prepared else (),
                    stale_contacts_allowed=prepared.freshness.stale_ids if prepared else (),
                )
            )
        return prepared, tuple(documents)

    def mailing(
        self,
        household: Household,
        prepared: list[tuple[PreparedLetter, tuple[Document, ...]]],
        carried: list[tuple[PreparedLetter | None, tuple[Document, ...]]],
    ) -> MailingOutcome:
        """Several letters for one household: one PDF, a cover page first, one envelope."""
        letters = [p for p, _ in prepared] + [p for p, _ in carried if p is not None]
        files = [d for _, docs in [*prepared, *carried] for d in docs if d.format == "pdf"]
        mailing_id = f"{household.key}-{self.run_date.isoformat()}"
        ids = " ".join(p.letter.id for p in letters)
        if self.dry_run or len(files) < 2:
            return MailingOutcome(mailing_id, ids)
        order = {p.letter.id: i for i, p in enumerate(letters)}
        files.sort(key=lambda d: order.get(d.letter_id, len(order)))
        try:
            cover, _ = render_cover(self.renderer, letters, mailing_id)
        except Refused as refusal:
            # The letters still go, as loose letters; the missing cover is reported.
            LOGGER.error("%s: mailing cover refused (%s)", household.key, refusal.code)
            return MailingOutcome(
                mailing_id,
                ids,
                refusal=Suppression(household.key, "cover_refused", refusal.reason),
            )
        relative = f"mailings/{safe_name(mailing_id)}.pdf"
        cover_path = self.out_dir / "mailings" / f".{safe_name(mailing_id)}-cover.pdf"
        write_atomic(cover_path, cover, durable=False)
        try:
            pages = merge_pdfs(
                [cover_path, *(self.out_dir / d.path for d in files)],
                self.out_dir / relative,
                durable=False,
            )
        finally:
            cover_path.unlink(missing_ok=True)
        digest = hashlib.sha256((self.out_dir / relative).read_bytes()).hexdigest()
        return MailingOutcome(mailing_id, ids, pages, digest, relative)

    def discard(self, job: HouseholdJob) -> None:
        """Remove what a failed household left: files of letters not issued, half-written files.

        Files of carried letters (already issued) stay."""
        discard_files(self.out_dir, job, self.renderer.formats, self.run_date)


def discard_files(out_dir: Path, job: HouseholdJob, formats: Sequence[str], run_date: date) -> None:
    key = job.household.key
    targets = [
        out_dir / document_path(key, c.letter_id, c.version, fmt)
        for c in job.letters
        for fmt in formats
    ]
    mailing = safe_name(f"{key}-{run_date.isoformat()}")
    targets += [
        out_dir / "mailings" / f"{mailing}.pdf",
        out_dir / "mailings" / f".{mailing}-cover.pdf",
        out_dir / "envelopes" / f"{mailing}.pdf",
    ]
    for target in targets:
        target.unlink(missing_ok=True)
        if target.parent.is_dir():
            for leftover in target.parent.glob(f".{target.name}.*.tmp"):
                leftover.unlink(missing_ok=True)


def failed_result(job: HouseholdJob, reason: str) -> HouseholdResult:
    """Every letter of the job refused with ``reason``; carried letters stay as they were."""
    key = job.household.key
    outcomes = tuple(
        LetterOutcome(c.letter_id, refusal=Suppression(key, CRASHED, reason, c.letter_id))
        for c in job.letters
    )
    carried = tuple(
        tuple(
            Document(
                key,
                c.letter_id,
                c.version,
                "",
                fmt,
                path,
                sha256,
                pages,
                tuple(dict.fromkeys(x.case_id for x in job.household.cases)),
            )
            for fmt, path, sha256, pages in c.documents
        )
        for c in job.carried
    )
    return HouseholdResult(key, outcomes, carried)


# -- pool workers ---------------------------------------------------------------------

_WRITER: HouseholdWriter | None = None
# Set by the parent just before it forks its workers: they inherit the loaded catalogue.
_INHERITED: tuple[Catalog, WorkerSettings] | None = None


class _ParentGone(BaseException):
    """Raised in a worker when its parent died: write_atomic removes its temporary file."""


_BUSY = False
_PARENT: int | None = None  # the batch's process, on Linux
_ORPHANED = False


def _parent_gone(signum: int, frame: object) -> None:
    global _ORPHANED
    _ORPHANED = True
    if not _BUSY:  # idle between tasks: nothing half-written
        _exit_now()
    # Python ignores an exception raised while it runs a __del__ or a weakref callback:
    # the task's end (_task_done) checks again.
    raise _ParentGone()


def _task_done() -> None:
    """After each task: a worker whose batch died leaves, its result has no reader. (Without
    this check, a signal that came while a finalizer ran would leave the worker waiting
    for a next task forever.)"""
    if _ORPHANED or (_PARENT is not None and os.getppid() != _PARENT):
        _exit_now()


def _exit_now() -> None:
    """Leave at once (the batch is gone), removing the engines' scratch folders first."""
    remove_scratch_folders()
    os._exit(1)


def _die_with_parent(parent: int) -> None:
    """Linux: a worker gets SIGTERM when the batch that started it dies (even by SIGKILL),
    so no orphan goes on writing files for reservations nobody will commit."""
    global _PARENT
    if not sys.platform.startswith("linux"):
        return
    _PARENT = parent
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    signal.signal(signal.SIGTERM, _parent_gone)
    if os.getppid() != parent:  # died before prctl took effect
        os._exit(1)


def init_worker(parent: int, catalog_path: str | None, settings: WorkerSettings | None) -> None:
    """Pool initializer: the catalogue, templates, fonts, QR images and engines, once."""
    global _WRITER
    _die_with_parent(parent)
    if _INHERITED is not None:
        catalog, inherited = _INHERITED
        settings = settings or inherited
    else:  # a start method without fork: load the catalogue again
        from pexmail.catalog import load_catalog

        catalog = load_catalog(Path(catalog_path or ""))
    assert settings is not None
    lay_out_on_one_thread()
    _WRITER = HouseholdWriter(catalog, settings)
    _WRITER.warm_up()
    # What the worker holds from here on (catalogue, templates, engines; with fork, all the
    # parent had) lives as long as it does: collections skip it, and pages shared with the
    # parent stay shared (a collection writes to each object it visits).
    gc.freeze()


def run_chunk(jobs: Sequence[HouseholdJob]) -> list[HouseholdResult]:
    """A pool task: a chunk of households, results in the same order."""
    global _BUSY
    assert _WRITER is not None, "init_worker was not run"
    _BUSY = True
    try:
        return _WRITER.run_chunk(jobs)
    except _ParentGone:
        _exit_now()
    finally:
        _BUSY = False
        _task_done()


def merge_task(paths: Sequence[str], target: str, blank_after: Sequence[bool]) -> int:
    """A pool task: one print-file part."""
    global _BUSY
    from pexmail.output.printfile import merge_part

    _BUSY = True
    try:
        return merge_part([Path(p) for p in paths], Path(target), blank_after)
    except _ParentGone:
        _exit_now()
    finally:
        _BUSY = False
        _task_done()
