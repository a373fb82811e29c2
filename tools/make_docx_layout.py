"""Write a sender's DOCX layout (templates/layouts/<name>.docx) with python-docx.

The layout holds the page furniture only (letterhead, address block, place and
date, reference, subject, footer); ``{{p body }}`` receives the letter text.
Generating it keeps every ``{{ tag }}`` in a single Word run, which hand
editing in Word does not guarantee. Run: ``python tools/make_docx_layout.py state``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

FONT = "Arial"  # present in Word and mapped by LibreOffice; the PDF uses the bundled fonts


def _font(style, size: float, bold: bool = False) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.bold = bold
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _page_field(paragraph) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _fixed_layout(table) -> None:
    """Ask Word and LibreOffice to keep the column widths given, not to fit the content."""
    properties = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)


def build(path: Path, with_address: bool = True) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(20), Mm(18)
    section.top_margin, section.bottom_margin = Mm(16), Mm(20)

    normal = doc.styles["Normal"]
    _font(normal, 14)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.ONE_POINT_FIVE
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Heading 2", 16), ("Heading 3", 14)):
        _font(doc.styles[name], size, bold=True)
        doc.styles[name].font.color.rgb = None
    for name in ("List Bullet", "List Number"):
        _font(doc.styles[name], 14)

    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.LEFT
    head.autofit = False
    widths = (Mm(87), Mm(85))
    for column, width in zip(head.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    _fixed_layout(head)
    sender, recipient = head.rows[0].cells
    lines = [
        ("{%p if sender.authority %}", False),
        ("{{ sender.authority }}", True),
        ("{%p endif %}", False),
        ("{{ sender.name }}", True),
        ("{{ sender.unit }}", False),
        ("{%p if sender.address %}", False),
        ("{{ sender.address }}", False),
        ("{%p endif %}", False),
        ("{%p for phone in sender.phones %}", False),
        ("{{ labels.phone }} {{ phone.number|phone }}", False),
        ("{%p endfor %}", False),
    ]
    first = True
    for text, bold in lines:
        paragraph = sender.paragraphs[0] if first else sender.add_paragraph()
        first = False
        run = paragraph.add_run(text)
        run.bold = bold or None
        run.font.size = Pt(11)
        paragraph.paragraph_format.line_spacing = 1.15
        paragraph.paragraph_format.space_after = Pt(0)
    if not with_address:
        # Notices have no household: the right column stays empty, no window space.
        _finish(doc, section, path)
        return
    # The DL window sits about 50 mm from the top of the sheet; docxtpl removes
    # the paragraphs holding {%p %} tags, so the space goes on its own paragraph.
    spacer = recipient.paragraphs[0]
    spacer.paragraph_format.space_before = Mm(26)
    spacer.paragraph_format.space_after = Pt(0)
    recipient.add_paragraph().add_run("{%p for line in address_lines %}")
    line = recipient.add_paragraph()
    line.add_run("{{ line }}").font.size = Pt(11.5)
    line.paragraph_format.line_spacing = 1.15
    line.paragraph_format.space_after = Pt(0)
    recipient.add_paragraph().add_run("{%p endfor %}")
    _finish(doc, section, path)


def _finish(doc, section, path: Path) -> None:
    """Place and date, reference, subject, body and footer: the same in every layout."""
    doc.add_paragraph().paragraph_format.space_after = Mm(8)
    doc.add_paragraph("{{ place_date }}")
    doc.add_paragraph("{{ labels.reference }} : {{ reference }}").runs[0].font.size = Pt(11)
    subject = doc.add_paragraph()
    subject.add_run("{{ labels.subject }} : {{ subject }}").bold = True
    doc.add_paragraph("{{p body }}")

    footer = section.footer.paragraphs[0]
    footer.add_run("{{ reference }} — {{ labels.page }} ").font.size = Pt(9)
    _page_field(footer)

    core = doc.core_properties
    core.title = "{{ letter.title }}"
    core.language = "fr-FR"
    core.author = "pexmail"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))


# Layouts without an address block (no household to write to).
WITHOUT_ADDRESS = {"notice"}

if __name__ == "__main__":
    names = sys.argv[1:] or ["state"]
    root = Path(__file__).resolve().parent.parent / "templates" / "layouts"
    for name in names:
        build(root / f"{name}.docx", with_address=name not in WITHOUT_ADDRESS)
        print(f"wrote {root / f'{name}.docx'}")
