"""The ``pexmail`` command: a thin shell over the library.

Each command lives in its own module, parses its options, calls one library
function, prints what happened and maps errors to the exit codes documented
in ``pexmail.errors``.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import click

from pexmail import __version__
from pexmail.catalog.load import Catalog, load_catalog
from pexmail.errors import PexmailError
from pexmail.render.engine import DEFAULT_ENGINE, ENGINES, PDF_VARIANTS

CATALOG_HELP = (
    "Catalogue file. Default: $PEXMAIL_CATALOG, else ./catalog.yaml, else the catalogue "
    "shipped with pexmail."
)


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected a date as YYYY-MM-DD, e.g. 2026-11-23") from None


def load(catalog_path: Path | None) -> Catalog:
    try:
        return load_catalog(catalog_path)
    except PexmailError as exc:
        fail(exc)


def fail(exc: PexmailError) -> NoReturn:
    click.secho(f"pexmail: error: {exc.format_message()}", fg="red", err=True)
    sys.exit(exc.exit_code)


# PDF options shared by every command that writes a PDF (render, notice, ...).
engine_option = click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=DEFAULT_ENGINE,
    show_default=True,
    help="PDF engine: weasyprint (HTML/CSS, the reference) or typst (same text, a small fraction "
    "of the CPU).",
)
pdf_variant_option = click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS),
    help="Archivable (PDF/A) or accessible (PDF/UA) PDF; both engines write each of them.",
)

catalog_option = click.option(
    "--catalog", "catalog_path", type=click.Path(path_type=Path, dir_okay=False), help=CATALOG_HELP
)


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


# Each module registers its command on `main`. One module per line: branches add lines.
# isort: off
import pexmail.cli.catalog  # noqa: E402
import pexmail.cli.check  # noqa: E402
import pexmail.cli.contacts  # noqa: E402
import pexmail.cli.diff  # noqa: E402
import pexmail.cli.ledger  # noqa: E402
import pexmail.cli.notice  # noqa: E402
import pexmail.cli.render  # noqa: E402
import pexmail.cli.serve  # noqa: E402, F401
# isort: on
