"""End to end through the CLI on the bundled samples, checked as a reader would check the letters."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader

from .conftest import ROOT, RUN_DATE, decode_qr, pdf_words, text_positions

VIDEO = "https://www.youtube.com/watch?v=4og3KOPxOfw"
SUBJECTS = {
    "drihl-cdp-social": "parlez-en vite à votre bailleur",
    "drihl-cdp-private-under-3000": "vous pouvez encore tout régler",
    "drihl-cdp-private-adil": "faites vérifier votre dette, c'est gratuit",
    "drihl-cdp-private-7000-10000": "demandez de l'aide sans attendre",
    "drihl-cdp-private-over-10000": "même pour une grosse dette",
}


def manifest(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def exploc_rows() -> dict[str, dict[str, str]]:
    path = ROOT / "samples" / "drihl-exploc-cdp-2026-11.csv"
    with path.open(encoding="cp1252", newline="") as stream:
        return {row["N° dossier EXPLOC"]: row for row in csv.DictReader(stream, delimiter=";")}


def expected_letter(row: dict[str, str]) -> str:
    """An oracle written apart from pexmail: the bands as the catalogue states them."""
    debt = Decimal(re.sub(r"[^\d,]", "", row["Montant de la dette"]).replace(",", "."))
    if row["Type de bailleur"] == "Bailleur social":
        return "drihl-cdp-social"
    if debt < 3000:
        return "drihl-cdp-private-under-3000"
    if debt < 7000:
        return "drihl-cdp-private-adil"
    if debt < 10000:
        return "drihl-cdp-private-7000-10000"
    return "drihl-cdp-private-over-10000"


def french_amount(text: str) -> str:
    value = Decimal(re.sub(r"[^\d,]", "", text).replace(",", "."))
    whole, cents = f"{value:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    return f"{grouped} €" if cents == "00" else f"{grouped},{cents} €"


def test_summary_accounts_for_every_row(sample_run):
    summary = json.loads((sample_run / "summary.json").read_text(encoding="utf-8"))
    rows = summary["rows"]
    assert rows["read"] == rows["rendered"] + rows["suppressed"] + rows["rejected"]
    assert rows["used"] == rows["rendered"] + rows["suppressed"]
    with (sample_run / "rejects.csv").open(encoding="utf-8-sig", newline="") as stream:
        rejects = list(csv.DictReader(stream, delimiter=";"))
    assert len({(r["file"], r["row"]) for r in rejects}) == rows["rejected"] == 7
    assert all(r["file"] and r["row"] and r["reason"] for r in rejects)
    assert {f["source"] for f in summary["files"]} == {
        "drihl-exploc-cdp",
        "caf-impayes",
        "clil-seance",
        "ccapex-avis",
    }
    assert summary["households"]["from_several_rows"] > 0
    assert sum(summary["documents"]["by_letter"].values()) == summary["documents"]["letters"]


def test_each_letter_is_the_right_one_for_its_band_with_name_and_amount(sample_run):
    rows = exploc_rows()
    checked = 0
    for document in manifest(sample_run):
        case_ids = document["case_ids"].split()
        if document["format"] != "pdf" or len(case_ids) != 1 or case_ids[0] not in rows:
            continue
        row = rows[case_ids[0]]
        assert document["letter_id"] == expected_letter(row), case_ids
        words = pdf_words(sample_run / document["path"])
        assert row["Nom"].upper() in words
        assert french_amount(row["Montant de la dette"]) in words
        assert SUBJECTS[document["letter_id"]] in words
        checked += 1
    assert checked >= 20


def test_manifest_matches_the_files(sample_run):
    documents = manifest(sample_run)
    assert {d["format"] for d in documents} == {"pdf", "docx"}
    for document in documents:
        data = (sample_run / document["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == document["sha256"]
        if document["format"] == "pdf":
            assert len(PdfReader(sample_run / document["path"]).pages) == int(document["pages"])
            assert int(document["pages"]) <= 3


def test_the_qr_code_on_the_page_leads_to_the_video(sample_run, catalog):
    """Letters with a QR target (and their envelopes) carry exactly it; the others none."""
    with_qr = {x.id for x in catalog.letters if x.qr} | {"envelope"}
    seen = set()
    for document in manifest(sample_run):
        if document["format"] == "pdf" and document["letter_id"] not in seen:
            seen.add(document["letter_id"])
            expected = [VIDEO] if document["letter_id"] in with_qr else []
            assert decode_qr(sample_run / document["path"]) == expected, document["letter_id"]
    assert {"drihl-assignation", "envelope", *SUBJECTS} <= seen


def test_the_address_sits_in_the_window_of_a_dl_envelope(sample_run):
    """Window of a French DL envelope on the folded sheet: 100-200 mm from the left, 45-90 mm from the top."""
    for document in manifest(sample_run)[:30]:
        if document["format"] != "pdf" or document["letter_id"] == "envelope":
            continue
        path = sample_run / document["path"]
        runs = text_positions(path)
        town, x, y = next((t, x, y) for t, x, y in runs if re.fullmatch(r"\d{5} [A-Z ]+", t))
        assert 100 <= x <= 120 and 45 <= y <= 90, (town, x, y)
        # The name (with its civility when the file gives one) is the first line above.
        above = [(t, x2, y2) for t, x2, y2 in runs if abs(x2 - x) < 1 and y2 < y]
        name, x2, y2 = min(above, key=lambda run: run[2])
        assert 100 <= x2 <= 120 and 45 <= y2 < y, name


def test_docx_reopens_and_holds_the_same_letter_text(sample_run, catalog):
    """One DOCX per letter type: the PDF's sentences, and the QR code where the letter has one."""
    seen = set()
    for document in manifest(sample_run):
        if document["format"] != "docx" or document["letter_id"] in seen:
            continue
        seen.add(document["letter_id"])
        docx = DocxDocument(sample_run / document["path"])
        # A line may break after a hyphen (« Seine-|Saint-Denis »): glue it back.
        pdf = re.sub(
            r"-\s+", "-", pdf_words(sample_run / document["path"].replace(".docx", ".pdf"))
        )
        for paragraph in docx.paragraphs:
            sentence = " ".join(paragraph.text.replace("\u00a0", " ").split())
            if len(sentence) > 40 and "{{" not in sentence:
                assert _in_order(sentence.split(), pdf.split()), sentence
        letter = next(x for x in catalog.letters if x.id == document["letter_id"])
        assert len(docx.inline_shapes) == (1 if letter.qr else 0), letter.id
    # Every letter type of the run was reopened as DOCX (envelopes are PDF only).
    assert seen == {d["letter_id"] for d in manifest(sample_run) if d["letter_id"] != "envelope"}


