"""``pexmail render``: a batch of case files → the output folder."""

from __future__ import annotations

import sqlite3
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import click

from pexmail.cli import (
    catalog_option,
    engine_option,
    fail,
    load,
    main,
    parse_date,
    pdf_variant_option,
)
from pexmail.errors import EXIT_CANNOT_WORK, EXIT_OK, EXIT_STRICT, InputFileError, PexmailError
from pexmail.output.ledger import LedgerError
from pexmail.output.redact import Redactor, redact_outputs, redact_summary


class _Status:
    """A progress bar on the terminal; nothing otherwise (logs and pipes stay clean).

    The pipeline reports counts (``step, done, total``); this shows rows read, households,
    letters, the letter rate and, once rendering has started, the time left."""

    REFRESH = 0.25  # seconds between redraws

    def __init__(self, live: bool | None = None, clock: Any = time.monotonic) -> None:
        self.live = sys.stderr.isatty() if live is None else live
        self.clock = clock
        self.counts: dict[str, tuple[int, int | None]] = {}
        self.started = clock()
        self.rendering_since: float | None = None
        self.drawn = 0.0
        self.width = 0

    def __call__(self, step: str, done: int, total: int | None) -> None:
        self.counts[step] = (done, total)
        if step == "cases" and self.rendering_since is None:
            self.rendering_since = self.clock()
        if not self.live:
            return
        now = self.clock()
        if now - self.drawn < self.REFRESH and done != total:
            return
        self.drawn = now
        self.draw(self.line(now))

    def line(self, now: float) -> str:
        parts = []
        rows = self.counts.get("rows")
        if rows:
            parts.append(f"rows {rows[0]:,}")
        households = self.counts.get("households")
        if households:
            parts.append(f"households {households[0]:,}")
        letters = self.counts.get("letters")
        cases = self.counts.get("cases")
        if letters and self.rendering_since is not None:
            elapsed = max(now - self.rendering_since, 1e-6)
            parts.append(f"letters {letters[0]:,} ({letters[0] / elapsed:.0f}/s)")
        if cases and cases[1] and cases[0] and self.rendering_since is not None:
            done, total = cases
            elapsed = now - self.rendering_since
            bar = int(20 * done / total)
            left = elapsed * (total - done) / done
            parts.insert(0, f"[{'#' * bar}{'.' * (20 - bar)}] {100 * done / total:3.0f}%")
            parts.append(f"ETA {int(left // 60)}:{int(left % 60):02d}")
        return " | ".join(parts)

    def draw(self, text: str) -> None:
        self.width = max(self.width, len(text))
        click.echo(f"\r{text:<{self.width}}", err=True, nl=False)

    def done(self) -> None:
        if self.live and self.width:
            click.echo("\r" + " " * self.width + "\r", err=True, nl=False)


