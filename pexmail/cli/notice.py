"""``pexmail notice``: the notice annexed to one act, for one commune, without a CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from pexmail.cli import catalog_option, fail, load, main, parse_date
from pexmail.errors import PexmailError
from pexmail.output.files import write_atomic


@main.command("notice")
@click.option(
    "--act",
    required=True,
    help="The act the notice goes with: cdp (commandement de payer), assignation, "
    "cql (commandement de quitter les lieux).",
)
@click.option("--postcode", required=True, help="Postcode of the household's commune.")
@click.option("--commune", help="Commune, when several share the postcode.")
@click.option(
    "--date",
    "on",
    callback=parse_date,
    help="Date of the notice (YYYY-MM-DD); picks the text and facts in force. Default: today.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "docx"]), default="pdf", show_default=True
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write. Default: the notice's own file name in the current folder.",
)
@click.option(
    "--allow-stale",
    is_flag=True,
    help="Print contacts that nobody verified within the catalogue's max age (they are listed).",
)
@catalog_option
def notice_command(
    act: str,
    postcode: str,
    commune: str | None,
    on: date,
    fmt: str,
    out: Path | None,
    allow_stale: bool,
    catalog_path: Path | None,
) -> None:
    """Write the information notice a commissaire de justice annexes to an act,
    with the contacts serving the commune.

    An unknown postcode or commune exits with code 2 and lists the places
    covered; a notice that would print a stale contact is refused (code 3)
    unless --allow-stale.

    \b
    Example:
      pexmail notice --act cdp --postcode 93200 --out notice.pdf
      pexmail notice --act cql --postcode 62160 --commune Grenay --format docx --allow-stale
    """
    from pexmail.notices import render_notice

    catalog = load(catalog_path)
    try:
        notice = render_notice(
            catalog,
            act,
            postcode=postcode,
            commune=commune,
            on=on,
            fmt=fmt,
            allow_stale=allow_stale,
        )
    except PexmailError as exc:
        fail(exc)
    target = out or Path(notice.filename)
    write_atomic(target, notice.data)
    pages = f", {notice.pages} page{'s' if notice.pages != 1 else ''}" if notice.pages else ""
    click.echo(
        f"{target}: {notice.letter_id} v{notice.version} for {notice.postcode} "
        f"{notice.commune} ({notice.territory}){pages}"
    )
    for contact in notice.contacts:
        checked = contact.verified_on.isoformat() if contact.verified_on else "never"
        mark = {"review": "  [to review]", "stale": "  [STALE, allowed]"}.get(contact.freshness, "")
        click.echo(f"  {contact.kind}: {contact.id} (verified {checked}){mark}")
    if notice.flags:
        click.secho(
            f"{len(notice.flags)} contact(s) due for review: {', '.join(notice.flags)}",
            fg="yellow",
            err=True,
        )
    if notice.stale_allowed:
        click.secho(
            f"printed with --allow-stale: {', '.join(notice.stale_allowed)}", fg="yellow", err=True
        )
