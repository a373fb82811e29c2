"""Contact freshness: flagged past review_after, refused past max_age or unverified,
accepted with --allow-stale (and recorded), fresh again after `pexmail contacts verify`."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from pexmail.catalog.contacts import ContactEntry, Freshness, freshness, months_between
from pexmail.catalog.load import load_catalog
from pexmail.catalog.verify import VerifyError, record_verification

# One Paris household at the commandement-de-payer stage: its DRIHL letter prints
# the DRIHL office (paris-drihl) and Paris contacts verified in July 2025 (seed 000).
HEADER = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;"
    "Allocataire CAF"
)
ROW = "EXP-T-1;MME;TESTEUR;Anne;3 rue de Test;;75018;Paris;Bailleur privé;;4 000,00;800,00;{act};;"


def entry(verified_on: date | None) -> ContactEntry:
    return ContactEntry(id="x", kind="adil", name="X", source="test", verified_on=verified_on)


@pytest.mark.parametrize(
    ("verified_on", "on", "expected"),
    [
        (None, date(2026, 1, 1), Freshness.STALE),
        (date(2025, 7, 1), date(2026, 6, 30), Freshness.CURRENT),
        (date(2025, 7, 1), date(2026, 7, 1), Freshness.REVIEW),
        (date(2025, 7, 1), date(2027, 6, 30), Freshness.REVIEW),
        (date(2025, 7, 1), date(2027, 7, 1), Freshness.STALE),
    ],
)
def test_freshness_thresholds(verified_on, on, expected):
    assert freshness(entry(verified_on), on, 12, 24) is expected


def test_months_between_counts_whole_months():
    assert months_between(date(2025, 7, 31), date(2025, 8, 30)) == 0
    assert months_between(date(2025, 7, 31), date(2025, 8, 31)) == 1


def run(cli, catalog: Path, tmp_path: Path, name: str, on: str, *extra: str) -> tuple:
    source = tmp_path / "exploc.csv"
    source.write_bytes((HEADER + "\n" + ROW.format(act="02/06/2027") + "\n").encode("cp1252"))
    out = tmp_path / name
    result = cli(
        "render",
        str(source),
        "--catalog",
        str(catalog),
        "--out",
        str(out),
        "--date",
        on,
        "--format",
        "pdf",
        "--no-ledger",
        *extra,
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
        manifest = list(csv.DictReader(stream, delimiter=";"))
    return result, summary, manifest


def test_batch_flags_refuses_allows_and_verify_refreshes(cli, catalog_copy, tmp_path):
    # 2027-07-02: the Paris entries (July 2025) are past max_age (24 months): refused.
    result, summary, manifest = run(cli, catalog_copy, tmp_path, "stale", "2027-07-02")
    assert result.exit_code == 0, result.output
    assert manifest == []
    assert summary["suppressions"]["by_code"] == {"stale_contact": 1}
    (reason,) = summary["suppressions"]["reasons"]
    assert "paris-drihl (verified 2025-07-01)" in reason and "--allow-stale" in reason
    assert summary["rows"]["suppressed"] == 1 and summary["rows"]["read"] == 1
    result, _, _ = run(cli, catalog_copy, tmp_path, "strict", "2027-07-02", "--strict")
    assert result.exit_code == 3

    # --allow-stale: rendered, and the manifest says which stale entries it printed.
    result, summary, manifest = run(
        cli, catalog_copy, tmp_path, "allowed", "2027-07-02", "--allow-stale"
    )
    assert result.exit_code == 0, result.output
    (document,) = manifest
    assert "paris-drihl" in document["stale_contacts_allowed"].split()
    assert "paris-adil75" in document["stale_contacts_allowed"].split()
    assert summary["contacts"]["allow_stale"] is True
    assert summary["contacts"]["stale_printed"]["paris-drihl"] == 1
    assert "stale contacts printed with --allow-stale" in result.output

    # 2027-06-02: past review_after only: printed, flagged in the manifest and summary.
    result, summary, manifest = run(cli, catalog_copy, tmp_path, "review", "2027-06-02")
    (document,) = manifest
    to_review = document["contacts_to_review"].split()
    assert "paris-drihl" in to_review and document["stale_contacts_allowed"] == ""
    assert summary["contacts"]["to_review"]["paris-drihl"] == 1
    assert "contacts due for review" in result.output

    # A verification puts them back in force.
    ids = [*to_review]
    result = cli(
        "contacts",
        "--catalog",
        str(catalog_copy),
        "verify",
        *ids,
        "--on",
        "2026-11-01",
        "--by",
        "test",
    )
    assert result.exit_code == 0, result.output
    result, summary, manifest = run(cli, catalog_copy, tmp_path, "fresh", "2027-07-02")
    (document,) = manifest
    assert document["contacts_to_review"] == "" and document["stale_contacts_allowed"] == ""
    assert summary["contacts"]["to_review"] == {} and summary["suppressions"]["total"] == 0


def test_verify_edits_only_the_entrys_lines(catalog_copy):
    catalog = load_catalog(catalog_copy)
    path = catalog_copy.parent / "contacts" / "pas-de-calais.yaml"
    before = path.read_text(encoding="utf-8").splitlines()
    mode = path.stat().st_mode
    record_verification(catalog, "lens-adil-62", on=date(2026, 11, 20), by='ADIL "62", by phone')
    after = path.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before) + 1  # verified_on replaced, verified_by added
    changed = [line for line in after if line not in before]
    assert changed == ["    verified_on: 2026-11-20", '    verified_by: "ADIL \\"62\\", by phone"']
    assert after[:8] == before[:8]  # the header comments stay
    assert path.stat().st_mode == mode
    reloaded = load_catalog(catalog_copy).directories.by_id("lens-adil-62")
    assert reloaded.verified_on == date(2026, 11, 20)
    assert reloaded.verified_by == 'ADIL "62", by phone'
    # Again: both lines now exist and are replaced, nothing added.
    record_verification(catalog, "lens-adil-62", on=date(2026, 11, 21), by="again")
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(after)
    assert load_catalog(catalog_copy).directories.by_id("lens-adil-62").verified_by == "again"


def test_verify_refuses_unknown_ids_and_future_dates(catalog_copy, cli):
    catalog = load_catalog(catalog_copy)
    with pytest.raises(VerifyError, match="no contact entry with id 'nope'"):
        record_verification(catalog, "nope", on=date(2026, 1, 1))
    with pytest.raises(VerifyError, match="in the future"):
        record_verification(catalog, "lens-adil-62", on=date(2026, 2, 1), today=date(2026, 1, 1))
    result = cli("contacts", "--catalog", str(catalog_copy), "verify", "nope")
    assert result.exit_code == 1 and "nope" in result.output


def test_contacts_check_lists_stale_directories(cli, catalog_copy):
    result = cli("contacts", "--catalog", str(catalog_copy), "--date", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert "contacts/pas-de-calais.yaml" in result.output
    assert "13 to review" in result.output  # Paris, verified July 2025
    result = cli("contacts", "--catalog", str(catalog_copy), "--check", "--date", "2026-11-23")
    assert result.exit_code == 3
    assert "stale  lens-adil-62 (adil) — never verified" in result.output
    assert "review paris-adil75 (adil) — 2025-07-01" in result.output
