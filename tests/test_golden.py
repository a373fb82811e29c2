"""Golden text of every letter, for a made-up household in each territory.

A wording change shows up in review as a diff of ``tests/golden/``. After an
intended change: ``PEXMAIL_UPDATE_GOLDEN=1 pytest tests/test_golden.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pexmail.catalog import load_catalog
from pexmail.render.body import parse_body, plain_text
from pexmail.render.context import build_context
from pexmail.render.preflight import letter_territories, sample_facts
from pexmail.render.qr import make_qr
from pexmail.render.templates import Templates

from .conftest import ROOT, RUN_DATE

GOLDEN = Path(__file__).resolve().parent / "golden"
CATALOG = load_catalog(ROOT / "catalog.yaml")
CASES = [
    (letter, territory)
    for letter in CATALOG.letters
    if letter.kind == "letter"  # notices have no household: tests/test_notices.py
    for territory in letter_territories(CATALOG, letter)
]


@pytest.mark.parametrize(("letter", "territory"), CASES, ids=[f"{x.id}-{t}" for x, t in CASES])
def test_letter_text_matches_golden(letter, territory):
    templates = Templates(CATALOG.template_root)
    qr = {q.id: make_qr(q.id, q.url) for q in CATALOG.document.qr}
    context = build_context(CATALOG, letter, sample_facts(CATALOG, letter, territory), RUN_DATE, qr)
    parts = templates.render_letter(letter.templates.html, context)
    text = f"Objet : {parts.subject}\n\n{plain_text(parse_body(str(parts.body)))}\n".replace(
        "\u00a0", " "
    )
    path = GOLDEN / f"{letter.id}-v{letter.version}-{territory}.txt"
    if os.environ.get("PEXMAIL_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
