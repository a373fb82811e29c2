"""Layout facts read from a document as laid out: font sizes, line heights, alignment, styles.

Read from what the reader gets, not from the stylesheet: WeasyPrint's computed
styles on the laid-out boxes (:func:`from_weasyprint`), or what a finished PDF
or DOCX file says (:func:`from_pdf`, :func:`from_docx`). Only the letter's
subject and body count as running text: the letterhead, the address block (in
the envelope window), the reference and the page numbers are not Easy-to-Read
text and are left out.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

PX_PER_PT = 96 / 72
BODY_CLASSES = {"letter-body", "subject"}
HEADINGS = {"h1", "h2", "h3", "h4"}


@dataclass(frozen=True)
class Rect:
    page: int
    x: float
    y: float
    width: float
    height: float

    def overlaps(self, other: Rect) -> bool:
        return (
            self.page == other.page
            and self.x < other.x + other.width - 0.5
            and other.x < self.x + self.width - 0.5
            and self.y < other.y + other.height - 0.5
            and other.y < self.y + self.height - 0.5
        )


@dataclass(frozen=True)
class StyledRun:
    text: str
    tag: str  # element the text belongs to (p, li, h2, em, td…), or "pdf"/"docx"
    font_size: float  # points
    line_height: float | None  # ratio to the font size; None when unknown
    justified: bool = False
    italic: bool = False
    underline: bool = False
    uppercase: bool = False
    rect: Rect | None = None

    @property
    def heading(self) -> bool:
        return self.tag in HEADINGS


@dataclass
class LayoutFacts:
    runs: list[StyledRun] = field(default_factory=list)
    images: list[Rect] = field(default_factory=list)
    source: str = ""
    # From a PDF: characters set at the body size less those at the next most common size
    # (how far the body-size inference is from changing its mind).
    body_size_margin: float | None = None


def from_weasyprint(document: Any) -> LayoutFacts:
    """Facts from a laid-out WeasyPrint document (``HTML(...).render()``)."""
    from weasyprint.formatting_structure import boxes

    facts = LayoutFacts(source="weasyprint")

    def walk(box: Any, page: int, in_body: bool, tag: str) -> None:
        element = getattr(box, "element", None)
        if element is not None and getattr(box, "element_tag", None):
            classes = set((element.get("class") or "").split())
            in_body = in_body or bool(classes & BODY_CLASSES)
            tag = box.element_tag
        if isinstance(box, boxes.ReplacedBox):
            facts.images.append(
                Rect(
                    page,
                    box.border_box_x(),
                    box.border_box_y(),
                    box.border_width(),
                    box.border_height(),
                )
            )
        elif in_body and isinstance(box, boxes.TextBox) and box.text.strip():
            style = box.style
            size = style["font_size"] / PX_PER_PT
            facts.runs.append(
                StyledRun(
                    text=box.text,
                    tag=_block_tag(box, tag),
                    font_size=round(size, 2),
                    line_height=_line_height(style["line_height"], style["font_size"]),
                    justified=style["text_align_all"] == "justify",
                    italic=style["font_style"] in ("italic", "oblique"),
                    underline="underline" in (style["text_decoration_line"] or ()),
                    uppercase=style["text_transform"] == "uppercase",
                    rect=Rect(page, box.position_x, box.position_y, box.width, box.height),
                )
            )
        if in_body and not isinstance(box, boxes.TextBox):
            image = style_image(box)
            if image is not None:
                facts.images.append(image(page))
        for child in box.all_children():
            walk(child, page, in_body, tag)

    for number, page in enumerate(document.pages, start=1):
        walk(page._page_box, number, False, "")
    return facts


def style_image(box: Any) -> Any:
    """A background image under a block is an image text may sit on."""
    images = [i for i in (box.style["background_image"] or ()) if i and i[0] != "none"]
    if not images:
        return None
    return lambda page: Rect(
        page, box.border_box_x(), box.border_box_y(), box.border_width(), box.border_height()
    )


def _block_tag(box: Any, tag: str) -> str:
    return tag


def _line_height(value: Any, font_size: float) -> float | None:
    if value == "normal":
        return 1.2  # what browsers and WeasyPrint use for "normal" with common fonts
    if isinstance(value, (int, float)):
        return float(value)
    unit = getattr(value, "unit", None)
    number = getattr(value, "value", None)
    if number is None:
        return None
    if unit in (None, ""):
        return float(number)
    if unit == "px" and font_size:
        return float(number) / font_size
    return None


# -- finished files -----------------------------------------------------------------
def from_pdf(data: bytes) -> LayoutFacts:
    """What a PDF says: each text run's font size and font name (italic fonts by name).

    The body size is the size most of the text is set in: the letterhead, the
    address block and the page numbers, set smaller, do not count.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    raw: list[tuple[str, float, str]] = []
    for page in reader.pages:

        def visit(text: str, cm: list, tm: list, font: Any, size: float) -> None:
            if not text.strip():
                return
            scale = abs(tm[3] * cm[3]) or 1
            name = str(font.get("/BaseFont", "")) if font else ""
            raw.append((text, round(size * scale, 1), name))

        page.extract_text(visitor_text=visit)
    return _pdf_runs([(text, len(text.strip()), size, name) for text, size, name in raw])