@main.command()
@click.argument("csv_files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@catalog_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Output folder (created if needed).",
)
@click.option(
    "--date",
    "run_date",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Date the letters are written at; picks the versions and facts in force. Default: today.",
)
@click.option(
    "--format",
    "formats",
    default="pdf,docx",
    show_default=True,
    help="Comma-separated formats: pdf, docx.",
)
@pdf_variant_option
@engine_option
@click.option("--source", help="Source id of the files (skips header matching).")
@click.option(
    "--encoding",
    type=click.Choice(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
    help="Encoding of the files (skips detection).",
)
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Send ledger (SQLite). Default: pexmail-ledger.sqlite next to the output folder.",
)
@click.option(
    "--no-ledger", is_flag=True, help="Do not read or write a ledger (letters may go twice)."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would go out; write nothing, neither files nor ledger.",
)
@click.option(
    "--strict", is_flag=True, help="Exit with 3 if a row was rejected or a document refused."
)
@click.option(
    "--allow-stale",
    is_flag=True,
    help="Print contacts not verified within the catalogue's max age instead of refusing the "
    "letter; each is recorded in the manifest.",
)
@click.option(
    "--no-falc-gate",
    is_flag=True,
    help="Issue strict letters even with FALC errors (recorded in summary.json and manifest.csv).",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Write reports safe to send to support: no file name, case id, household key or "
    "value from a field in summary.json, the CSV reports, the printed summary and errors "
    "(letters and ledger unchanged).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Rendering processes. Default: one per core (one process for small batches); "
    "1 renders in this process, for debugging.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    help="Households per task sent to a rendering process. Default: automatic.",
)
def render(
    csv_files: tuple[Path, ...],
    catalog_path: Path | None,
    out_dir: Path,
    run_date: date,
    formats: str,
    pdf_variant: str | None,
    engine: str,
    source: str | None,
    encoding: str | None,
    ledger_path: Path | None,
    no_ledger: bool,
    dry_run: bool,
    strict: bool,
    allow_stale: bool,
    no_falc_gate: bool,
    redact: bool,
    workers: int | None,
    chunk_size: int | None,
) -> None:
    """Render every letter due for the cases in CSV_FILES.

    With no CSV file, renders the samples shipped next to the catalogue.

    \b
    Example:
      pexmail render samples/*.csv --out out --date 2026-11-23
      pexmail render exploc-novembre.csv --format pdf --pdf-variant pdf/a-3b
      pexmail render exploc-novembre.csv --engine typst
    """
    from pexmail.pipeline import BatchOptions, run_batch

    catalog = load(catalog_path)
    paths = list(csv_files)
    if not paths:
        paths = sorted(catalog.samples_dir.glob("*.csv"))
        if not paths:
            raise click.UsageError("no CSV file given, and no samples next to the catalogue")
        click.echo(f"No CSV file given: rendering the samples in {catalog.samples_dir}", err=True)
    wanted = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    unknown = [f for f in wanted if f not in ("pdf", "docx")]
    if unknown or not wanted:
        raise click.BadParameter(
            f"expected pdf, docx or pdf,docx; got {formats!r}", param_hint="'--format'"
        )
    if source is not None and catalog.source(source) is None:
        raise click.BadParameter(
            f"unknown source {source!r}; the catalogue's sources are: "
            + ", ".join(s.id for s in catalog.sources),
            param_hint="'--source'",
        )
    options = BatchOptions(
        run_date=run_date,
        formats=wanted,
        pdf_variant=pdf_variant,
        engine=engine,
        source=source,
        encoding=encoding,
        ledger=ledger_path,
        use_ledger=not no_ledger,
        dry_run=dry_run,
        allow_stale=allow_stale,
        falc_gate=not no_falc_gate,
        workers=workers,
        chunk_size=chunk_size,
    )
    status = _Status()
    redactor = Redactor([str(p) for p in paths]) if redact else None
    try:
        result = run_batch(paths, catalog, out_dir, options, progress=status)
    except PexmailError as exc:
        status.done()
        fail(_redacted_error(exc, redactor))
    except (OSError, LedgerError, sqlite3.Error) as exc:
        # A full disk, a folder that cannot be created, a ledger that is not one:
        # the run cannot go on; say so in one line, not with a traceback.
        status.done()
        fail(_redacted_error(PexmailError(_describe_os_error(exc)), redactor))
    status.done()
    summary = result.summary
    if redactor is not None:
        if dry_run:
            summary = redact_summary(summary, redactor)
        else:
            summary = redact_outputs(result.out_dir, summary, redactor)
        click.echo(format_summary(summary, Path("<output folder>")))
    else:
        click.echo(format_summary(summary, out_dir))
    if not result.complete:
        sys.exit(EXIT_CANNOT_WORK)
    if strict and (result.rejected_rows or result.refused):
        sys.exit(EXIT_STRICT)
    sys.exit(EXIT_OK)


def _redacted_error(exc: PexmailError, redactor: Redactor | None) -> PexmailError:
    if redactor is None:
        return exc
    text = exc.format_message()
    if isinstance(exc, InputFileError) and "header found:" in text:
        # The header of an unrecognised file may be its first data row.
        text = text.split("\n  header found:")[0]
    return PexmailError(redactor.text(text))


def _describe_os_error(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or type(exc).__name__}"
    if isinstance(exc, sqlite3.Error):
        return f"the send ledger cannot be used ({exc}); pass --ledger FILE or --no-ledger"
    return str(exc)


