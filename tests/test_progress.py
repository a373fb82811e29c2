"""The progress bar: counts, rate and time left on a terminal; silence elsewhere."""

from __future__ import annotations

from pexmail.cli.render import _Status

from .conftest import ROOT, RUN_DATE


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_shows_rows_households_letters_rate_and_eta(capsys):
    clock = Clock()
    status = _Status(live=True, clock=clock)
    status("rows", 1000, None)
    status("cases", 0, 1000)
    clock.now += 10
    status("households", 200, None)
    status("letters", 250, None)
    clock.now += 1
    status("cases", 250, 1000)  # a quarter done in 11 s: 33 s left
    line = status.line(clock.now)
    assert "rows 1,000" in line and "households 200" in line
    assert "letters 250 (23/s)" in line
    assert "25%" in line and "ETA 0:33" in line
    status.done()
    err = capsys.readouterr().err
    assert "\r" in err and "ETA 0:33" in err


def test_no_progress_when_stderr_is_not_a_terminal(cli, tmp_path):
    result = cli(
        "render",
        ROOT / "samples" / "drihl-exploc-cdp-2026-11.csv",
        "--out",
        tmp_path / "out",
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "docx",
        "--no-ledger",
    )
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output and "ETA" not in result.output
