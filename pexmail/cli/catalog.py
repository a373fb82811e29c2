"""``pexmail catalog``: list and validate the catalogue."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pexmail.cli import catalog_option, load, main
from pexmail.errors import EXIT_CANNOT_WORK


@main.command("catalog")
@catalog_option
@click.option(
    "--check",
    is_flag=True,
    help="Also render every letter for a sample household of each "
    "territory, PDF with each engine (WeasyPrint, Typst) and DOCX, and report any problem.",
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
    catalog = load(catalog_path)
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
        if letter.kind == "notice":
            click.echo(f"  for: on demand, `pexmail notice --act {letter.stage}` for a commune")
        else:
            click.echo(f"  for: {describe_conditions(letter.conditions)}")
        if letter.contacts:
            click.echo(
                f"  contacts: {', '.join(letter.contacts)}"
                + (f"; QR {letter.qr}" if letter.qr else "")
                + ("; DL envelope" if letter.envelope else "")
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
    if conditions.stages:
        parts.append("at stages " + ", ".join(conditions.stages))
    if conditions.recommended_by:
        parts.append("recommendations ticked by " + "/".join(conditions.recommended_by))
    return "; ".join(parts) or "every household at this stage"
