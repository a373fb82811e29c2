"""What the API and the pages share: accepting an upload as a job, previewing one letter.

Both call the same library functions as the CLI, and report problems with the
CLI's messages (file, row, column, what was expected), never a field's value.
"""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.catalog.select import select_letters, unmet
from pexmail.errors import InputFileError, PexmailError
from pexmail.households.merge import merge_household
from pexmail.ingest.cases import FileStats, inspect_file, read_cases
from pexmail.model import Case, Rejection
from pexmail.output.files import safe_name
from pexmail.render.engine import DEFAULT_ENGINE, ENGINES
from pexmail.render.letter import FORMATS, LetterRenderer, Refused
from pexmail.service.config import ServiceConfig
from pexmail.service.jobs import JobRunner, JobSpec, JobStatus, JobStore

PDF_VARIANTS = ("pdf/a-3b", "pdf/a-3u", "pdf/a-2b", "pdf/ua-1")

# Files people upload by mistake instead of a CSV export, recognised by their first bytes.
_NOT_CSV = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
)
_EXPORT_HINT = "in the spreadsheet, save as « CSV (séparateur : point-virgule) » or « CSV UTF-8 »"


class Problem(Exception):
    """A request the service refuses: HTTP status, code and a message that says what to do."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        file: str | None = None,
        hint: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.file = file
        self.hint = hint
        self.details = details or []

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.file:
            body["file"] = self.file
        if self.hint:
            body["hint"] = self.hint
        if self.details:
            body["details"] = self.details
        return body


@dataclass
class Upload:
    """One uploaded file, already read (the size limit bounds it)."""

    filename: str
    data: bytes


def display_name(filename: str | None, index: int) -> str:
    """The name messages show: the base name the user chose, without control characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return base[:120] or f"fichier-{index + 1}.csv"


