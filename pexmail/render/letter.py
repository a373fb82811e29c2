"""One household's letter → its text, then its documents in every format asked.

Two steps, so that checks can run between them: :meth:`LetterRenderer.prepare`
builds the context and renders the letter's text; :meth:`LetterRenderer.render`
lays it out with each engine. Templates, QR images and engines are loaded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.errors import RenderError, TemplateError
from pexmail.model import Case
from pexmail.render.address import AddressError
from pexmail.render.context import build_context
from pexmail.render.qr import QrImage, make_qr
from pexmail.render.templates import LetterParts, Templates

FORMATS = ("pdf", "docx")


class Refused(Exception):
    """A document that must not go out; ``code`` and ``reason`` go to the summary."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class PreparedLetter:
    """A letter's context and rendered text, before any layout."""

    letter: Letter
    layout: str
    context: dict[str, Any]
    parts: LetterParts


@dataclass
class RenderedLetter:
    prepared: PreparedLetter
    outputs: dict[str, tuple[bytes, int | None]] = field(
        default_factory=dict
    )  # format → (bytes, pages)


class LetterRenderer:
    def __init__(
        self,
        catalog: Catalog,
        run_date: date,
        formats: Sequence[str] = FORMATS,
        pdf_variant: str | None = None,
    ) -> None:
        self.catalog = catalog
        self.run_date = run_date
        self.formats = tuple(formats)
        self.pdf_variant = pdf_variant
        self.templates = Templates(catalog.template_root.resolve())
        self.qr_images: dict[str, QrImage] = {
            q.id: make_qr(q.id, q.url) for q in catalog.document.qr
        }
        self._pdf: Any = None
        self._docx: Any = None

    def preflight(self) -> None:
        """Compile the templates of every letter in force, and the layouts they use."""
        for letter in self.catalog.letters_in_force(self.run_date):
            self.templates.get(letter.templates.html)
            layout = self.catalog.document.senders[letter.sender].layout
            self.templates.get(f"layouts/{layout}.html.j2")
            if letter.envelope is not None:
                self.templates.get(letter.envelope.template)

    def prepare(self, letter: Letter, facts: Case) -> PreparedLetter:
        """The letter's context and text; raises :class:`Refused` when it cannot be written."""
        try:
            context = build_context(self.catalog, letter, facts, self.run_date, self.qr_images)
        except AddressError as exc:
            raise Refused("address_unprintable", str(exc)) from None
        try:
            parts = self.templates.render_letter(letter.templates.html, context)
        except TemplateError as exc:
            raise Refused("render_error", exc.format_message()) from None
        layout = self.catalog.document.senders[letter.sender].layout
        return PreparedLetter(letter, layout, context, parts)

    def render(self, prepared: PreparedLetter) -> RenderedLetter:
        """Lay the letter out in every format asked; raises :class:`Refused` on failure."""
        rendered = RenderedLetter(prepared)
        try:
            if "pdf" in self.formats:
                pdf = self.pdf.render(prepared.layout, prepared.context, prepared.parts)
                rendered.outputs["pdf"] = (pdf.data, pdf.pages)
            if "docx" in self.formats:
                data = self.docx.render(prepared.layout, prepared.context, prepared.parts)
                rendered.outputs["docx"] = (data, None)
        except (RenderError, TemplateError) as exc:
            raise Refused("render_error", exc.format_message()) from None
        return rendered

    @property
    def pdf(self) -> Any:
        if self._pdf is None:
            from pexmail.render.pdf import WeasyPrintEngine

            self._pdf = WeasyPrintEngine(
                self.catalog, self.templates, self.qr_images, self.pdf_variant
            )
        return self._pdf

    @property
    def docx(self) -> Any:
        if self._docx is None:
            from pexmail.render.docx import DocxEngine

            self._docx = DocxEngine(self.catalog, self.qr_images)
        return self._docx
