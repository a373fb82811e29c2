"""Bad command lines get a one-line answer and the documented exit code, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pexmail.cli import main

from .conftest import ROOT, RUN_DATE

SAMPLE = ROOT / "samples" / "caf-impayes-2026-11.csv"


def invoke(*args: object):
    """Run the CLI catching exceptions, so that a traceback shows as a failure here."""
    return CliRunner().invoke(main, [str(a) for a in args])


def render(tmp_path: Path, *args: object):
    out = [] if "--out" in map(str, args) else ["--out", tmp_path / "out"]
    return invoke("render", *args, *out, "--catalog", ROOT / "catalog.yaml", "--no-ledger")


def assert_clean_failure(result, code: int, *fragments: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("23/11/2026", "YYYY-MM-DD"), ("2026-02-30", "YYYY-MM-DD"), ("demain", "YYYY-MM-DD")],
)
def test_bad_date_is_a_usage_error(tmp_path, value, fragment):
    assert_clean_failure(render(tmp_path, SAMPLE, "--date", value), 2, "--date", fragment)


def test_unknown_source_is_a_usage_error_listing_the_sources(tmp_path):
    result = render(tmp_path, SAMPLE, "--source", "cafe-impayes")
    assert_clean_failure(result, 2, "--source", "unknown source 'cafe-impayes'", "caf-impayes")
    assert not (tmp_path / "out").exists()


def test_unknown_encoding_is_a_usage_error(tmp_path):
    assert_clean_failure(render(tmp_path, SAMPLE, "--encoding", "ebcdic"), 2, "--encoding")


def test_unknown_format_is_a_usage_error(tmp_path):
    result = render(tmp_path, SAMPLE, "--format", "pdf,xls")
    assert_clean_failure(result, 2, "--format", "pdf, docx")
    assert not (tmp_path / "out").exists()


def test_output_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "out.pdf"
    target.write_text("not a folder")
    result = render(tmp_path, SAMPLE, "--out", target)
    assert_clean_failure(result, 2, "--out")
    assert target.read_text() == "not a folder"


def test_output_path_below_a_file_is_refused_without_traceback(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = render(tmp_path, SAMPLE, "--out", blocker / "out", "--date", RUN_DATE.isoformat())
    assert_clean_failure(result, 1, "pexmail: error:")


def test_csv_path_that_is_a_folder_is_a_usage_error(tmp_path):
    folder = tmp_path / "cases.csv"
    folder.mkdir()
    assert_clean_failure(render(tmp_path, folder), 2, "is a directory")


def test_missing_csv_stops_before_anything_is_written(tmp_path):
    result = render(tmp_path, tmp_path / "absent.csv")
    assert_clean_failure(result, 1, "absent.csv", "no such file")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_csv_is_refused(tmp_path):
    path = tmp_path / "locked.csv"
    path.write_bytes(SAMPLE.read_bytes())
    path.chmod(0)
    assert_clean_failure(render(tmp_path, path), 2, "not readable")


def test_csv_that_cannot_be_opened_is_refused_before_any_row(tmp_path, monkeypatch):
    # What an unreadable file does for a user who is not root (the test may run as root).
    from pexmail.ingest import cases

    def denied(path: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cases, "read_head", denied)
    result = render(tmp_path, SAMPLE)
    assert_clean_failure(result, 1, "caf-impayes-2026-11.csv", "cannot open: Permission denied")
    assert not (tmp_path / "out").exists()


def test_a_ledger_that_is_not_a_ledger_is_refused(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    ledger.write_text("Nom;Prénom\nDUPONT;Marie\n")
    result = invoke(
        "render",
        SAMPLE,
        "--out",
        tmp_path / "out",
        "--catalog",
        ROOT / "catalog.yaml",
        "--ledger",
        ledger,
        "--date",
        RUN_DATE.isoformat(),
    )
    assert_clean_failure(result, 1, "ledger")
    assert "DUPONT" not in result.output


def test_catalog_that_is_a_folder_is_a_usage_error(tmp_path):
    assert_clean_failure(invoke("catalog", "--catalog", tmp_path), 2, "--catalog")


def test_missing_catalog_is_an_error_naming_it(tmp_path):
    result = invoke("catalog", "--catalog", tmp_path / "nope.yaml")
    assert_clean_failure(result, 1, "nope.yaml", "cannot read")
