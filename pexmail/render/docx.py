"""DOCX with docxtpl: the sender's Word layout around the same letter text.

The layout (``templates/layouts/<layout>.docx``) holds the letterhead, the
address block, place and date, reference, subject and footer; the body comes
from the letter's HTML, converted block by block, so the wording is never
kept twice. docxtpl does not escape ``&`` and ``<`` unless asked: rendering
uses an autoescaping sandboxed environment, and body text goes through
python-docx, which escapes it.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate
from docxtpl.subdoc import Subdoc
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from pexmail.catalog.load import Catalog
from pexmail.errors import RenderError, TemplateError
from pexmail.render import french
from pexmail.render.body import (
    Block,
    Box,
    Cell,
    Image,
    LineBreak,
    ListBlock,
    Paragraph,
    Run,
    Table,
)
from pexmail.render.qr import QR_SCHEME, QrImage
from pexmail.render.templates import LetterParts

QR_WIDTH = Mm(32)
KEY_SHADING = "FFF4CC"  # pale yellow behind key facts, as in the HTML layout


class DocxtplEngine:
    """The reference path: docxtpl and python-docx for every letter (~0.04 CPU s each).

    Kept to prove that :class:`DocxEngine` writes the same document."""

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
            blocks = parts.blocks
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


# -- the fast path ------------------------------------------------------------------------
#
# docxtpl re-reads and re-parses the layout (800 KB of styles) and python-docx builds
# an object tree for every letter. Here each layout is prepared once: its
# document.xml and footers become compiled Jinja templates (with docxtpl's own
# preprocessing, so layouts keep docxtpl's syntax), the QR images are added to the
# package once, and every unchanged part is compressed once. A letter is then one
# Jinja render of document.xml around a body written straight to WordprocessingML,
# and a ZIP assembled from precompressed members with fixed timestamps: the same
# letter gives the same bytes.

_W_DOCUMENT = "word/document.xml"
_RELS = "word/_rels/document.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"
_CORE = "docProps/core.xml"
_IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
_FOOTER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"
_HEADER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: a DOCX's bytes depend on its content only

# python-docx's default block width (A4/Letter subdocument, 6 in) in twips, for tables.
_BLOCK_TWIPS = 8640
_SIDE_BY_SIDE_TWIPS = (int(Mm(38).twips), int(Mm(130).twips))
_STYLE_IDS = {
    "h2": "Heading2",
    "h3": "Heading3",
    "ol": "ListNumber",
    "ul": "ListBullet",
}
# docxtpl's own pass turning \n, \t, \a, \f in rendered values into breaks (it does not use
# its instance).
_resolve_listing = functools.partial(DocxTemplate.resolve_listing, None)
# Only when a text element holds one of them is that (slow) pass needed.
_LISTING = re.compile("<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")
# Characters XML 1.0 cannot hold: a field with them would make Word refuse the file.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text for a w:t element: &, <, > escaped, characters XML cannot hold removed."""
    return (
        _XML_INVALID.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _xml_safe(value: Any) -> Any:
    """Jinja finalize: a value printed in a layout loses characters XML cannot hold
    (autoescaping then takes care of &, < and >)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _XML_INVALID.sub("", value)
    return value


@dataclass(frozen=True)
class _Member:
    """A ZIP member, compressed once."""

    name: bytes
    crc: int
    size: int
    data: bytes  # raw deflate stream

    @classmethod
    def make(cls, name: str, content: bytes) -> _Member:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = compressor.compress(content) + compressor.flush()
        return cls(name.encode("utf-8"), zlib.crc32(content), len(content), data)


def _zip(members: Sequence[_Member]) -> bytes:
    """A ZIP archive of deflated members with fixed dates (what zipfile writes, without
    recompressing the parts that never change)."""
    year, month, day, hour, minute, second = _ZIP_DATE
    dos_time = hour << 11 | minute << 5 | second // 2
    dos_date = (year - 1980) << 9 | month << 5 | day
    out = bytearray()
    central = bytearray()
    for m in members:
        offset = len(out)
        common = struct.pack(
            "<HHHHHIII", 20, 0x800, 8, dos_time, dos_date, m.crc, len(m.data), m.size
        )
        out += b"PK\x03\x04" + common + struct.pack("<HH", len(m.name), 0) + m.name + m.data
        central += (
            b"PK\x01\x02"
            + struct.pack("<H", 0x314)  # made by: Unix, zip 2.0
            + common
            + struct.pack("<HHHHHII", len(m.name), 0, 0, 0, 0, 0o100600 << 16, offset)
            + m.name
        )
    out += central + struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0
    )
    return bytes(out)


@dataclass
class _Layout:
    """A docx layout prepared once: compiled templates, constant members, image ids."""

    name: str
    members: list[tuple[str, _Member | None]]  # in package order; None: rendered per letter
    document: Any  # jinja Template of word/document.xml
    parts: dict[str, Any]  # other rendered parts (footers, headers, core properties)
    images: dict[str, str]  # QR target id → relationship id


class DocxEngine:
    """DOCX letters from layouts prepared once per process (see the note above)."""

    name = "docx"

    def __init__(self, catalog: Catalog, qr_images: Mapping[str, QrImage]) -> None:
        self.catalog = catalog
        self.qr_images = dict(qr_images)
        self.env = ImmutableSandboxedEnvironment(
            autoescape=True, undefined=StrictUndefined, finalize=_xml_safe
        )
        self.env.filters["euros"] = french.euros
        self.env.filters["long_date"] = french.long_date
        self.env.filters["phone"] = french.phone
        self._layouts: dict[str, _Layout] = {}

    def layout(self, name: str) -> _Layout:
        if name not in self._layouts:
            self._layouts[name] = self._prepare(name)
        return self._layouts[name]

    def _prepare(self, name: str) -> _Layout:
        path = self.catalog.layout_path(name, ".docx")
        origin = f"layouts/{name}.docx"
        tpl = DocxTemplate(path)
        tpl.render_init()
        templated: dict[str, str] = {_W_DOCUMENT: tpl.patch_xml(tpl.get_xml())}
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            for _, part in tpl.get_headers_footers(uri):
                templated[str(part.partname).lstrip("/")] = tpl.patch_xml(tpl.get_part_xml(part))
        with zipfile.ZipFile(path) as package:
            contents = {info.filename: package.read(info) for info in package.infolist()}
        # docxtpl templates the body element only: put it back inside its document.
        document = contents[_W_DOCUMENT].decode("utf-8")
        head = document[: document.index("<w:body")]
        tail = document[document.index("</w:body>") + len("</w:body>") :]
        templated[_W_DOCUMENT] = head + templated[_W_DOCUMENT] + tail
        if _CORE in contents:
            templated[_CORE] = contents[_CORE].decode("utf-8")
        # The QR images, once, as relationships of the document part.
        rels = contents[_RELS].decode("utf-8")
        images = {}
        for index, (target, image) in enumerate(sorted(self.qr_images.items()), start=1):
            rel_id = f"rIdPexmailQr{index}"
            media = f"media/pexmail-qr-{index}.png"
            rels = rels.replace(
                "</Relationships>",
                f'<Relationship Id="{rel_id}" Type="{_IMAGE_REL}" Target="{media}"/></Relationships>',
            )
            contents[f"word/{media}"] = image.png
            images[target] = rel_id
        contents[_RELS] = rels.encode("utf-8")
        types = contents[_CONTENT_TYPES].decode("utf-8")
        if 'Extension="png"' not in types:
            types = types.replace(
                "</Types>", '<Default Extension="png" ContentType="image/png"/></Types>'
            )
            contents[_CONTENT_TYPES] = types.encode("utf-8")
        compiled = {}
        for part, source in templated.items():
            # As docxtpl does: one paragraph per line, so Jinja's line numbers mean something.
            source = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)
            try:
                compiled[part] = self.env.from_string(source)
            except Exception as exc:
                raise TemplateError(
                    template=origin, line=getattr(exc, "lineno", None), message=str(exc)
                ) from None
        members = [
            (member, None if member in compiled else _Member.make(member, data))
            for member, data in contents.items()
        ]
        return _Layout(
            name,
            members,
            compiled.pop(_W_DOCUMENT),
            compiled,
            images,
        )

    def render(self, layout: str, context: Mapping[str, Any], parts: LetterParts) -> bytes:
        letter_id = str(context["letter"]["id"])
        prepared = self.layout(layout)
        try:
            blocks = parts.blocks
        except ValueError as exc:
            raise RenderError(letter_id=letter_id, message=str(exc)) from None
        body = _BodyWriter(prepared.images).blocks(blocks)
        values = {**context, "subject": parts.subject, "body": Markup(body)}
        rendered: dict[str, bytes] = {}
        try:
            for part, template in [(_W_DOCUMENT, prepared.document), *prepared.parts.items()]:
                xml = template.render(values)
                xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
                xml = (
                    xml.replace("{_{", "{{")
                    .replace("}_}", "}}")
                    .replace("{_%", "{%")
                    .replace("%_}", "%}")
                )
                if part == _W_DOCUMENT and _LISTING.search(xml):
                    xml = _resolve_listing(xml)
                rendered[part] = xml.encode("utf-8")
        except Exception as exc:
            raise TemplateError(
                template=f"layouts/{layout}.docx",
                line=getattr(exc, "lineno", None),
                message=str(exc),
            ) from None
        return _zip(
            [
                member if member is not None else _Member.make(name, rendered[name])
                for name, member in prepared.members
            ]
        )


class _BodyWriter:
    """The letter body's blocks → WordprocessingML, as :func:`_write_blocks` builds it with
    python-docx (same paragraphs, styles, runs, tables and picture)."""

    def __init__(self, images: Mapping[str, str]) -> None:
        self.images = images
        self.pictures = 0

    def blocks(self, blocks: Sequence[Block]) -> str:
        return "".join(self.block(b) for b in blocks)

    def block(self, block: Block, shaded: bool = False) -> str:
        if isinstance(block, Paragraph):
            style = _STYLE_IDS.get(block.style) if block.style in ("h2", "h3") else None
            return self.paragraph(block.runs, style, shaded or "key" in block.css.split())
        if isinstance(block, ListBlock):
            style = _STYLE_IDS["ol" if block.ordered else "ul"]
            out = []
            for item in block.items:
                first, *rest = item or (Paragraph("p", ()),)
                if isinstance(first, Paragraph):
                    out.append(self.paragraph(first.runs, style))
                else:
                    out.append(self.block(first))
                out.extend(self.block(other) for other in rest)
            return "".join(out)
        if isinstance(block, Table):
            return self.table(block)
        if isinstance(block, Image):
            return f"<w:p>{self.picture(block)}</w:p>"
        if isinstance(block, Box) and "qr" in block.css.split():
            return self.side_by_side(block)
        if isinstance(block, Box):
            highlight = bool({"key", "box"} & set(block.css.split()))
            return "".join(self.block(child, highlight) for child in block.blocks)
        return ""

    def paragraph(
        self,
        runs: Sequence[Run | LineBreak],
        style: str | None = None,
        shaded: bool = False,
        bold: bool = False,
    ) -> str:
        properties = ""
        if style:
            properties += f'<w:pStyle w:val="{style}"/>'
        if shaded:
            properties += f'<w:shd w:val="clear" w:color="auto" w:fill="{KEY_SHADING}"/>'
        out = ["<w:p>", f"<w:pPr>{properties}</w:pPr>" if properties else ""]
        out.extend(self.run(run, bold) for run in runs)
        out.append("</w:p>")
        return "".join(out)

    @staticmethod
    def run(run: Run | LineBreak, bold: bool = False) -> str:
        if isinstance(run, LineBreak):
            return "<w:r><w:br/></w:r>"
        text = run.text.replace(" ", french.NBSP) if run.nowrap else run.text
        marks = ("<w:b/>" if run.bold or bold else "") + ("<w:i/>" if run.italic else "")
        pieces = re.split(r"(\t|\r\n|\n|\r)", text)
        inner = []
        for piece in pieces:
            if piece == "\t":
                inner.append("<w:tab/>")
            elif piece in ("\n", "\r", "\r\n"):
                inner.append("<w:br/>")
            elif piece:
                inner.append(f'<w:t xml:space="preserve">{xml_text(piece)}</w:t>')
        return f"<w:r><w:rPr>{marks}</w:rPr>{''.join(inner)}</w:r>"

    def table(self, block: Table) -> str:
        if not block.rows:
            return ""
        columns = max(len(row) for row in block.rows)
        width = _BLOCK_TWIPS // columns
        out = [
            '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/>'
            '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0"'
            ' w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>',
            f'<w:gridCol w:w="{width}"/>' * columns,
            "</w:tblGrid>",
        ]
        for row in block.rows:
            out.append("<w:tr>")
            for index in range(columns):
                out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>')
                cell = row[index] if index < len(row) else None
                out.append(self.cell(cell) if cell is not None else "<w:p/>")
                out.append("</w:tc>")
            out.append("</w:tr>")
        out.append("</w:tbl>")
        return "".join(out)

    def cell(self, cell: Cell) -> str:
        out = []
        first = True
        for child in cell.blocks:
            if first and isinstance(child, Paragraph) and child.style == "p":
                out.append(self.paragraph(child.runs, bold=cell.header))
            else:
                if first:
                    out.append("<w:p/>")  # python-docx keeps the cell's own first paragraph
                out.append(self.block(child))
            first = False
        return "".join(out) or "<w:p/>"

    def side_by_side(self, block: Box) -> str:
        """The QR code beside its caption: a borderless two-cell table of fixed widths."""
        left = [self.block(c) for c in block.blocks if isinstance(c, Image)]
        right = [self.block(c) for c in block.blocks if not isinstance(c, Image)]
        out = [
            '<w:tbl><w:tblPr><w:tblW w:type="auto" w:w="0"/><w:tblLayout w:type="fixed"/>'
            '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0"'
            ' w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>',
            *(f'<w:gridCol w:w="{w}"/>' for w in _SIDE_BY_SIDE_TWIPS),
            "</w:tblGrid><w:tr>",
        ]
        for width, content in zip(_SIDE_BY_SIDE_TWIPS, (left, right), strict=True):
            # python-docx's empty first paragraph goes when the cell got content.
            out.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>'
                f"{''.join(content) or '<w:p/>'}</w:tc>"
            )
        out.append("</w:tr></w:tbl>")
        return "".join(out)

    def picture(self, block: Image) -> str:
        rel_id = self.images[block.src[len(QR_SCHEME) :]]
        self.pictures += 1
        size = int(QR_WIDTH)  # square
        number = 1000 + self.pictures
        return (
            "<w:r><w:drawing>"
            '<wp:inline xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
            ' xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            f'<wp:extent cx="{size}" cy="{size}"/>'
            f'<wp:docPr id="{number}" name="Picture {number}"/>'
            '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            '<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="qr.png"/><pic:cNvPicPr/></pic:nvPicPr>'
            f'<pic:blipFill><a:blip r:embed="{rel_id}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
            '<pic:spPr><a:xfrm><a:off x="0" y="0"/>'
            f'<a:ext cx="{size}" cy="{size}"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr>'
            "</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
        )
