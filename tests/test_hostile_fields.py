"""A hostile value in a case file prints as text and makes nothing load."""

from __future__ import annotations

from pathlib import Path

import pytest

from pexmail.render import fetcher as fetcher_module

from .conftest import ROOT, RUN_DATE, pdf_words

HEADER = (
    "N° dossier EXPLOC;Civilité;Nom;Prénom;Adresse;Complément d'adresse;Code postal;Commune;"
    "Type de bailleur;Bailleur;Montant de la dette;Loyer mensuel;Date de l'acte;Date du bail;Allocataire CAF"
)


def test_hostile_fields_render_as_literal_text_and_fetch_nothing(cli, tmp_path, monkeypatch):
    seen: list[str] = []
    original = fetcher_module.AllowListFetcher.fetch

    def spy(self, url, headers=None):
        seen.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(fetcher_module.AllowListFetcher, "fetch", spy)
    hostile_landlords = [
        '<img src="file:///etc/passwd">',
        "<link rel=stylesheet href=http://evil.example/x.css>",
        "{% include '/etc/passwd' %}",
        "file:///etc/shadow &amp; <b>gras</b>",
    ]
    rows = [
        f'H-{n};Mme;{{{{7*7}}}};Eve;{n} rue de Paris;;93100;Montreuil;Bailleur social;"{name.replace(chr(34), chr(34) * 2)}";'
        "2 000,00;700,00;01/10/2026;;Oui"
        for n, name in enumerate(hostile_landlords, start=1)
    ]
    csv_path = tmp_path / "hostile.csv"
    csv_path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli(
        "render",
        csv_path,
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        ROOT / "catalog.yaml",
    )
    assert result.exit_code == 0, result.output
    pdfs = sorted((out / "letters").rglob("*.pdf"))
    assert len(pdfs) == 4
    # Lines may break anywhere in a long value: compare without whitespace.
    text = "".join("".join(pdf_words(p) for p in pdfs).split())
    assert "{{7*7}}" in text  # printed, not evaluated
    for name in hostile_landlords:
        assert "".join(name.split()) in text, name
    assert not [u for u in seen if "etc/" in u or u.startswith(("http", "data:"))], seen
    assert all(u.startswith(("file:", "qr:")) for u in seen)


@pytest.mark.parametrize("fmt", ["docx"])
def test_docx_survives_ampersands_and_angle_brackets(cli, tmp_path, fmt):
    from docx import Document

    row = "H-3;Mme;MARTIN & FILS;<Léa>;3 rue de Paris;;93100;Montreuil;Bailleur social;A & B <SA>;2 000,00;700,00;01/10/2026;;Oui"
    csv_path = tmp_path / "amp.csv"
    csv_path.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli(
        "render",
        csv_path,
        "--out",
        out,
        "--format",
        fmt,
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        ROOT / "catalog.yaml",
    )
    assert result.exit_code == 0, result.output
    path: Path = next((out / "letters").rglob("*.docx"))
    document = Document(path)
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells
    )
    assert "MARTIN & FILS" in text and "A & B <SA>" in text
