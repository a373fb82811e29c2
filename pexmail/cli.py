"""The ``pexmail`` command: a thin shell over the library.

Each command parses its options, calls one library function, prints what
happened and maps errors to the exit codes documented in ``pexmail.errors``.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from pexmail import __version__
from pexmail.catalog.load import Catalog, load_catalog
from pexmail.errors import EXIT_CANNOT_WORK, EXIT_OK, EXIT_STRICT, PexmailError

CATALOG_HELP = (
    "Catalogue file. Default: $PEXMAIL_CATALOG, else ./catalog.yaml, else the catalogue "
    "shipped with pexmail."
)


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected a date as YYYY-MM-DD, e.g. 2026-11-23") from None


def _load(catalog_path: Path | None) -> Catalog:
    try:
        return load_catalog(catalog_path)
    except PexmailError as exc:
        _fail(exc)


def _fail(exc: PexmailError) -> None:
    click.secho(f"pexmail: error: {exc.format_message()}", fg="red", err=True)
    sys.exit(exc.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="pexmail")
def main() -> None:
    """pexmail turns partners' case files into coordinated, plain-French letters
    for households at risk of eviction, as PDF and DOCX.

    \b
    Exit codes: 0 done (see the summary for rejected rows); 1 cannot work
    (bad catalogue, unreadable file); 2 usage error; 3 --strict and a row
    was rejected or a document refused.
    """


# -- render -------------------------------------------------------------------


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
@click.option(
    "--catalog", "catalog_path", type=click.Path(path_type=Path, dir_okay=False), help=CATALOG_HELP
)
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
    callback=_parse_date,
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

    catalog = _load(catalog_path)
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
        _fail(exc)
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


# -- catalog ------------------------------------------------------------------


@main.command("catalog")
@click.option(
    "--catalog", "catalog_path", type=click.Path(path_type=Path, dir_okay=False), help=CATALOG_HELP
)
@click.option(
    "--check",
    is_flag=True,
    help="Also render every letter for a sample household of each "
    "territory, PDF and DOCX, and report any problem.",
)
@click.option("--schema", is_flag=True, help="Print every field the catalogue may hold, and exit.")
def catalog_command(catalog_path: Path | None, check: bool, schema: bool) -> None:
    """List the letters of the catalogue, and validate it.

    Loading alone checks the YAML, the schema and the references between
    entries, each problem with its line; --check also renders every letter.

    \b
    Example:
      pexmail catalog
      pexmail catalog --check --catalog my-catalog.yaml
    """
    if schema:
        from pexmail.catalog.schema import describe_schema

        click.echo(describe_schema())
        return
    catalog = _load(catalog_path)
    click.echo(
        f"{catalog.path} — {catalog.document.catalog.name}, version {catalog.document.catalog.version}"
    )
    for letter in catalog.letters:
        click.echo(f"\n{letter.id} v{letter.version} — {letter.title}")
        valid = f"from {letter.valid_from}" + (
            f" until {letter.valid_until}" if letter.valid_until else ""
        )
        click.echo(
            f"  sender {letter.sender}, stage {letter.stage}, {letter.kind}, falc {letter.falc}, valid {valid}"
        )
        click.echo(f"  for: {describe_conditions(letter.conditions)}")
        if letter.contacts:
            click.echo(
                f"  contacts: {', '.join(letter.contacts)}"
                + (f"; QR {letter.qr}" if letter.qr else "")
            )
    if check:
        from pexmail.render.preflight import preflight

        problems = list(preflight(catalog))
        if problems:
            click.secho(f"\n{len(problems)} problem(s):", fg="red", err=True)
            for problem in problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(EXIT_CANNOT_WORK)
        click.secho(
            f"\ncatalogue OK: {len(catalog.letters)} letters rendered for each of their territories",
            fg="green",
        )


def describe_conditions(conditions: Any) -> str:
    parts = []
    if conditions.territories:
        parts.append("territories " + ", ".join(conditions.territories))
    if conditions.landlord_types:
        parts.append("landlord " + "/".join(conditions.landlord_types))
    if conditions.debt is not None:
        low = (
            f"{conditions.debt.min:,.0f} €".replace(",", " ")
            if conditions.debt.min is not None
            else None
        )
        high = (
            f"{conditions.debt.max:,.0f} €".replace(",", " ")
            if conditions.debt.max is not None
            else None
        )
        if low and high:
            parts.append(f"debt from {low} to under {high}")
        elif low:
            parts.append(f"debt {low} or more")
        elif high:
            parts.append(f"debt under {high}")
    if conditions.caf_recipient is not None:
        parts.append("CAF recipient" if conditions.caf_recipient else "not a CAF recipient")
    return "; ".join(parts) or "every household at this stage"
