"""`pexmail check` and the FALC gate of `pexmail render`, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import ROOT, RUN_DATE

HEADER = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;Allocataire CAF"
)
# 40 words, one sentence, in the landlord's name printed by the social-landlord letter.
HOSTILE = " ".join(
    ["Office public dont le conseil a décidé que toute la dette resterait due"] * 3
    + ["sans aucun délai possible ni recours"]
)


def write_cases(path: Path, landlords: list[str]) -> Path:
    rows = [
        f"FALC-{n};Mme;MARTIN{n};Eve;{n} rue de Paris;;75011;Paris;Bailleur social;{name};"
        "2 000,00;700,00;01/10/2026;;Oui"
        for n, name in enumerate(landlords, start=1)
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def render(cli, csv_path: Path, out: Path, *extra: str, catalog: Path = ROOT / "catalog.yaml"):
    return cli(
        "render",
        csv_path,
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        catalog,
        "--no-ledger",
        "--format",
        "pdf",
        *extra,
    )


def test_check_passes_the_catalogue_letters_and_reports_scores(cli):
    result = cli(
        "check",
        "--catalog",
        ROOT / "catalog.yaml",
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["findings"] == 0
    letters = {d["letter_id"] for d in report["documents"]}
    assert {"drihl-cdp-social", "drihl-cdp-private-adil"} <= letters
    for document in report["documents"]:
        assert not document["refused_by_gate"]
        if document["letter_id"].startswith("drihl-cdp"):
            assert document["scores"]["kandel_moles"] > 75
            assert document["scores"]["lix"] < 35


def test_check_text_gives_file_letter_position_rule_excerpt_and_hint(cli, catalog_copy):
    template = catalog_copy.parent / "templates/letters/drihl/cdp-social.html.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        text.replace(
            "<h2>Ce que vous pouvez faire",
            "<p>Le juge peut décider une assignation le 05/10/2026.</p>\n<h2>Ce que vous pouvez faire",
        ),
        encoding="utf-8",
    )
    result = cli("check", template, "--catalog", catalog_copy, "--date", RUN_DATE.isoformat())
    assert result.exit_code == 1
    assert (
        "templates/letters/drihl/cdp-social.html.j2: drihl-cdp-social, paris: paragraph"
        in result.output
    )
    assert "error: jargon: « Le juge peut décider une assignation" in result.output
    assert "error: short-date: « 05/10/2026 » — write the date in full" in result.output
    assert "= drihl-cdp-social (paris) [strict]: Kandel-Moles" in result.output
    assert "refused by the gate" in result.output
    # only that template's letter was checked
    assert "drihl-cdp-private-adil" not in result.output


def test_check_usage_errors_exit_2(cli, tmp_path):
    result = cli("check", tmp_path / "nothing-here.txt", "--catalog", ROOT / "catalog.yaml")
    assert result.exit_code == 2
    assert "expected an output folder" in result.output


def test_the_gate_refuses_a_strict_letter_made_to_fail_by_a_case_field(cli, tmp_path):
    csv_path = write_cases(tmp_path / "cases.csv", ["Paris Habitat", HOSTILE])
    out = tmp_path / "out"
    result = render(cli, csv_path, out, "--strict")
    assert result.exit_code == 3, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["suppressions"]["by_code"] == {"falc_refused": 1}
    [reason] = [r for r in summary["suppressions"]["reasons"] if r.startswith("FALC")]
    assert "sentence-length" in reason and "Office public" not in reason  # no case data
    assert summary["documents"]["by_letter"] == {"drihl-cdp-social": 1}  # the other household's
    assert summary["falc"]["refused"] == 1 and summary["options"]["falc_gate"] is True
    assert summary["rows"]["read"] == 2
    assert "FALC gate: 2 letters checked, 1 refused" in result.output
    assert len(list((out / "letters").rglob("*.pdf"))) == 1


def test_no_falc_gate_issues_it_and_is_recorded(cli, tmp_path):
    csv_path = write_cases(tmp_path / "cases.csv", [HOSTILE])
    out = tmp_path / "out"
    result = render(cli, csv_path, out, "--no-falc-gate")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["options"]["falc_gate"] is False
    assert summary["falc"]["gate"] is False
    assert summary["documents"]["by_letter"] == {"drihl-cdp-social": 1}
    manifest = (out / "manifest.csv").read_text(encoding="utf-8-sig").splitlines()
    assert manifest[0].endswith(";falc_gate") and manifest[1].endswith(";off")
    assert "FALC gate: OFF" in result.output


@pytest.mark.parametrize(
    ("engine", "layout", "before", "after"),
    [
        ("weasyprint", "letter.css", "font-size: 14pt;", "font-size: 10pt;"),
        ("typst", "letter.typ", "size: 14pt,", "size: 10pt,"),
    ],
)
def test_the_gate_refuses_a_10pt_font_from_a_modified_layout(
    cli, tmp_path, catalog_copy, engine, layout, before, after
):
    path = catalog_copy.parent / "templates/assets" / layout
    text = path.read_text(encoding="utf-8")
    assert before in text
    path.write_text(text.replace(before, after, 1), encoding="utf-8")
    csv_path = write_cases(tmp_path / "cases.csv", ["Paris Habitat"])
    out = tmp_path / "out"
    result = render(cli, csv_path, out, "--engine", engine, catalog=catalog_copy)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["suppressions"]["by_code"] == {"falc_refused": 1}
    [reason] = summary["suppressions"]["reasons"]
    assert reason.startswith("FALC layout") and "font-size" in reason
    assert not list(out.glob("letters/*/*.pdf"))


def test_check_reads_an_output_folder(cli, tmp_path, catalog_copy):
    csv_path = write_cases(tmp_path / "cases.csv", ["Paris Habitat"])
    out = tmp_path / "out"
    result = cli(
        "render",
        csv_path,
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--no-ledger",
        "--catalog",
        ROOT / "catalog.yaml",
    )
    assert result.exit_code == 0, result.output
    result = cli(
        "check", out, "--catalog", ROOT / "catalog.yaml", "--level", "warning", "--format", "json"
    )
    report = json.loads(result.output)
    docx = [d for d in report["documents"] if d["file"].endswith(".docx")]
    assert docx and docx[0]["letter_id"] == "drihl-cdp-social"
    assert docx[0]["scores"]["kandel_moles"] > 60
    assert not [f for d in report["documents"] for f in d["findings"] if f["level"] == "error"]
    assert result.exit_code == (1 if report["findings"] else 0)
