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

from pexmail.catalog.contacts import FreshnessReport, assess, describe_entries
from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.errors import RenderError, TemplateError
from pexmail.model import Case
from pexmail.render.address import AddressError
from pexmail.render.context import build_context, build_notice_context
from pexmail.render.qr import QrImage, make_qr
from pexmail.render.templates import LetterParts, Templates

FORMATS = ("pdf", "docx")


class Refused(Exception):
    """A document that must not go out; ``code`` and ``reason`` go to the summary."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class StaleContacts(Refused):
    """Refused because it would print contacts not verified recently enough."""

    def __init__(self, reason: str, contact_ids: Sequence[str]) -> None:
        super().__init__("stale_contact", reason)
        self.contact_ids = tuple(contact_ids)


@dataclass
class PreparedLetter:
    """A letter's context and rendered text, before any layout."""

    letter: Letter
    layout: str
    context: dict[str, Any]
    parts: LetterParts
    # Contacts it prints that are due for review, or stale and allowed by --allow-stale.
    freshness: FreshnessReport = field(default_factory=FreshnessReport)


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
        allow_stale: bool = False,
    ) -> None:
        self.catalog = catalog
        self.allow_stale = allow_stale
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

    def prepare(self, letter: Letter, facts: Case) -> PreparedLetter:
        """The letter's context and text; raises :class:`Refused` when it cannot be written."""
        try:
            context = build_context(self.catalog, letter, facts, self.run_date, self.qr_images)
        except AddressError as exc:
            raise Refused("address_unprintable", str(exc)) from None
        return self._finish(letter, context)

    def prepare_notice(
        self, letter: Letter, territory_id: str, postcode: str, commune: str
    ) -> PreparedLetter:
        """A notice for a place (no household); raises :class:`Refused` like :meth:`prepare`."""
        context = build_notice_context(
            self.catalog, letter, territory_id, postcode, commune, self.run_date, self.qr_images
        )
        return self._finish(letter, context)

    def _finish(self, letter: Letter, context: dict[str, Any]) -> PreparedLetter:
        freshness = self.check_contacts(letter, context)
        try:
            parts = self.templates.render_letter(letter.templates.html, context)
        except TemplateError as exc:
            raise Refused("render_error", exc.format_message()) from None
        layout = self.catalog.document.senders[letter.sender].layout
        return PreparedLetter(letter, layout, context, parts, freshness)

    def check_contacts(self, letter: Letter, context: dict[str, Any]) -> FreshnessReport:
        """Freshness of every directory entry the document prints (its contacts and the
        sender's office); a stale one refuses the document unless stale ones are allowed."""
        ids = [c["id"] for c in context["contacts"]]
        office = self.catalog.document.senders[letter.sender].offices.get(
            context["territory"]["id"]
        )
        if office is not None and office.contact:
            ids.insert(0, office.contact)
        entries = [e for e in map(self.catalog.directories.by_id, ids) if e is not None]
        policy = self.catalog.document.contacts
        report = assess(entries, self.run_date, policy.review_after_months, policy.max_age_months)
        if report.stale and not self.allow_stale:
            raise StaleContacts(
                f"{letter.id} would print contacts not verified in the last "
                f"{policy.max_age_months} months: {describe_entries(report.stale)}; "
                "check them and record it with `pexmail contacts verify ID`, "
                "or pass --allow-stale",
                report.stale_ids,
            )
        return report

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
