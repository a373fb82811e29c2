"""Shared fixtures: the repository's catalogue, a CLI runner, PDF readers as a user would read."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from pexmail.catalog import Catalog, load_catalog
from pexmail.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
RUN_DATE = date(2026, 11, 23)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(ROOT / "catalog.yaml")


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run ``pexmail ARGS`` in-process; returns click's Result."""
    runner = CliRunner()

    def run(*args: str, **kwargs: object):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return run


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A writable copy of the catalogue, its templates and contacts, to break on purpose."""
    for name in ("templates", "contacts"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "catalog.yaml", tmp_path / "catalog.yaml")
    return tmp_path / "catalog.yaml"


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled samples rendered once, PDF and DOCX, through the CLI."""
    out = tmp_path_factory.mktemp("samples") / "out"
    result = CliRunner().invoke(
        main,
        [
            "render",
            *map(str, sorted((ROOT / "samples").glob("*.csv"))),
            "--out",
            str(out),
            "--date",
            RUN_DATE.isoformat(),
            "--catalog",
            str(ROOT / "catalog.yaml"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return out


def pdf_text(path: Path) -> str:
    """The text a reader gets from the PDF, spaces normalised (no-break spaces included)."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"[ \t]+", " ", text)


def pdf_words(path: Path) -> str:
    """Text with all whitespace collapsed: for phrases a line break may split."""
    return " ".join(pdf_text(path).split())


def decode_qr(path: Path, page: int | None = None) -> list[str]:
    """Rasterise the PDF as a phone camera would see it and decode every QR code."""
    import pypdfium2 as pdfium
    import zxingcpp

    pdf = pdfium.PdfDocument(str(path))
    pages = range(len(pdf)) if page is None else [page]
    found = []
    for index in pages:
        image = pdf[index].render(scale=3).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image)]
    return found


def text_positions(path: Path, page: int = 0) -> list[tuple[str, float, float]]:
    """(text, x mm from the left edge, y mm from the top edge) of each text run on a page."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    pdf_page = reader.pages[page]
    height = float(pdf_page.mediabox.height)
    runs: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        runs.append((text.strip(), x * 25.4 / 72, (height - y) * 25.4 / 72))

    pdf_page.extract_text(visitor_text=visit)
    return runs
