"""The DL envelope of a mailing: the address in the window zone, a QR code, one neutral sentence.

Many households summoned to court never open the letter (seed 002
l.1778-1790); the envelope carries the QR code of the letter's target so the
video reaches them anyway. It is printed, not windowed, and seen by
neighbours and postal staff, so its template says nothing of a debt or a
court case. A mailing gets one envelope when one of its letters asks for it
(catalogue ``envelope``); the first such letter's template and QR target win.

The envelope is always an HTML page laid out by WeasyPrint, whatever engine
lays out the letters: with ``--engine typst`` it gets its own WeasyPrint setup
(bundled fonts, allow-list fetcher), made once per renderer.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pexmail.errors import RenderError, TemplateError
from pexmail.model import Document
from pexmail.output.files import safe_name, write_atomic
from pexmail.render.letter import LetterRenderer, PreparedLetter, Refused

if TYPE_CHECKING:  # WeasyPrint takes 0.75 s to import: only batches with envelopes pay it
    from pexmail.render.pdf import WeasyPrintEngine

ENVELOPE_LETTER_ID = "envelope"  # how envelopes appear in the manifest

# The WeasyPrint setup of each renderer whose letters are not laid out by WeasyPrint.
_ENGINES: weakref.WeakKeyDictionary[LetterRenderer, WeasyPrintEngine] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class RenderedEnvelope:
    data: bytes
    pages: int
    asked_by: str  # id of the letter whose `envelope` was used


def render_envelope(
    renderer: LetterRenderer, letters: Sequence[PreparedLetter]
) -> RenderedEnvelope | None:
    """The envelope for a mailing of ``letters``, or None when none of them asks for one.

    Raises :class:`Refused` when it cannot be rendered.
    """
    asking = next((p for p in letters if p.letter.envelope is not None), None)
    if asking is None:
        return None
    spec = asking.letter.envelope
    assert spec is not None
    qr = None
    if spec.qr is not None:
        qr = {"src": renderer.qr_images[spec.qr].src}
    context = {"address_lines": asking.context["address_lines"], "qr": qr}
    from weasyprint import HTML

    from pexmail.render.fetcher import ForbiddenResource

    engine = envelope_engine(renderer)
    try:
        html = renderer.templates.render_page(spec.template, context)
        document = HTML(string=html, base_url=engine.base_url, url_fetcher=engine.fetcher).render(
            stylesheets=[engine.font_css], font_config=engine.font_config
        )
        identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
        data = document.write_pdf(pdf_identifier=identifier)
    except TemplateError as exc:
        raise Refused("render_error", exc.format_message()) from None
    except ForbiddenResource as exc:
        message = RenderError(letter_id=ENVELOPE_LETTER_ID, message=f"refused a resource: {exc}")
        raise Refused("render_error", message.format_message()) from None
    return RenderedEnvelope(data, len(document.pages), asking.letter.id)


def envelope_engine(renderer: LetterRenderer) -> WeasyPrintEngine:
    """The renderer's WeasyPrint engine: its PDF engine when that is WeasyPrint, else one
    made for its envelopes at first use (fonts loaded once, same allow-list fetcher)."""
    from pexmail.render.pdf import WeasyPrintEngine

    if renderer.engine == WeasyPrintEngine.name:
        engine = renderer.pdf
        if isinstance(engine, WeasyPrintEngine):
            return engine
    engine = _ENGINES.get(renderer)
    if engine is None:
        engine = WeasyPrintEngine(renderer.catalog, renderer.templates, renderer.qr_images)
        _ENGINES[renderer] = engine
    return engine


def write_envelope(
    renderer: LetterRenderer,
    out_dir: Path,
    household_key: str,
    case_ids: Sequence[str],
    letters: Sequence[PreparedLetter],
    run_date: date,
) -> Document | None:
    """Render and write ``envelopes/<household>-<date>.pdf``; None when no letter asks for one."""
    rendered = render_envelope(renderer, letters)
    if rendered is None:
        return None
    relative = f"envelopes/{safe_name(household_key)}-{run_date.isoformat()}.pdf"
    write_atomic(out_dir / relative, rendered.data)
    asking = next(p.letter for p in letters if p.letter.id == rendered.asked_by)
    return Document(
        household_key=household_key,
        letter_id=ENVELOPE_LETTER_ID,
        version=asking.version,
        sender=asking.sender,
        format="pdf",
        path=relative,
        sha256=hashlib.sha256(rendered.data).hexdigest(),
        pages=rendered.pages,
        case_ids=tuple(case_ids),
    )