def styles_from_pdf(data: bytes) -> LayoutFacts:
    """What :func:`from_pdf` reads, from the content streams with qpdf and without decoding
    any text: each run's size, its font's name and its glyph count (the runs' text is left
    empty). About ten times faster; for the gate, which keeps no excerpt. Sizes are scaled as
    from_pdf scales them (the text matrix and the transformation's vertical scale)."""
    import pikepdf

    raw: list[tuple[str, int, float, str]] = []
    with pikepdf.Pdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            resources = page.obj.get("/Resources")
            fonts = resources.get("/Font") if resources is not None else None
            stack: list[float] = []
            ctm = text_matrix = 1.0
            size, name, two_bytes = 0.0, "", False
            for operands, operator in pikepdf.parse_content_stream(page, "q Q cm BT Tm Tf Tj TJ"):
                op = str(operator)
                if op == "q":
                    stack.append(ctm)
                elif op == "Q":
                    ctm = stack.pop() if stack else 1.0
                elif op == "cm":
                    ctm *= float(operands[3])
                elif op == "BT":
                    text_matrix = 1.0
                elif op == "Tm":
                    text_matrix = float(operands[3])
                elif op == "Tf":
                    font = fonts.get(str(operands[0])) if fonts is not None else None
                    name = str(font.get("/BaseFont", "")) if font is not None else ""
                    two_bytes = font is not None and font.get("/Subtype") == "/Type0"
                    size = float(operands[1])
                else:  # Tj, TJ
                    pieces = operands[0] if op == "TJ" else [operands[0]]
                    length = sum(len(bytes(s)) for s in pieces if isinstance(s, pikepdf.String))
                    glyphs = length // 2 if two_bytes else length
                    if glyphs:
                        scale = abs(text_matrix * ctm) or 1
                        raw.append(("", glyphs, round(size * scale, 1), name))
    return _pdf_runs(raw)


def _pdf_runs(raw: list[tuple[str, int, float, str]]) -> LayoutFacts:
    """Facts from a PDF's runs (text, weight in characters, size, font name): the runs set at
    the body size or larger (the letterhead, address block and footer are set smaller)."""
    facts = LayoutFacts(source="pdf")
    weights: Counter[float] = Counter()
    for _, weight, size, _ in raw:
        weights[size] += weight
    if not weights:
        return facts
    body_size, facts.body_size_margin = _body_size(weights)
    for text, _, size, name in raw:
        if size >= body_size - 0.1:
            italic = any(k in name.lower() for k in ("italic", "oblique"))
            facts.runs.append(StyledRun(text, "pdf", size, None, italic=italic))
    return facts


def _body_size(weights: Counter[float]) -> tuple[float, float]:
    """The size most characters are set in, and by how many characters it leads the next."""
    ranked = weights.most_common(2)
    return ranked[0][0], ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0)


