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
    "--strict", is_flag=True, help="Exit with 3 if a row was rejected or a document refused."
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
    strict: bool,
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
        run_date=run_date, formats=wanted, pdf_variant=pdf_variant, source=source, encoding=encoding
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
    if strict and (result.rejections or result.summary["households"]["suppressed"]):
        refused = sum(
            1 for s in result.suppressions if s.code in {"render_error", "address_unprintable"}
        )
        if result.rejections or refused:
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
    suppressions = summary["suppressions"]
    if suppressions["total"]:
        lines.append(f"suppressed: {suppressions['total']}")
        for reason, count in sorted(suppressions["reasons"].items(), key=lambda kv: -kv[1]):
            lines.append(f"  {count} × {reason}")
    rejections = summary["rejections"]
    if rejections["rows"]:
        codes = ", ".join(f"{code} {n}" for code, n in sorted(rejections["by_code"].items()))
        lines.append(
            f"rejected rows: {rejections['rows']} ({codes}); see {out_dir / 'rejects.csv'}"
        )
    lines.append(
        f"output: {out_dir}/ — manifest.csv, rejects.csv, summary.json, print/ "
        f"({summary['duration_seconds']} s)"
    )
    return "\n".join(lines)