def parse_date(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Problem(
            422, "bad_date", "date: expected a date as YYYY-MM-DD, e.g. 2026-11-23"
        ) from None


def parse_formats(value: str | list[str] | None) -> tuple[str, ...]:
    items = value if isinstance(value, list) else (value or "pdf,docx").split(",")
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in items if f and f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise Problem(422, "bad_formats", "formats: expected pdf and/or docx, separated by commas")
    return wanted


def parse_variant(value: str | None) -> str | None:
    if not value:
        return None
    if value not in PDF_VARIANTS:
        raise Problem(
            422, "bad_pdf_variant", f"pdf_variant: expected one of {', '.join(PDF_VARIANTS)}"
        )
    return value


def parse_engine(value: str | None) -> str:
    """The PDF engine asked for (the CLI's default when none), or 422."""
    if not value:
        return DEFAULT_ENGINE
    if value not in ENGINES:
        raise Problem(422, "bad_engine", f"engine: expected one of {', '.join(ENGINES)}")
    return value


def check_not_binary(data: bytes, display: str) -> None:
    for magic, what in _NOT_CSV:
        if data.startswith(magic):
            raise Problem(
                422,
                "not_csv",
                f"{display}: this is {what}, not a CSV file",
                file=display,
                hint=_EXPORT_HINT,
            )


def _file_problem(exc: InputFileError) -> Problem:
    return Problem(422, "bad_file", exc.format_message(), file=exc.file, hint=exc.hint)


def accept_job(
    *,
    config: ServiceConfig,
    catalog: Catalog,
    store: JobStore,
    runner: JobRunner,
    organisation: str,
    uploads: list[Upload],
    run_date: date,
    formats: tuple[str, ...],
    pdf_variant: str | None = None,
    engine: str = DEFAULT_ENGINE,
) -> JobStatus:
    """Save the files, match every header to a source, then queue the batch.

    A file that cannot be read or recognised refuses the whole job (422) with the
    CLI's message, and nothing is kept."""
    uploads = [u for u in uploads if u.filename or u.data]
    if not uploads:
        raise Problem(422, "no_file", "no file: attach one or more CSV files (field `files`)")
    if len(uploads) > config.limits.upload_max_files:
        raise Problem(
            422, "too_many_files", f"at most {config.limits.upload_max_files} files per job"
        )
    active = getattr(runner, "active_count", None)
    if active is not None and active(organisation) >= config.limits.active_jobs_per_organisation:
        raise Problem(
            429,
            "too_many_jobs",
            f"your organisation already has {config.limits.active_jobs_per_organisation} jobs "
            "queued or running: wait for one to finish",
        )
    job_id, job_dir = store.create(organisation)
    try:
        inputs = []
        used: set[str] = set()
        for index, upload in enumerate(uploads):
            display = display_name(upload.filename, index)
            if display in used:
                display = f"{index + 1}-{display}"
            used.add(display)
            check_not_binary(upload.data, display)
            name = f"{index + 1:02d}-{safe_name(display)}"
            path = job_dir / "input" / name
            path.write_bytes(upload.data)
            path.chmod(0o600)
            try:
                inspect_file(path, catalog, display=display)
            except InputFileError as exc:
                raise _file_problem(exc) from None
            inputs.append((name, display))
        spec = JobSpec(organisation, job_id, inputs, run_date, formats, pdf_variant, engine)
        return runner.submit(spec)
    except BaseException:
        store.delete(organisation, job_id)
        raise


# -- preview ------------------------------------------------------------------------------
@dataclass
class Preview:
    data: bytes
    media_type: str
    filename: str
    letter: Letter
    pages: int | None


def rows_to_csv(
    catalog: Catalog, fields: dict[str, Any] | list[dict[str, Any]], source_id: str | None
) -> tuple[bytes, str]:
    """Canonical fields (``family_name``, ``debt``...) → a CSV in a source's columns, one row
    per dict, so that the rows go through the very reader a batch uses."""
    rows = fields if isinstance(fields, list) else [fields]
    if not rows or not all(isinstance(r, dict) and r for r in rows):
        raise Problem(
            422, "no_fields", 'fields: expected an object of case fields, e.g. {"case_id": ...}'
        )
    given = set().union(*rows)
    if source_id:
        source = catalog.source(source_id)
        if source is None:
            known = ", ".join(s.id for s in catalog.sources)
            raise Problem(422, "unknown_source", f"source: unknown source; expected one of {known}")
    else:
        fitting = [s for s in catalog.sources if given <= set(s.columns)]
        if not fitting:
            raise Problem(
                422,
                "no_source",
                "fields: no source of the catalogue has all these fields; name one with `source`",
                details=[{"source": s.id, "fields": sorted(s.columns)} for s in catalog.sources],
            )
        source = fitting[0]
    unknown = sorted(given - set(source.columns))
    if unknown:
        raise Problem(
            422,
            "unknown_fields",
            f"fields: {', '.join(unknown)} not in source {source.id}; "
            f"expected some of {', '.join(source.columns)}",
        )
    headers = {k: (v if isinstance(v, str) else v[0]) for k, v in source.columns.items()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=source.delimiter or ";", lineterminator="\r\n")
    writer.writerow(headers.values())
    for row in rows:
        writer.writerow(["" if row.get(k) is None else str(row[k]) for k in headers])
    return buffer.getvalue().encode("utf-8"), source.id


def read_one_case(
    catalog: Catalog, data: bytes, display: str, on: date, source: str | None = None
) -> Case:
    """The single data row of a CSV, as the batch would read it; 422 otherwise."""
    check_not_binary(data, display)
    with tempfile.TemporaryDirectory(prefix="pexmail-preview-") as folder:
        path = Path(folder) / "row.csv"
        path.write_bytes(data)
        try:
            info = inspect_file(
                path, catalog, display=display, source=source, encoding="utf-8" if source else None
            )
        except InputFileError as exc:
            raise _file_problem(exc) from None
        stats = FileStats()
        records = list(read_cases(info, catalog, on, stats))
    if stats.error:
        raise Problem(422, "bad_file", f"{display}: {stats.error}", file=display)
    if len(records) != 1:
        raise Problem(
            422,
            "one_row",
            f"{display}: expected exactly one data row under the header, found {len(records)}",
            file=display,
        )
    record = records[0]
    if isinstance(record, Rejection):
        details = [
            {"row": record.location.row, "column": p.column, "code": p.code, "reason": p.reason}
            for p in record.problems
        ]
        text = "; ".join(
            f"row {d['row']}"
            + (f", column {d['column']!r}" if d["column"] else "")
            + f": {d['reason']}"
            for d in details
        )
        raise Problem(422, "row_rejected", f"{display}: {text}", file=display, details=details)
    return record


def pick_letter(catalog: Catalog, case: Case, on: date, letter_id: str | None) -> Letter:
    if letter_id:
        in_force = [x for x in catalog.letters_in_force(on) if x.id == letter_id]
        if not in_force:
            known = [x for x in catalog.letters if x.id == letter_id]
            message = (
                f"letter_id: letter {letter_id!r} is not in force on {on.isoformat()}"
                if known
                else f"letter_id: no letter {letter_id!r} in the catalogue (see GET /api/catalog)"
            )
            raise Problem(422, "unknown_letter", message)
        letter = in_force[-1]
        reason = unmet(letter.conditions, case)
        if letter.stage != case.stage:
            reason = f"the letter is for stage {letter.stage!r}, the row is at stage {case.stage!r}"
        if reason:
            due = select_letters(catalog, case, on, kind=letter.kind).letters
            raise Problem(
                422,
                "letter_does_not_apply",
                f"letter {letter_id!r} does not apply to this row: {reason}"
                + (f"; letters that do: {', '.join(x.id for x in due)}" if due else ""),
            )
        return letter
    selection = select_letters(catalog, case, on)
    if not selection.letters:
        raise Problem(422, "no_letter", f"no letter applies to this row: {selection.reason}")
    return selection.letters[0]


def preview_letter(
    catalog: Catalog, case: Case, on: date, letter_id: str | None, fmt: str = "pdf"
) -> Preview:
    """One letter for one row, rendered exactly as a batch renders it."""
    if fmt not in FORMATS:
        raise Problem(422, "bad_format", "format: expected pdf or docx")
    letter = pick_letter(catalog, case, on, letter_id)
    household = merge_household("preview", [case], catalog)
    renderer = LetterRenderer(catalog, on, (fmt,))
    try:
        rendered = renderer.render(renderer.prepare(letter, household.facts))
    except Refused as exc:
        raise Problem(422, exc.code, f"the letter cannot be written: {exc.reason}") from None
    except PexmailError as exc:
        raise Problem(422, "render_error", exc.format_message()) from None
    data, pages = rendered.outputs[fmt]
    media = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    return Preview(data, media, f"apercu-{safe_name(letter.id)}.{fmt}", letter, pages)
