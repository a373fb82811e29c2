"""Personal data goes into letters and nowhere else: not logs, messages or (with --redact) reports."""

from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path

import pytest

from .conftest import ROOT, RUN_DATE, pdf_words

HEADER = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;Allocataire CAF"
)
# One marker per field that can carry one; numbers and dates are markers by their digits.
FIELDS = {
    "family": "ZQNOMFAM",
    "given": "Zqprenom",
    "street": "12 rue ZQRUE",
    "complement": "Bât ZQCOMPL",
    "commune": "ZQVILLE",
    "landlord": "ZQBAILLEUR",
}
CASE_ID = "ZQCASE-5521"
DEBT = ("8 765,43", ("8765", "8 765", "8\u202f765", "8\u00a0765"))
RENT = ("612,34", ("612,34", "612.34"))
ACT = ("17/09/2026", ("17/09/2026", "2026-09-17", "17 septembre"))
LEASE = ("03/02/2011", ("03/02/2011", "2011-02-03", "3 février 2011"))
FILE_MARK = "DUPONT-ZQFICHIER"


def case_file(tmp_path: Path) -> Path:
    f = FIELDS
    good = (
        f"{CASE_ID};Mme;{f['family']};{f['given']};{f['street']};{f['complement']};93100;"
        f"{f['commune']};Bailleur social;{f['landlord']};{DEBT[0]};{RENT[0]};{ACT[0]};{LEASE[0]};Oui"
    )
    rejected = [
        # every kind of bad value, each carrying a marker the reason must not repeat
        "ZQCASE-2;Mme;ZQNOM2;Eve;3 rue ZQRUE2;;93100;ZQVILLE2;ZQTYPE;ZQB2;ZQMONTANT;ZQLOYER;ZQDATE;;ZQOUI",
        "ZQCASE-3;Mme;ZQNOM3;Eve;3 rue ZQRUE3;;13001;ZQVILLE3;Privé;;1 000,00;;01/10/2026;;Oui",
        "ZQCASE-4;Mme;ZQNOM4;Eve;3 rue ZQRUE4;;93100;ZQVILLE4;Privé;;999 999 999,00;;31/02/2026;;Oui",
        "ZQCASE-5;Mme;ZQNOM5\x07;Eve;3 rue ZQRUE5;;93100;ZQVILLE5;Privé;;1 000,00;;01/10/2026;;Oui",
        "ZQCASE-6;Mme;ZQNOM6;Eve;3 rue ZQRUE6;;93100",
        "ZQCASE-7;Mme;ZQNOM7;Eve;3 rue ZQRUE7;;93100;ZQVILLE7;Privé;;1 000,00;;01/10/2099;;Oui",
    ]
    # A street too long for an envelope window: the letter is refused, not cut.
    unprintable = (
        "ZQCASE-8;Mme;ZQNOM8;Eve;8 rue ZQLONGUERUE " + "de la très longue voie " * 5 + ";;93100;"
        "ZQVILLE8;Bailleur social;OPH;1 500,00;;01/10/2026;;Oui"
    )
    path = tmp_path / f"{FILE_MARK}.csv"
    path.write_text("\n".join([HEADER, good, *rejected, unprintable]) + "\n", encoding="utf-8")
    return path


def field_markers() -> list[str]:
    markers = [*FIELDS.values(), "ZQNOM", "ZQRUE", "ZQVILLE", "ZQTYPE", "ZQB2", "ZQMONTANT"]
    markers += ["ZQLOYER", "ZQDATE", "ZQOUI", "ZQLONGUERUE", "ZQCOMPL", "ZQBAILLEUR"]
    return markers + list(DEBT[1]) + list(RENT[1]) + list(ACT[1]) + list(LEASE[1])


REPORTS = ("summary.json", "rejects.csv", "households.csv", "review.csv", "mailings.csv")


def run(cli, tmp_path: Path, *extra: str):
    out = tmp_path / "out"
    result = cli(
        "render",
        case_file(tmp_path),
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        ROOT / "catalog.yaml",
        "--ledger",
        tmp_path / "ledger.sqlite",
        *extra,
    )
    return out, result


def found(text: str, markers: list[str]) -> list[str]:
    folded = text.casefold()
    return [m for m in markers if m.casefold() in folded]


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level
    return caplog