def _open_docx(data: bytes) -> tuple[list[Any], Any]:
    """A DOCX's body paragraphs and its style lookup (python-docx's own objects).

    Opening the whole package parses every part (theme, fonts, settings...), about
    half of a letter's check: read the document and its styles only when they are
    where Word and pexmail put them, else let python-docx open the package."""
    from docx import Document
    from docx.oxml import parse_xml
    from docx.text.paragraph import Paragraph

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        if {"word/document.xml", "word/styles.xml"} <= names and _main_part(archive):
            document = parse_xml(archive.read("word/document.xml"))
            styles = _styles(archive.read("word/styles.xml"))
            return [Paragraph(p, None) for p in document.body.p_lst], styles.get_by_id
    package = Document(io.BytesIO(data))
    return list(package.paragraphs), package.part.get_style


@functools.lru_cache(maxsize=16)
def _styles(xml: bytes) -> Any:
    """A styles part, parsed once: the letters of one layout share it byte for byte."""
    from docx.oxml import parse_xml
    from docx.styles.styles import Styles

    return Styles(parse_xml(xml))


def _main_part(archive: zipfile.ZipFile) -> bool:
    """Whether the package's main document is word/document.xml, its styles word/styles.xml."""
    try:
        root = archive.read("_rels/.rels").decode("utf-8")
        document = archive.read("word/_rels/document.xml.rels").decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return False
    return 'Target="word/document.xml"' in root and 'Target="styles.xml"' in document


@dataclass(frozen=True)
class _ParagraphStyle:
    """What the layout rules read of a DOCX paragraph style."""

    alignment: Any
    line_spacing: Any
    size: Any  # a docx Length, or None
    italic: bool | None
    underline: Any
    heading: bool

    @classmethod
    def of(cls, style: Any) -> _ParagraphStyle:
        if style is None:
            return cls(None, None, None, None, None, False)
        font = style.font
        return cls(
            style.paragraph_format.alignment,
            style.paragraph_format.line_spacing,
            font.size,
            font.italic,
            font.underline,
            (style.name or "").lower().startswith(("heading", "titre", "title")),
        )


def from_docx(data: bytes) -> tuple[LayoutFacts, list[str]]:
    """Runs of a DOCX body with their direct or style formatting, and its paragraphs' text."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    body_paragraphs, lookup = _open_docx(data)
    facts = LayoutFacts(source="docx")
    paragraphs: list[tuple[str, list[StyledRun]]] = []
    # python-docx looks a paragraph's style up among all the styles each time it is asked
    # (most of a letter's check): look each one up once.
    styles: dict[str | None, _ParagraphStyle] = {}
    for paragraph in body_paragraphs:
        text = paragraph.text
        if not text.strip():
            continue
        runs: list[StyledRun] = []
        paragraphs.append((text, runs))
        style_id = paragraph._p.style
        looked_up = styles.get(style_id)
        if looked_up is None:
            style = lookup(style_id, WD_STYLE_TYPE.PARAGRAPH)
            looked_up = styles[style_id] = _ParagraphStyle.of(style)
        fmt = paragraph.paragraph_format
        justified = (fmt.alignment or looked_up.alignment) in (
            WD_ALIGN_PARAGRAPH.JUSTIFY,
            WD_ALIGN_PARAGRAPH.DISTRIBUTE,
        )
        spacing = fmt.line_spacing or looked_up.line_spacing
        line_height = float(spacing) if isinstance(spacing, float) else None
        for run in paragraph.runs:
            if not run.text.strip():
                continue
            size = run.font.size or looked_up.size
            runs.append(
                StyledRun(
                    text=run.text,
                    tag="h2" if looked_up.heading else "docx",
                    font_size=size.pt if size is not None else 14.0,
                    line_height=line_height,
                    justified=justified,
                    italic=bool(run.italic or looked_up.italic),
                    underline=bool(run.underline or looked_up.underline),
                    uppercase=bool(run.font.all_caps),
                )
            )
    weights: Counter[float] = Counter()
    for _, runs in paragraphs:
        for run in runs:
            weights[run.font_size] += len(run.text.strip())
    body_size = 14.0
    if weights:
        body_size, facts.body_size_margin = _body_size(weights)
    texts: list[str] = []
    for text, runs in paragraphs:
        # the letterhead, address block and reference are set smaller than the letter's text
        if runs and all(r.font_size < body_size - 0.1 for r in runs):
            continue
        texts.append(text)
        facts.runs.extend(runs)
    return facts, texts
