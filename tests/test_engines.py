"""Both PDF engines print the same letters: text, QR code, pages, address in the window.

Each catalogue letter is rendered once per engine and territory (module-scoped
fixture) and compared as a reader would: extracted text, decoded QR code, page
count, positions of the address lines.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from .conftest import ROOT, RUN_DATE, decode_qr, pdf_text, text_positions

VIDEO = "https://www.youtube.com/watch?v=4og3KOPxOfw"


def render_cli(cli, out: Path, *extra: str):
    return cli(
        "render",
        ROOT / "samples" / "clil-aubervilliers-seance-2026-11.csv",
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--format",
        "pdf",
        "--catalog",
        ROOT / "catalog.yaml",
        *extra,
    )


def test_render_with_the_typst_engine_end_to_end(cli, tmp_path):
    out = tmp_path / "o"
    result = render_cli(cli, out, "--engine", "typst")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["options"]["engine"] == "typst"
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
        documents = [d for d in csv.DictReader(stream, delimiter=";") if d["format"] == "pdf"]
    assert documents
    for document in documents:
        path = out / document["path"]
        reader = PdfReader(path)
        assert len(reader.pages) == int(document["pages"])
        assert str(reader.metadata.creator).startswith("Typst")
        words = " ".join(pdf_text(path).split())
        assert "Objet : " in words and "commandement de payer" in words
    assert decode_qr(out / documents[0]["path"]) == [VIDEO]


def test_an_unknown_engine_is_a_usage_error(cli, tmp_path):
    result = render_cli(cli, tmp_path / "o", "--engine", "latex")
    assert result.exit_code == 2 and "latex" in result.output


@pytest.mark.parametrize("engine", ["weasyprint", "typst"])
@pytest.mark.parametrize("variant", ["pdf/a-2b", "pdf/a-3b", "pdf/a-3u", "pdf/ua-1"])
def test_archival_and_accessible_variants_from_both_engines(cli, tmp_path, engine, variant):
    out = tmp_path / "o"
    result = render_cli(cli, out, "--engine", engine, "--pdf-variant", variant)
    assert result.exit_code == 0, result.output
    path = next((out / "letters").rglob("*.pdf"))
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert root["/Lang"] in ("fr", "fr-FR")
    assert reader.metadata.title.startswith("DRIHL")
    if variant.startswith("pdf/a"):
        xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
        part, conformance = variant[len("pdf/a-") :]
        assert re.search(rf"pdfaid:part(>|=\"){part}", xmp), xmp[:400]
        assert re.search(rf"pdfaid:conformance(>|=\"){conformance.upper()}", xmp)
    else:
        assert "/StructTreeRoot" in root
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("Atkinson" in f or "DejaVu" in f for f in fonts), fonts
    assert text_positions(path)
