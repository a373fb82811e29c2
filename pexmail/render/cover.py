"""The cover page of a mailing: the letters inside, in order, and whom to call first.

It is laid out like a letter of the first sender (the address shows in the
envelope window) and rendered by the same engine; its text lives in
``templates/mailings/cover.html.j2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pexmail.errors import TemplateError
from pexmail.render.letter import LetterRenderer, PreparedLetter, Refused

COVER_TEMPLATE = "mailings/cover.html.j2"


def cover_context(letters: Sequence[PreparedLetter], mailing_id: str) -> dict[str, Any]:
    first = letters[0].context
    contact = next(
        (p.context["first_contact"] for p in letters if p.context["first_contact"]), None
    )
    return {
        **first,
        "letter": {**first["letter"], "id": "mailing", "title": "Courrier regroupé", "version": ""},
        "reference": mailing_id,
        "mailing": {
            "count": len(letters),
            "letters": [
                {
                    "subject": p.parts.subject,
                    "sender": p.context["signature"],
                    "title": p.letter.title,
                }
                for p in letters
            ],
            "first_contact": contact,
        },
    }


def render_cover(
    renderer: LetterRenderer, letters: Sequence[PreparedLetter], mailing_id: str
) -> tuple[bytes, int]:
    """The cover as PDF bytes and its page count; raises :class:`Refused` if it cannot be made."""
    context = cover_context(letters, mailing_id)
    try:
        parts = renderer.templates.render_letter(COVER_TEMPLATE, context)
    except TemplateError as exc:
        raise Refused("render_error", exc.format_message()) from None
    rendered = renderer.pdf.render(letters[0].layout, context, parts)
    return rendered.data, rendered.pages
