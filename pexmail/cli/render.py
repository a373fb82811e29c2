"""``pexmail render``: a batch of case files → the output folder."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from pexmail.cli import catalog_option, fail, load, main, parse_date
from pexmail.errors import EXIT_CANNOT_WORK, EXIT_OK, EXIT_STRICT, PexmailError


class _Status:
    """A one-line status on a terminal, nothing otherwise (logs and pipes stay clean)."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()

    def __call__(self, step: str, done: int, total: int | None) -> None:
        if not self.live or (done % 25 and done != total):
            return
        text = f"{step}: {done}" + (f"/{total}" if total else "")
        click.echo(f"\r{text:<40}", err=True, nl=False)

    def done(self) -> None:
        if self.live:
            click.echo("\r" + " " * 40 + "\r", err=True, nl=False)


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
@click.option(
    "--pdf-variant",
    type=click.Choice(["pdf/a-3b", "pdf/a-3u", "pdf/a-2b", "pdf/ua-1"]),
    help="Archivable (PDF/A) or accessible (PDF/UA) PDF.",
)
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
def render(
    csv_files: tuple[Path, ...],
    catalog_path: Path | None,
    out_dir: Path,
    run_date: date,
    formats: str,
    pdf_variant: str | None,
    source: str | None,
    encoding: str | None,
    ledger_path: Path | None,
    no_ledger: bool,
    dry_run: bool,
    strict: bool,
    allow_stale: bool = False,
) -> None:
    """Render every letter due for the cases in CSV_FILES.

    With no CSV file, renders the samples shipped next to the catalogue.

    \b
    Example:
      pexmail render samples/*.csv --out out --date 2026-11-23
      pexmail render exploc-novembre.csv --format pdf --pdf-variant pdf/a-3b
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
    options = BatchOptions(
        run_date=run_date,
        formats=wanted,
        pdf_variant=pdf_variant,
        source=source,
        encoding=encoding,
        ledger=ledger_path,
        use_ledger=not no_ledger,
        dry_run=dry_run,
        allow_stale=allow_stale,
    )
    status = _Status()
    try:
        result = run_batch(paths, catalog, out_dir, options, progress=status)
    except PexmailError as exc:
        status.done()
        fail(exc)
    status.done()
    click.echo(format_summary(result.summary, out_dir))
    if not result.complete:
        sys.exit(EXIT_CANNOT_WORK)
    if strict and (result.rejected_rows or result.refused):
        sys.exit(EXIT_STRICT)
    sys.exit(EXIT_OK)


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