def test_personal_data_reaches_letters_and_nothing_else(cli, tmp_path, all_logs):
    out, result = run(cli, tmp_path)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows"] == {
        "read": 8,
        "used": 2,
        "rendered": 1,
        "suppressed": 1,
        "rejected": 6,
    }
    assert summary["suppressions"]["by_code"].get("address_unprintable") == 1
    # The markers are real: the letter prints them.
    letters = " ".join(pdf_words(p) for p in (out / "letters").rglob("*.pdf"))
    assert found(letters, [FIELDS["family"], FIELDS["commune"], "8 765,43"]) == [
        FIELDS["family"],
        FIELDS["commune"],
        "8 765,43",
    ]
    markers = field_markers()
    logs = "\n".join(r.getMessage() for r in all_logs.records)
    assert all_logs.records, "the batch logs its steps"
    assert found(logs, [*markers, CASE_ID]) == []
    assert found(result.output, [*markers, CASE_ID]) == []
    for name in REPORTS:
        text = (out / name).read_text(encoding="utf-8-sig")
        assert found(text, [*markers, CASE_ID]) == [], name
    # The manifest names the partner's case id (to find the letter back), nothing else.
    manifest = (out / "manifest.csv").read_text(encoding="utf-8-sig")
    assert CASE_ID in manifest and found(manifest, markers) == []


def test_redacted_reports_hold_no_file_name_case_id_or_household_key(cli, tmp_path, all_logs):
    out, result = run(cli, tmp_path, "--redact")
    assert result.exit_code == 0, result.output
    forbidden = [*field_markers(), CASE_ID, "ZQCASE", FILE_MARK, str(tmp_path)]
    key = re.compile(r"\bh-[0-9a-f]{12}\b")
    for name in (*REPORTS, "manifest.csv"):
        text = (out / name).read_text(encoding="utf-8-sig")
        assert found(text, forbidden) == [], name
        assert not key.search(text), name
    assert found(result.output, forbidden) == [] and not key.search(result.output)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["redacted"] is True
    assert [f["file"] for f in summary["files"]] == ["file-1"]
    assert summary["rows"]["read"] == 8 and summary["rejections"]["rows"] == 6
    assert summary["suppressions"]["by_code"] == {"address_unprintable": 1}
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    assert set(rows[0]) == {"household", "letter_id", "version", "sender", "format", "pages"}
    assert {r["household"] for r in rows} == {"household-1"}
    with (out / "rejects.csv").open(encoding="utf-8-sig", newline="") as stream:
        rejects = list(csv.DictReader(stream, delimiter=";"))
    assert {r["file"] for r in rejects} == {"file-1"}
    assert {int(r["row"]) for r in rejects} == {3, 4, 5, 6, 7, 8}
    assert "Montant de la dette" in {r["column"] for r in rejects}
    # The letters and the ledger are what the run is for: untouched.
    letters = " ".join(pdf_words(p) for p in (out / "letters").rglob("*.pdf"))
    assert FIELDS["family"] in letters
    # Files are still private and none is left half-written.
    assert all(p.stat().st_mode & 0o077 == 0 for p in out.rglob("*") if p.is_file())
    assert not [p for p in out.rglob(".*") if p.name != ".pexmail-output"]


def test_a_file_without_header_is_refused_without_printing_its_first_row(cli, tmp_path):
    path = tmp_path / "no-header.csv"
    path.write_text(
        f"{CASE_ID};Mme;{FIELDS['family']};Eve;{FIELDS['street']};;93100;{FIELDS['commune']};"
        "Privé;;8 765,43;;17/09/2026;;Oui\n",
        encoding="utf-8",
    )
    for extra in ((), ("--redact",)):
        result = cli(
            "render", path, "--out", tmp_path / "out", "--catalog", ROOT / "catalog.yaml", *extra
        )
        assert result.exit_code == 1
        assert "looks like a row of data" in result.output
        assert found(result.output, [*field_markers(), CASE_ID]) == []


def test_redacted_errors_name_no_file(cli, tmp_path):
    path = tmp_path / f"{FILE_MARK}.csv"
    path.write_text("Nom;Prénom;Ville\nX;Y;Z\n", encoding="utf-8")
    result = cli(
        "render", path, "--out", tmp_path / "out", "--catalog", ROOT / "catalog.yaml", "--redact"
    )
    assert result.exit_code == 1
    assert "file-1: the header does not match" in result.output
    assert FILE_MARK not in result.output and "header found" not in result.output


def test_the_ledger_report_holds_counts_only_and_redacts_run_ids(cli, sample_run):
    ledger = sample_run.parent / "pexmail-ledger.sqlite"
    manifest = (sample_run / "manifest.csv").read_text(encoding="utf-8-sig")
    keys = set(re.findall(r"\bh-[0-9a-f]{12}\b", manifest))
    case_ids = {
        case_id
        for row in csv.DictReader(manifest.splitlines(), delimiter=";")
        for case_id in row["case_ids"].split()
    }
    assert keys and case_ids
    plain = cli("report", "--ledger", ledger, "--format", "json")
    redacted = cli("report", "--ledger", ledger, "--format", "json", "--redact")
    assert plain.exit_code == redacted.exit_code == 0
    for output in (plain.output, redacted.output):
        assert not [k for k in keys | case_ids if k in output]
    figures = json.loads(redacted.output)
    assert figures["redacted"] is True
    assert [r["run_id"] for r in figures["runs"]] == ["run-1"]
    assert figures["letters"] == json.loads(plain.output)["letters"] > 0
