"""``pexmail check``: hold letters to the Easy-to-Read (FALC) rules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pexmail.cli import catalog_option, load, main, parse_date
from pexmail.errors import EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from pexmail.falc.check import DocumentReport

EXIT_FINDINGS = 1


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@catalog_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--level",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Report findings at this level and above; the exit code follows it.",
)
@click.option(
    "--date",
    "on",
    callback=parse_date,
    metavar="YYYY-MM-DD",
    help="Date the catalogue's letters are rendered at. Default: today.",
)
def check_command(
    paths: tuple[Path, ...], catalog_path: Path | None, output_format: str, level: str, on: object
) -> None:
    """Check letters against the FALC rules of the catalogue (falc: section).

    With no PATH, every letter of the catalogue is rendered for a sample
    household of each of its territories and checked (text and layout). A PATH
    may be an output folder of `pexmail render` (its DOCX and PDF letters are
    checked), or a letter template: only the catalogue letters using it are checked.

    Each finding gives the file, letter, paragraph and sentence, rule, an
    excerpt and a hint; a summary line per letter gives its scores (Kandel &
    Moles, LIX) and its counts by rule.

    \b
    Exit codes: 0 no finding at --level; 1 findings (or a bad catalogue);
    2 usage error (a path that is neither an output folder nor a template).

    \b
    Example:
      pexmail check
      pexmail check out/ --level warning --format json
      pexmail check templates/letters/drihl/cdp-social.html.j2
    """
    from pexmail.falc.check import check_catalog, check_output, is_output_folder

    catalog = load(catalog_path)
    reports = []
    templates: set[str] = set()
    folders: list[Path] = []
    for path in paths:
        if is_output_folder(path):
            folders.append(path)
        elif path.is_file() and path.name.endswith(".html.j2"):
            templates.add(path.resolve().as_posix())
        else:
            click.echo(
                f"pexmail check: error: {path}: expected an output folder of `pexmail render` "
                "or a letter template (.html.j2)",
                err=True,
            )
            sys.exit(EXIT_USAGE)
    if not paths or templates:
        root = catalog.template_root.resolve()
        for report in check_catalog(catalog, on):
            if (
                templates
                and (root / report.file.removeprefix("templates/")).as_posix() not in templates
            ):
                continue
            reports.append(report)
        if templates and not reports:
            click.echo(
                "pexmail check: error: no catalogue letter uses the template(s) given", err=True
            )
            sys.exit(EXIT_USAGE)
    for folder in folders:
        reports.extend(check_output(folder, catalog))

    found = sum(len(r.findings(level)) for r in reports)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "level": level,
                    "documents": [r.as_dict(level) for r in reports],
                    "findings": found,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for report in reports:
            where = f"{report.letter_id}" + (f", {report.territory}" if report.territory else "")
            for f in report.findings(level):
                click.echo(
                    f"{report.file}: {where}: {f.where()}: {f.level}: {f.rule}: "
                    f"« {f.excerpt} » — {f.hint}"
                )
            click.echo(_summary_line(report))
        click.echo(
            f"{len(reports)} document(s) checked, {found} finding(s) at level {level} or above"
        )
    sys.exit(EXIT_FINDINGS if found else EXIT_OK)


def _summary_line(report: DocumentReport) -> str:
    """One line per letter: its scores and its findings counted by rule."""
    check = report.check
    scores = check.scores
    counts = ", ".join(f"{rule} {n}" for rule, n in sorted(check.counts().items())) or "no finding"
    score = (
        f"Kandel-Moles {scores.kandel_moles:g}, LIX {scores.lix:g}" if scores else "no text score"
    )
    errors = len(check.errors())
    gate = " — refused by the gate" if check.refused else ""
    territory = f" ({report.territory})" if report.territory else ""
    return (
        f"  = {report.letter_id}{territory} [{check.falc}]: {score}; "
        f"{errors} error(s), {len(check.findings) - errors} warning(s): {counts}{gate}"
    )
