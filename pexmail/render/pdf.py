"""PDF with WeasyPrint: the sender's HTML layout around the letter text.

Fonts, stylesheet and QR images are loaded once per engine; every resource
goes through the allow-list fetcher. ``variant`` passes WeasyPrint's PDF/A or
PDF/UA variant for archiving and screen readers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from pexmail.catalog.load import Catalog
from pexmail.errors import RenderError
from pexmail.render.engine import PDF_VARIANTS, RenderedPdf, check_variant, remove_when_done
from pexmail.render.fetcher import AllowListFetcher, ForbiddenResource
from pexmail.render.fonts import FONT_DIR, font_face_css
from pexmail.render.qr import QrImage
from pexmail.render.templates import LetterParts, Templates

__all__ = ["PDF_VARIANTS", "RenderedPdf", "WeasyPrintEngine"]


class WeasyPrintEngine:
    name = "weasyprint"

    def __init__(
        self,
        catalog: Catalog,
        templates: Templates,
        qr_images: Mapping[str, QrImage],
        variant: str | None = None,
    ) -> None:
        self.catalog = catalog
        self.templates = templates
        self.variant = check_variant(self.name, variant)
        self.font_config = config = FontConfiguration()
        # WeasyPrint removes the folder of its @font-face files in __del__, never run in a
        # pool worker: remove it when this engine is done, and leave __del__ nothing to do
        # (at interpreter exit it may run after WeasyPrint's module is torn down).
        remove_when_done(self, lambda: _take_font_folder(config))
        self.fetcher = AllowListFetcher(
            [catalog.template_root, FONT_DIR], {key: image.png for key, image in qr_images.items()}
        )
        self.font_css = CSS(
            string=font_face_css(), font_config=self.font_config, url_fetcher=self.fetcher
        )
        self.base_url = catalog.template_root.resolve().as_uri() + "/"
        self._cache: dict[str, Any] = {}
        # Called on each laid-out document before it is written (the FALC layout checks).
        self.inspect: Callable[[Any], Any] | None = None

    def check_layout(self, layout: str) -> None:
        self.templates.get(f"layouts/{layout}.html.j2")

    def html(self, layout: str, context: Mapping[str, Any], parts: LetterParts) -> str:
        page_context = {**context, "subject": parts.subject, "body": parts.body}
        return self.templates.render_page(f"layouts/{layout}.html.j2", page_context)

    def render(self, layout: str, context: Mapping[str, Any], parts: LetterParts) -> RenderedPdf:
        html = self.html(layout, context, parts)
        letter_id = str(context["letter"]["id"])
        try:
            document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
                stylesheets=[self.font_css], font_config=self.font_config, cache=self._cache
            )
            options: dict[str, Any] = {"pdf_variant": self.variant} if self.variant else {}
            # A fixed identifier makes the same letter the same bytes, run after run.
            identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
            data = document.write_pdf(pdf_identifier=identifier, **options)
        except ForbiddenResource as exc:
            raise RenderError(letter_id=letter_id, message=f"refused a resource: {exc}") from None
        layout = self.inspect(document) if self.inspect is not None else None
        return RenderedPdf(data, len(document.pages), layout)


def _take_font_folder(config: FontConfiguration) -> str | None:
    folder = getattr(config, "_folder", None)
    config._folder = None
    return folder
