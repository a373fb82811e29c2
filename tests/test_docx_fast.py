"""DOCX at speed: the prepared-layout path writes the same document as docxtpl, byte-stable."""

from __future__ import annotations

import dataclasses
import html
import io
import re
import zipfile

import pytest
from docx import Document as OpenDocx
from docx.text.paragraph import Paragraph
from lxml import etree

from pexmail.render.docx import DocxEngine, DocxtplEngine, xml_text
from pexmail.render.letter import LetterRenderer
from pexmail.render.preflight import letter_territories, prepare_sample, sample_facts

from .conftest import RUN_DATE

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def renderer(catalog):
    # The layouts are compared here, not the directories' freshness.
    return LetterRenderer(catalog, RUN_DATE, ("docx",), allow_stale=True)


def describe(data: bytes) -> dict:
    """What a reader of the DOCX gets: every paragraph (style, text, bold/italic runs), in
    document order including table cells, the pictures, footers and title."""
    document = OpenDocx(io.BytesIO(data))
    paragraphs = []
    for element in document.element.iter(f"{W}p"):
        paragraph = Paragraph(element, document)
        style = paragraph.style.name if paragraph.style is not None else None
        runs = tuple((r.text, bool(r.bold), bool(r.italic)) for r in paragraph.runs if r.text)
        paragraphs.append((style, paragraph.text, runs))
    tables = [
        [[cell.text for cell in row.cells] for row in table.rows] for table in document.tables
    ]
    return {
        "paragraphs": paragraphs,
        "tables": tables,
        "pictures": len(document.inline_shapes),
        "footers": [s.footer.paragraphs[0].text for s in document.sections],
        "title": document.core_properties.title,
    }


def document_text(data: bytes) -> str:
    """The text content of word/document.xml (every w:t, in order)."""
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    return "".join(t.text or "" for t in root.iter(f"{W}t"))


def all_letters(catalog):
    for letter in catalog.letters_in_force(RUN_DATE):
        for territory in letter_territories(catalog, letter):
            yield letter, sample_facts(catalog, letter, territory)


def test_fast_path_writes_the_same_document_as_docxtpl(catalog, renderer):
    reference = DocxtplEngine(catalog, renderer.qr_images)
    fast = DocxEngine(catalog, renderer.qr_images)
    compared = 0
    for letter in catalog.letters_in_force(RUN_DATE):
        for territory in letter_territories(catalog, letter):
            compared += compare_engines(
                reference, fast, prepare_sample(renderer, letter, territory)
            )
    assert compared >= len(list(catalog.letters_in_force(RUN_DATE)))


def compare_engines(reference, fast, prepared) -> int:
    """The fast DOCX and docxtpl's for one letter or notice: same paragraphs, same text."""
    letter = prepared.letter
    slow = reference.render(prepared.layout, prepared.context, prepared.parts)
    quick = fast.render(prepared.layout, prepared.context, prepared.parts)
    expected = describe(slow)
    # docxtpl escapes the core properties it renders, and python-docx escapes them again.
    expected["title"] = html.unescape(expected["title"])
    assert describe(quick) == expected, letter.id
    assert document_text(quick) == document_text(slow), letter.id
    assert describe(quick)["pictures"] == (1 if letter.qr else 0)  # the QR code
    return 1


def test_docx_is_deterministic_and_a_valid_package(catalog, renderer):
    letter, facts = next(all_letters(catalog))
    prepared = renderer.prepare(letter, facts)
    first = DocxEngine(catalog, renderer.qr_images).render(
        prepared.layout, prepared.context, prepared.parts
    )
    again = DocxEngine(catalog, renderer.qr_images).render(
        prepared.layout, prepared.context, prepared.parts
    )
    assert first == again
    package = zipfile.ZipFile(io.BytesIO(first))
    assert package.testzip() is None
    assert {i.date_time for i in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = package.read("docProps/core.xml").decode("utf-8")
    assert "2013-12-23T23:15:00Z" in core  # fixed dates, not the time of the run
    with pytest.raises(KeyError):
        package.getinfo("word/media/image1.png")  # the QR is added once per layout, not per letter


HOSTILE = [
    "A & B <w:p>Injected</w:p> ]]> </w:t>",
    "{{7*7}} {% if true %}x{% endif %}",
    "Ctrl\x01chars\x0bhere\x1f",
    "Tab\tand\nnewline",
    "\"quotes\" 'single' > <",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_fields_come_out_as_literal_text(catalog, renderer, value):
    letter = next(
        x for x in catalog.letters_in_force(RUN_DATE) if x.conditions.landlord_types == ["social"]
    )
    facts = sample_facts(catalog, letter, letter_territories(catalog, letter)[0])
    facts = dataclasses.replace(facts, landlord_name=value, given_name=value[:30])
    prepared = renderer.prepare(letter, facts)
    data = DocxEngine(catalog, renderer.qr_images).render(
        prepared.layout, prepared.context, prepared.parts
    )
    text = " ".join(p[1] for p in describe(data)["paragraphs"])
    flat = " ".join(text.split())
    expected = " ".join(re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value).split())
    assert expected in flat
    assert "Injected" not in [p[1] for p in describe(data)["paragraphs"]]  # no markup got in


def test_xml_text_escapes_and_drops_what_xml_cannot_hold():
    assert xml_text("a&b<c>d\x00\x07e") == "a&amp;b&lt;c&gt;de"
