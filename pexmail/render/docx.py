"""DOCX with docxtpl: the sender's Word layout around the same letter text.

The layout (``templates/layouts/<layout>.docx``) holds the letterhead, the
address block, place and date, reference, subject and footer; the body comes
from the letter's HTML, converted block by block, so the wording is never
kept twice. docxtpl does not escape ``&`` and ``<`` unless asked: rendering
uses an autoescaping sandboxed environment, and body text goes through
python-docx, which escapes it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate
from docxtpl.subdoc import Subdoc
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pexmail.catalog.load import Catalog
from pexmail.errors import RenderError, TemplateError
from pexmail.render import french
from pexmail.render.body import (
    Block,
    Box,
    Image,
    LineBreak,
    ListBlock,
    Paragraph,
    Run,
    Table,
    parse_body,
)
from pexmail.render.qr import QR_SCHEME, QrImage
from pexmail.render.templates import LetterParts

QR_WIDTH = Mm(32)
KEY_SHADING = "FFF4CC"  # pale yellow behind key facts, as in the HTML layout


class DocxEngine:
    name = "docx"

    def __init__(self, catalog: Catalog, qr_images: Mapping[str, QrImage]) -> None:
        self.catalog = catalog
        self.qr_images = dict(qr_images)
        self._layouts: dict[str, bytes] = {}
        self.env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
        self.env.filters["euros"] = french.euros
        self.env.filters["long_date"] = french.long_date
        self.env.filters["phone"] = french.phone

    def _layout(self, layout: str) -> bytes:
        if layout not in self._layouts:
            self._layouts[layout] = self.catalog.layout_path(layout, ".docx").read_bytes()
        return self._layouts[layout]

    def render(self, layout: str, context: Mapping[str, Any], parts: LetterParts) -> bytes:
        letter_id = str(context["letter"]["id"])
        template = DocxTemplate(io.BytesIO(self._layout(layout)))
        subdoc = template.new_subdoc()
        try:
            blocks = parse_body(str(parts.body))
        except ValueError as exc:
            raise RenderError(letter_id=letter_id, message=str(exc)) from None
        _write_blocks(subdoc, blocks, self.qr_images)
        values = {**context, "subject": parts.subject, "body": subdoc}
        try:
            template.render(values, jinja_env=self.env, autoescape=True)
        except Exception as exc:  # docxtpl reports Jinja errors in its own XML terms
            raise TemplateError(
                template=f"layouts/{layout}.docx",
                line=getattr(exc, "lineno", None),
                message=str(exc),
            ) from None
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()


def _write_blocks(doc: Subdoc, blocks: tuple[Block, ...], images: Mapping[str, QrImage]) -> None:
    for block in blocks:
        _write_block(doc, block, images)


def _write_block(
    doc: Any, block: Block, images: Mapping[str, QrImage], shaded: bool = False
) -> None:
    if isinstance(block, Paragraph):
        if block.style in ("h2", "h3"):
            paragraph = doc.add_paragraph(style="Heading 2" if block.style == "h2" else "Heading 3")
        else:
            paragraph = doc.add_paragraph()
        _write_runs(paragraph, block.runs)
        if shaded or "key" in block.css.split():
            _shade(paragraph)
    elif isinstance(block, ListBlock):
        list_style = "List Number" if block.ordered else "List Bullet"
        for item in block.items:
            first, *rest = item or (Paragraph("p", ()),)
            if isinstance(first, Paragraph):
                paragraph = doc.add_paragraph(style=list_style)
                _write_runs(paragraph, first.runs)
            else:
                _write_block(doc, first, images)
            for other in rest:
                _write_block(doc, other, images)
    elif isinstance(block, Table):
        _write_table(doc, block, images)
    elif isinstance(block, Image):
        image = images[block.src[len(QR_SCHEME) :]]
        paragraph = doc.add_paragraph()
        paragraph.add_run().add_picture(io.BytesIO(image.png), width=QR_WIDTH)
    elif isinstance(block, Box) and "qr" in block.css.split():
        _write_side_by_side(doc, block, images)
    elif isinstance(block, Box):
        highlight = bool({"key", "box"} & set(block.css.split()))
        for child in block.blocks:
            _write_block(doc, child, images, shaded=highlight)


def _write_runs(paragraph: Any, runs: tuple[Run | LineBreak, ...]) -> None:
    for run in runs:
        if isinstance(run, LineBreak):
            paragraph.add_run().add_break(WD_BREAK.LINE)
            continue
        text = run.text.replace(" ", french.NBSP) if run.nowrap else run.text
        docx_run = paragraph.add_run(text)
        docx_run.bold = run.bold or None
        docx_run.italic = run.italic or None


def _write_table(doc: Any, block: Table, images: Mapping[str, QrImage]) -> None:
    if not block.rows:
        return
    columns = max(len(row) for row in block.rows)
    table = doc.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    for row in block.rows:
        cells = table.add_row().cells
        for index, cell in enumerate(row):
            target = cells[index]
            target.paragraphs[0].text = ""
            first = True
            for child in cell.blocks:
                if first and isinstance(child, Paragraph) and child.style == "p":
                    _write_runs(target.paragraphs[0], child.runs)
                    if cell.header:
                        for docx_run in target.paragraphs[0].runs:
                            docx_run.bold = True
                else:
                    _write_block(target, child, images)
                first = False


def _write_side_by_side(doc: Any, block: Box, images: Mapping[str, QrImage]) -> None:
    """The QR code beside its caption, as in the HTML layout: a borderless two-cell table."""
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    for column, cell, width in zip(table.columns, (left, right), (Mm(38), Mm(130)), strict=True):
        column.width = cell.width = width
    for child in block.blocks:
        target = left if isinstance(child, Image) else right
        _write_block(target, child, images)
    for cell in (left, right):
        first = cell.paragraphs[0]
        if not first.text and len(cell.paragraphs) > 1 and not first.runs:
            first._p.getparent().remove(first._p)


def _shade(paragraph: Any) -> None:
    properties = paragraph._p.get_or_add_pPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), KEY_SHADING)
    properties.append(shading)
