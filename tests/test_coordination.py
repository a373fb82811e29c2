"""Coordination end to end: one mailing per household, nothing twice, runs that race or die."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from pexmail.catalog import load_catalog

from .conftest import ROOT, RUN_DATE, text_positions
from .test_chain_plan import with_second_sender

HEADER = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;Allocataire CAF"
)
SAMPLES = sorted((ROOT / "samples").glob("*.csv"))


@pytest.fixture(scope="module")
def sample_counts(sample_run) -> tuple[int, int]:
    """What the bundled samples issue on RUN_DATE, read from their render: letters (one DOCX
    each), and DL envelopes for the mailings holding a summons letter."""
    with (sample_run / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    letters = sum(1 for d in rows if d["format"] == "docx")
    envelopes = sum(1 for d in rows if d["letter_id"] == "envelope")
    assert letters > 20 and envelopes > 0  # the samples exercise both
    return letters, envelopes


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def ledger_rows(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(query).fetchall()


def test_several_letters_go_as_one_mailing_with_a_cover_page(cli, tmp_path, catalog_copy):
    catalog_path = with_second_sender(catalog_copy)
    csv_path = tmp_path / "cases.csv"
    csv_path.write_text(
        HEADER
        + "\nM-1;Mme;LAMBERT;Léa;7 rue de Crimée;;75019;Paris;Privé;;4 500,00;700,00;01/10/2026;;Oui\n"
        "M-2;M.;GIRARD;Paul;9 rue de Crimée;;75019;Paris;Bailleur social;Paris Habitat;2 000,00;600,00;01/10/2026;;Oui\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = cli(
        "render", csv_path, "--out", out, "--date", RUN_DATE.isoformat(), "--catalog", catalog_path
    )
    assert result.exit_code == 0, result.output
    (mailing,) = read_csv(out / "mailings.csv")
    assert mailing["letters"] == "drihl-cdp-private-adil clil-test-letter"
    path = out / mailing["path"]
    reader = PdfReader(path)
    letters = [
        d
        for d in read_csv(out / "manifest.csv")
        if d["household_key"] == mailing["household_key"] and d["format"] == "pdf"
    ]
    assert len(reader.pages) == int(mailing["pages"]) == 1 + sum(int(d["pages"]) for d in letters)
    cover = " ".join((reader.pages[0].extract_text() or "").replace("\u00a0", " ").split())
    assert "Ce courrier contient 2 lettres" in cover
    assert (
        "faites vérifier votre dette, c'est gratuit" in cover
        and "vous pouvez encore tout régler" in cover
    )
    assert "À appeler en premier" in cover
    town = next((x, y) for text, x, y in text_positions(path, 0) if text == "75019 PARIS")
    assert (
        100 <= town[0] <= 120 and 45 <= town[1] <= 90
    )  # the cover shows through the envelope window
    # The print files group mailings, not loose letters.
    prints = {p["path"]: p for p in summary(out)["print_files"]}
    assert prints["print/mailings-001.pdf"]["mailings"] == 1
    assert "print/drihl-cdp-private-adil-001.pdf" not in prints
    assert prints["print/drihl-cdp-social-001.pdf"]["letters"] == 1
    assert summary(out)["coordination"]["with"]["max"] == 2


def test_rerun_issues_nothing_new_and_keeps_the_folder_whole(cli, tmp_path):
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    args = (
        "render",
        *SAMPLES,
        "--out",
        out,
        "--ledger",
        ledger,
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "docx",
    )
    first = cli(*args)
    assert first.exit_code == 0, first.output
    manifest = read_csv(out / "manifest.csv")
    issued_at = ledger_rows(
        ledger, "SELECT household_key, letter_id, issued_at FROM letters ORDER BY 1, 2"
    )
    second = cli(*args)
    assert second.exit_code == 0, second.output
    assert read_csv(out / "manifest.csv") == manifest
    assert (
        ledger_rows(ledger, "SELECT household_key, letter_id, issued_at FROM letters ORDER BY 1, 2")
        == issued_at
    )
    assert summary(out)["documents"]["carried_from_an_interrupted_run"] == len(manifest)
    # Another folder, another day: already sent.
    third = cli(
        "render",
        *SAMPLES,
        "--out",
        tmp_path / "later",
        "--ledger",
        ledger,
        "--date",
        "2026-12-28",
        "--format",
        "docx",
    )
    assert third.exit_code == 0
    later = summary(tmp_path / "later")
    assert later["documents"]["total"] == 0
    assert later["suppressions"]["by_code"]["already_sent"] == len(manifest)


def test_dry_run_writes_nothing(cli, tmp_path):
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    result = cli(
        "render",
        *SAMPLES,
        "--out",
        out,
        "--ledger",
        ledger,
        "--date",
        RUN_DATE.isoformat(),
        "--dry-run",
    )
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.output
    assert "drihl-cdp-social: 20" in result.output and "drihl-assignation: 3" in result.output
    assert not out.exists() and not ledger.exists()


def test_dry_run_reads_the_ledger(cli, tmp_path, sample_counts):
    letters, _envelopes = sample_counts
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    cli(
        "render",
        *SAMPLES,
        "--out",
        out,
        "--ledger",
        ledger,
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "docx",
    )
    before = ledger.read_bytes()
    result = cli(
        "render",
        *SAMPLES,
        "--out",
        tmp_path / "next",
        "--ledger",
        ledger,
        "--date",
        "2026-12-28",
        "--dry-run",
    )
    assert f"already_sent {letters}" in result.output
    assert ledger.read_bytes() == before and not (tmp_path / "next").exists()


def _render_process(out: Path, ledger: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pexmail",
            "render",
            *map(str, SAMPLES),
            "--out",
            str(out),
            "--ledger",
            str(ledger),
            "--date",
            RUN_DATE.isoformat(),
            "--catalog",
            str(ROOT / "catalog.yaml"),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_runs_at_once_never_issue_the_same_letter(tmp_path, sample_counts):
    letters, _envelopes = sample_counts
    ledger = tmp_path / "ledger.sqlite"
    runs = [_render_process(tmp_path / f"out{n}", ledger, "--format", "docx") for n in (1, 2)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    issued_pairs = [
        (d["household_key"], d["letter_id"])
        for n in (1, 2)
        for d in read_csv(tmp_path / f"out{n}" / "manifest.csv")
    ]
    assert len(issued_pairs) == len(set(issued_pairs)) == letters
    issued = ledger_rows(
        ledger,
        "SELECT COUNT(*), COUNT(DISTINCT household_key || letter_id) FROM letters WHERE status = 'issued'",
    )
    assert issued == [(letters, letters)]
    codes = {**summary(tmp_path / "out1")["suppressions"]["by_code"]}
    for code, count in summary(tmp_path / "out2")["suppressions"]["by_code"].items():
        codes[code] = codes.get(code, 0) + count
    # Each letter issued by one run is held back by the other; a letter one run reserved and
    # then refused (a stale contact) may also have been held back as in progress by the other.
    held_back = codes.get("already_sent", 0) + codes.get("in_progress", 0)
    assert letters <= held_back <= letters + codes.get("stale_contact", 0)


def test_a_run_killed_halfway_completes_on_rerun_without_duplicates_or_holes(
    tmp_path, sample_counts
):
    letters, envelopes = sample_counts
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    run = _render_process(out, ledger, "--format", "pdf")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(list((out / "letters").rglob("*.pdf"))) >= 5:
            break
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    written = {p.relative_to(out) for p in (out / "letters").rglob("*.pdf")}
    assert 5 <= len(written) < letters
    assert not list(
        out.rglob("*.tmp")
    )  # atomic writes: no half file under the final name or left over
    assert not (out / "manifest.csv").exists()
    rerun = _render_process(out, ledger, "--format", "pdf")
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    manifest = read_csv(out / "manifest.csv")
    documents = letters + envelopes
    assert (
        len(manifest) == documents == len({(d["household_key"], d["letter_id"]) for d in manifest})
    )
    for document in manifest:
        data = (out / document["path"]).read_bytes()
        assert len(PdfReader(out / document["path"]).pages) == int(document["pages"])
        import hashlib

        assert hashlib.sha256(data).hexdigest() == document["sha256"]
    assert ledger_rows(ledger, "SELECT status, COUNT(*) FROM letters GROUP BY status") == [
        ("issued", letters)
    ]
    assert summary(out)["documents"]["carried_from_an_interrupted_run"] >= 4


def test_ledger_and_report_commands(cli, tmp_path, sample_counts):
    letters, _envelopes = sample_counts
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    cli(
        "render",
        *SAMPLES,
        "--out",
        out,
        "--ledger",
        ledger,
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "docx",
    )
    cli(
        "render",
        *SAMPLES,
        "--out",
        tmp_path / "dec",
        "--ledger",
        ledger,
        "--date",
        "2026-12-28",
        "--format",
        "docx",
    )
    document = read_csv(out / "manifest.csv")[0]
    history = cli("ledger", document["household_key"], "--ledger", ledger)
    assert history.exit_code == 0
    assert f"issued    {document['letter_id']} v1.0" in history.output
    assert "held back" in history.output and "already_sent" in history.output
    by_case = cli("ledger", "--case", document["case_ids"].split()[0], "--ledger", ledger)
    assert document["household_key"] in by_case.output
    report = cli("report", "--ledger", ledger, "--format", "json")
    figures = json.loads(report.output)
    assert figures["letters"] == letters and figures["letters_per_household"]["max"] == 2
    assert figures["suppressed_by_rule"]["already_sent"]["letters"] == letters
    assert (
        figures["runs"][0]["uncoordinated"]["letters"]
        >= figures["runs"][0]["coordinated"]["letters"]
    )
    text = cli("report", "--ledger", ledger)
    assert "letters per household" in text.output and "held back, by rule" in text.output
    missing = cli("report", "--ledger", tmp_path / "nowhere.sqlite")
    assert missing.exit_code == 1


def test_matching_thresholds_are_catalogue_data(catalog_copy):
    text = catalog_copy.read_text(encoding="utf-8")
    catalog_copy.write_text(
        text.replace(
            "\nletters:\n",
            "\nmatching:\n  name_min_score: 70\n  review_min_score: 80\n\nletters:\n",
            1,
        ),
        encoding="utf-8",
    )
    from pexmail.errors import CatalogError

    with pytest.raises(CatalogError, match="review_min_score must not exceed name_min_score"):
        load_catalog(catalog_copy)
