"""``pexmail diff``: what changes for a tenant between two versions of a letter or catalogue."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from pexmail.catalog.load import default_catalog_path
from pexmail.cli import CATALOG_HELP, main, parse_date
from pexmail.errors import PexmailError

EXIT_SAME = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


def _error(message: str) -> None:
    click.secho(f"pexmail diff: error: {message}", fg="red", err=True)
    sys.exit(EXIT_ERROR)


@main.command("diff")
@click.argument("letter_id", required=False)
@click.option("--from", "rev_from", metavar="REV", help="Git revision before. Default: HEAD.")
@click.option(
    "--to", "rev_to", metavar="REV", help="Git revision after. Default: the working tree."
)
@click.option(
    "--catalogs",
    nargs=2,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="A.yaml B.yaml",
    help="Compare two catalogue files (each with the templates and contacts next to it).",
)
@click.option(
    "--templates",
    nargs=2,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="A B",
    help="Compare two versions of a template file within the catalogue.",
)
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help=CATALOG_HELP + " With --from/--to, its path inside the repository is the one read.",
)
@click.option(
    "--case",
    "case_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="CSV",
    help="Render with the households of this case file (those each letter is for, "
    "at most 5) instead of a sample household.",
)
@click.option("--source", help="Source id of the case file (skips header matching).")
@click.option(
    "--date",
    "run_date",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Date both versions are written at (versions, facts in force). Default: today.",
)
@click.option(
    "--territory",
    metavar="ID",
    help="Territory of the sample household. Default: the letter's first territory.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also write a self-contained HTML report (page images embedded; opens offline).",
)
def diff_command(
    letter_id: str | None,
    rev_from: str | None,
    rev_to: str | None,
    catalogs: tuple[Path, Path] | None,
    templates: tuple[Path, Path] | None,
    catalog_path: Path | None,
    case_path: Path | None,
    source: str | None,
    run_date: date,
    territory: str | None,
    html_path: Path | None,
) -> None:
    """Show what changes for a tenant between two versions of a letter (LETTER_ID)
    or of the whole catalogue (no LETTER_ID): the catalogue entry's changes in
    words, a word-level diff of the text, readability facts and page counts
    before and after, and the pages side by side with changed regions marked.

    Both versions are rendered for the same household (a sample one, or the
    rows of --case) at the same date, so only the versions differ.

    \b
    Exit codes: 0 identical, 1 different, 2 error (usable as a CI gate).

    \b
    Example:
      pexmail diff                                  last commit vs working tree
      pexmail diff drihl-cdp-social --from v1.2 --to HEAD --html review.html
      pexmail diff --catalogs old/catalog.yaml catalog.yaml
      pexmail diff drihl-cdp-social --templates old.html.j2 new.html.j2
    """
    modes = sum(bool(x) for x in (rev_from or rev_to, catalogs, templates))
    if modes > 1:
        raise click.UsageError("choose one of --from/--to, --catalogs, --templates")
    try:
        from pexmail.diff.compare import CaseFile, compare
        from pexmail.diff.report import html_report, summary
        from pexmail.diff.versions import catalog_versions, git_versions, template_versions

        path = catalog_path or default_catalog_path()
        if catalogs:
            versions = catalog_versions(*catalogs)
        elif templates:
            versions = template_versions(path, templates[0], templates[1], letter_id)
        else:
            versions = git_versions(path, rev_from, rev_to)
        with versions:
            before, after = versions.pair
            comparison = compare(
                before,
                after,
                run_date=run_date,
                letter_id=letter_id,
                territory=territory,
                case_file=CaseFile(case_path, source) if case_path else None,
            )
            click.echo(summary(comparison))
            if html_path is not None:
                from pexmail.output.files import write_atomic

                write_atomic(html_path, html_report(comparison).encode("utf-8"))
                click.echo(f"report: {html_path}")
    except PexmailError as exc:
        _error(exc.format_message())
    except OSError as exc:
        _error(f"{exc.filename or ''}: {exc.strerror or exc}")
    except Exception as exc:  # exit 1 means "different": never let a crash look like it
        _error(f"unexpected {type(exc).__name__}: {exc}")
    sys.exit(EXIT_DIFFERENT if comparison.changed else EXIT_SAME)
