"""``pexmail ledger`` and ``pexmail report``: what the send ledger knows."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from pexmail.cli import main
from pexmail.errors import EXIT_CANNOT_WORK
from pexmail.output.ledger import LEDGER_NAME, Ledger, LedgerError, ledger_report

ledger_option = click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path(LEDGER_NAME),
    show_default=True,
    help="Send ledger file (render writes it next to its output folder).",
)


def _open(path: Path) -> Ledger:
    try:
        return Ledger.open(path, readonly=True)
    except (LedgerError, OSError) as exc:
        click.secho(f"pexmail: error: {exc}", fg="red", err=True)
        sys.exit(EXIT_CANNOT_WORK)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected a date as YYYY-MM-DD") from None


@main.command("ledger")
@click.argument("household", required=False)
@click.option("--case", "case_id", help="Find the household by a partner's case id instead.")
@ledger_option
def ledger_command(household: str | None, case_id: str | None, ledger_path: Path) -> None:
    """Print a household's history: letters issued and letters held back, with reasons.

    HOUSEHOLD is the key in manifest.csv (h-…).

    \b
    Example:
      pexmail ledger h-3f2a9c1e7b04
      pexmail ledger --case EXP-75-2026000 --ledger /data/pexmail-ledger.sqlite
    """
    if not household and not case_id:
        raise click.UsageError("give a household key or --case")
    with _open(ledger_path) as ledger:
        keys = [household] if household else ledger.households_for_case(case_id or "")
        if not keys:
            click.echo(f"no household with case {case_id} in {ledger_path}")
            sys.exit(1)
        for key in keys:
            history = ledger.household_history(key)
            click.echo(f"household {key}")
            if not history["letters"] and not history["suppressions"]:
                click.echo("  nothing recorded")
            for (
                run_date,
                letter_id,
                version,
                sender,
                stage,
                episode,
                status,
                case_ids,
                _,
            ) in history["letters"]:
                act = f", act of {episode}" if episode else ""
                click.echo(
                    f"  {run_date}  {status:<9} {letter_id} v{version} ({sender}, stage {stage}{act}) cases {case_ids}"
                )
            for run_date, letter_id, code, reason in history["suppressions"]:
                click.echo(f"  {run_date}  held back {letter_id or '-'}: {code} — {reason}")


@main.command("report")
@ledger_option
@click.option("--since", callback=_date, metavar="YYYY-MM-DD", help="First run date counted.")
@click.option("--until", callback=_date, metavar="YYYY-MM-DD", help="Last run date counted.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--redact",
    is_flag=True,
    help="For support: run ids become run-1, run-2… (the figures hold no household, case or name).",
)
def report_command(
    ledger_path: Path, since: date | None, until: date | None, fmt: str, redact: bool
) -> None:
    """Figures over the ledger: letters per household, per sender and stage, held back by rule.

    \b
    Example:
      pexmail report
      pexmail report --since 2026-01-01 --format json
    """
    with _open(ledger_path) as ledger:
        figures = ledger_report(ledger, since, until)
    if redact:
        # Only counts remain; a run id dates a run to the second, which is enough to
        # match it with a partner's export: replaced too.
        for number, run in enumerate(figures["runs"], start=1):
            run["run_id"] = f"run-{number}"
        figures["redacted"] = True
    if fmt == "json":
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    per = figures["letters_per_household"]
    click.echo(
        f"{figures['letters']} letters to {figures['households']} households "
        f"(mean {per['mean']}, max {per['max']} per household)"
    )
    click.echo(
        "letters per household: " + ", ".join(f"{k}: {v}" for k, v in per["histogram"].items())
    )
    click.echo("by sender and stage:")
    for row in figures["by_sender_and_stage"]:
        click.echo(f"  {row['sender']:<12} {row['stage']:<16} {row['letters']}")
    click.echo("held back, by rule (letters / households):")
    for code, counts in figures["suppressed_by_rule"].items():
        click.echo(f"  {code:<22} {counts['letters']} / {counts['households']}")
    for run in figures["runs"]:
        if "uncoordinated" in run:
            click.echo(
                f"run {run['run_id']} ({run['run_date']}): {run['uncoordinated']['letters']} letters if each "
                f"partner wrote alone (max {run['uncoordinated']['max']} per household), "
                f"{run['coordinated']['letters']} in the batch (max {run['coordinated']['max']}), "
                f"{run.get('new_letters', run['coordinated']['letters'])} of them new"
            )