def format_summary(summary: dict[str, Any], out_dir: Path) -> str:
    rows = summary["rows"]
    households = summary["households"]
    documents = summary["documents"]
    lines = [
        f"pexmail {summary['pexmail']} — catalogue {summary['catalog']['version']}, "
        f"run date {summary['run_date']}",
        "files:",
    ]
    for f in summary["files"]:
        delimiter = {"\t": "tab"}.get(f["delimiter"], f["delimiter"])
        line = (
            f"  {f['file']}: source {f['source']}, {f['encoding']}, '{delimiter}', "
            f"{f['rows']} rows, {f['rejected']} rejected"
        )
        for hint in f.get("column_suggestions", []):
            line += (
                f"\n    column {hint['header']!r} is not used: is it {hint['expected']!r}? "
                f"({hint['field']} is read from no column)"
            )
        if f["error"]:
            line += f"\n    INCOMPLETE: {f['error']}"
        lines.append(line)
    lines += [
        f"rows: {rows['read']} read = {rows['rendered']} rendered + {rows['suppressed']} suppressed "
        f"+ {rows['rejected']} rejected",
        f"households: {households['total']} ({households['from_several_rows']} from several rows), "
        f"{households['with_documents']} with documents",
        f"documents: {documents['total']} files for {documents['letters']} letters "
        f"({', '.join(f'{n} {k}' for k, n in documents['by_format'].items()) or 'none'}), "
        f"{documents['pages']} PDF pages",
    ]
    for letter_id, count in sorted(documents["by_letter"].items()):
        lines.append(f"  {letter_id}: {count}")
    if documents["carried_from_an_interrupted_run"]:
        lines.append(
            f"  ({documents['carried_from_an_interrupted_run']} already issued into this folder by an "
            "earlier run of this batch: listed, not sent again)"
        )
    coordination = summary["coordination"]
    lines.append(
        f"coordination: {coordination['without']['letters']} letters if each partner wrote alone, "
        f"{coordination['with']['letters']} sent; per household at most "
        f"{coordination['without']['max']} → {coordination['with']['max']}; "
        f"{summary['mailings']['combined']} combined mailings"
    )
    if households["pairs_to_review"]:
        lines.append(
            f"  {households['pairs_to_review']} pairs of rows may be one household: see review.csv"
        )
    suppressions = summary["suppressions"]
    if suppressions["total"]:
        codes = ", ".join(f"{code} {n}" for code, n in sorted(suppressions["by_code"].items()))
        lines.append(f"suppressed: {suppressions['total']} ({codes})")
        for reason, count in sorted(suppressions["reasons"].items(), key=lambda kv: -kv[1])[:8]:
            lines.append(f"  {count} × {reason}")
    contacts = summary["contacts"]
    if contacts["to_review"]:
        lines.append(
            f"contacts due for review (verified over {contacts['review_after_months']} months ago): "
            + ", ".join(f"{i} ({n})" for i, n in contacts["to_review"].items())
        )
    if contacts["stale_printed"]:
        lines.append(
            "stale contacts printed with --allow-stale: "
            + ", ".join(f"{i} ({n})" for i, n in contacts["stale_printed"].items())
        )
    falc = summary.get("falc") or {}
    if not falc.get("gate", True):
        lines.append("FALC gate: OFF (--no-falc-gate): strict letters were not checked")
    elif falc:
        lines.append(
            f"FALC gate: {falc['letters_checked']} letters checked, {falc['refused']} refused; "
            f"findings {falc['findings_by_level'] or 'none'} (pexmail check for details)"
        )
    rejections = summary["rejections"]
    if rejections["rows"]:
        codes = ", ".join(f"{code} {n}" for code, n in sorted(rejections["by_code"].items()))
        lines.append(
            f"rejected rows: {rejections['rows']} ({codes}); see {out_dir / 'rejects.csv'}"
        )
    if summary["dry_run"]:
        lines.append(f"dry run: nothing was written ({summary['duration_seconds']} s)")
    else:
        lines.append(
            f"output: {out_dir}/ — manifest.csv, mailings.csv, households.csv, review.csv, rejects.csv, "
            f"summary.json, print/ ({summary['duration_seconds']} s); ledger {summary['ledger']['path']}"
        )
    return "\n".join(lines)
