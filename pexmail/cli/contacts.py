"""``pexmail contacts``: the directories' freshness; ``contacts verify`` records a check."""

from __future__ import annotations

import getpass
import sys
from datetime import date
from pathlib import Path

import click

from pexmail.catalog.contacts import Freshness
from pexmail.cli import catalog_option, fail, load, main, parse_date
from pexmail.errors import EXIT_STRICT, PexmailError


@main.group("contacts", invoke_without_command=True)
@click.option(
    "--check",
    is_flag=True,
    help="List every entry due for review or stale; exit with 3 if one is stale.",
)
@click.option(
    "--date", "on", callback=parse_date, help="Judge freshness at this date. Default: today."
)
@catalog_option
@click.pass_context
def contacts_command(ctx: click.Context, check: bool, on: date, catalog_path: Path | None) -> None:
    """List the contact directories: entries current, due for review, stale.

    An entry is due for review past the catalogue's review_after_months since its
    verified_on, and stale past max_age_months or when it was never verified:
    letters and notices refuse to print a stale entry unless --allow-stale.

    \b
    Example:
      pexmail contacts
      pexmail contacts --check
      pexmail contacts verify lens-adil-62 --on 2026-11-20 --by "ADIL 62, phone call"
    """
    if ctx.invoked_subcommand is not None:
        ctx.ensure_object(dict)["catalog_path"] = catalog_path
        return
    from pexmail.catalog.verify import directory_status

    catalog = load(catalog_path)
    policy = catalog.document.contacts
    statuses = directory_status(catalog, on)
    click.echo(
        f"contacts at {on.isoformat()}: review after {policy.review_after_months} months, "
        f"stale after {policy.max_age_months} months or never verified"
    )
    stale_total = 0
    for status in statuses:
        stale = status.count(Freshness.STALE)
        stale_total += stale
        try:
            shown = status.path.relative_to(catalog.root)
        except ValueError:
            shown = status.path
        click.echo(
            f"\n{shown} — {status.title} ({status.territory or 'national'}): "
            f"{len(status.entries)} entries, {status.count(Freshness.CURRENT)} current, "
            f"{status.count(Freshness.REVIEW)} to review, {stale} stale"
        )
        if check:
            for item in status.needing_attention:
                entry = item.entry
                checked = entry.verified_on.isoformat() if entry.verified_on else "never verified"
                click.echo(f"  {item.state.value:6} {entry.id} ({entry.kind}) — {checked}")
    if check and stale_total:
        click.secho(
            f"\n{stale_total} stale entries: letters and notices printing them are refused. "
            "Check each against a live source, then `pexmail contacts verify ID`.",
            fg="yellow",
            err=True,
        )
        sys.exit(EXIT_STRICT)


@contacts_command.command("verify")
@click.argument("entry_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--on", "on", callback=parse_date, help="Date of the verification. Default: today.")
@click.option("--by", "by", help="Who checked, and how. Default: your user name.")
@click.pass_context
def verify_command(
    ctx: click.Context, entry_ids: tuple[str, ...], on: date, by: str | None
) -> None:
    """Record that the entries ID... were checked against a live source.

    Edits verified_on (and verified_by) of each entry in its directory file,
    leaving the rest of the file as it was.

    \b
    Example:
      pexmail contacts verify lens-adil-62 lens-siao --on 2026-11-20 --by "J. Martin, by phone"
    """
    from pexmail.catalog.verify import record_verification

    catalog = load(ctx.obj.get("catalog_path") if ctx.obj else None)
    who = by if by is not None else getpass.getuser()
    for entry_id in entry_ids:
        try:
            path = record_verification(catalog, entry_id, on=on, by=who)
        except PexmailError as exc:
            fail(exc)
        click.echo(f"{entry_id}: verified on {on.isoformat()} by {who} ({path.name})")