def _in_order(words: list[str], text: list[str]) -> bool:
    """``words`` appear in ``text`` in this order, page furniture allowed between them.

    (A page break inside a paragraph puts the first page's letterhead, laid
    out after the body, between its words in the extracted text.)"""
    position = 0
    for word in words:
        try:
            position = text.index(word, position) + 1
        except ValueError:
            return False
    return True


def test_print_files_hold_every_letter_in_order(sample_run):
    """Loose letters by type, combined mailings, envelopes: every page printed once."""
    summary = json.loads((sample_run / "summary.json").read_text(encoding="utf-8"))
    with (sample_run / "mailings.csv").open(encoding="utf-8-sig", newline="") as stream:
        mailings = list(csv.DictReader(stream, delimiter=";"))
    in_mailings = {m["household_key"] for m in mailings}
    pdfs = [d for d in manifest(sample_run) if d["format"] == "pdf"]
    kinds = {}
    for entry in summary["print_files"]:
        kinds[entry["kind"]] = entry
        reader = PdfReader(sample_run / entry["path"])
        if entry["kind"] == "letter":
            letters = [
                d
                for d in pdfs
                if d["letter_id"] == entry["letter_id"] and d["household_key"] not in in_mailings
            ]
            assert entry["letters"] == len(letters)
            assert len(reader.pages) == entry["pages"] == sum(int(d["pages"]) for d in letters)
        elif entry["kind"] == "mailings":
            assert entry["mailings"] == len(mailings)
            assert len(reader.pages) == entry["pages"] == sum(int(m["pages"]) for m in mailings)
        else:
            envelopes = [d for d in pdfs if d["letter_id"] == "envelope"]
            assert entry["envelopes"] == len(envelopes) == len(reader.pages) == entry["pages"]
    assert set(kinds) == {"letter", "mailings", "envelopes"}


def test_output_files_are_private(sample_run):
    for path in (sample_run / "letters").rglob("*.pdf"):
        assert path.stat().st_mode & 0o077 == 0
    assert (sample_run / "summary.json").stat().st_mode & 0o077 == 0


def test_no_csv_renders_the_samples_next_to_the_catalogue(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = cli(
        "render", "--out", tmp_path / "out", "--date", RUN_DATE.isoformat(), "--format", "docx"
    )
    assert result.exit_code == 0, result.output
    assert "rendering the samples" in result.output
    assert (tmp_path / "out" / "manifest.csv").is_file()


def test_strict_exits_3_when_rows_were_rejected(cli, tmp_path):
    result = cli(
        "render",
        ROOT / "samples" / "caf-impayes-2026-11.csv",
        "--out",
        tmp_path / "o",
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "docx",
        "--strict",
        "--catalog",
        ROOT / "catalog.yaml",
    )
    assert result.exit_code == 3


def test_an_unreadable_file_stops_before_anything_is_written(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    result = cli(
        "render",
        ROOT / "samples" / "caf-impayes-2026-11.csv",
        bad,
        "--out",
        tmp_path / "o",
        "--catalog",
        ROOT / "catalog.yaml",
    )
    assert result.exit_code == 1
    assert "bad.csv: the header does not match any source" in result.output
    assert not (tmp_path / "o").exists()


def test_refuses_to_write_into_a_foreign_folder(cli, tmp_path):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "thesis.odt").write_text("precious")
    result = cli(
        "render",
        ROOT / "samples" / "caf-impayes-2026-11.csv",
        "--out",
        tmp_path / "o",
        "--catalog",
        ROOT / "catalog.yaml",
    )
    assert result.exit_code == 1 and "not empty" in result.output


@pytest.mark.parametrize("variant", ["pdf/a-3b", "pdf/ua-1"])
def test_archival_and_accessible_variants(cli, tmp_path, variant):
    result = cli(
        "render",
        ROOT / "samples" / "clil-aubervilliers-seance-2026-11.csv",
        "--out",
        tmp_path / "o",
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "pdf",
        "--pdf-variant",
        variant,
        "--catalog",
        ROOT / "catalog.yaml",
    )
    assert result.exit_code == 0, result.output
    path = next((tmp_path / "o" / "letters").rglob("*.pdf"))
    reader = PdfReader(path)
    catalog_dict = reader.trailer["/Root"]
    assert catalog_dict["/Lang"] in {"fr", "fr-FR"}  # WeasyPrint, Typst
    assert reader.metadata.title.startswith("DRIHL")
    xmp = reader.xmp_metadata
    if variant.startswith("pdf/a"):
        assert xmp is not None and "pdfaid" in str(
            reader.trailer["/Root"]["/Metadata"].get_object().get_data()
        )
    else:
        assert "/StructTreeRoot" in catalog_dict
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert all("Atkinson" in f or "DejaVu" in f for f in fonts), fonts
