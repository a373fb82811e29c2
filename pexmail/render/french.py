"""French formats and typography: amounts, dates, phone numbers, spaces.

Non-breaking spaces keep « 1 234,56 € », « 22 novembre 2026 » and
« 01 82 52 40 00 » on one line, and go before « : ; ! ? » and inside « ».
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def euros(amount: Decimal | int | float | None, *, cents: bool | None = None) -> str:
    """``Decimal('1234.5')`` → ``1 234,50 €``; whole amounts print without cents unless asked."""
    if amount is None:
        return ""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    show_cents = cents if cents is not None else value != value.to_integral_value()
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = NBSP.join(groups)
    if show_cents:
        text += "," + frac
    sign = "-" if value < 0 else ""
    return f"{sign}{text}{NBSP}€"


def long_date(value: date | None) -> str:
    """``date(2026, 11, 1)`` → ``1er novembre 2026`` (ordinal for the first of the month)."""
    if value is None:
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day}{NBSP}{MONTHS[value.month - 1]}{NBSP}{value.year}"


def phone(number: str) -> str:
    """Group digits as French numbers are printed: ``0182524000`` → ``01 82 52 40 00``.

    Short numbers (``115``, ``3230``) stay whole; ``+33`` numbers keep their prefix.
    """
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+"):
        rest = digits[2:]
        return (
            "+33" + NBSP + NBSP.join([rest[0], *(rest[i : i + 2] for i in range(1, len(rest), 2))])
        )
    if len(digits) == 10:
        return NBSP.join(digits[i : i + 2] for i in range(0, 10, 2))
    return digits


_SPACE_BEFORE = re.compile(r"[ \t]+([:;!?»])")
_SPACE_AFTER = re.compile(r"(«)[ \t]+")


def typography(text: str) -> str:
    """Turn the plain spaces French typography wants unbreakable into non-breaking ones."""
    text = _SPACE_BEFORE.sub(NBSP + r"\1", text)
    return _SPACE_AFTER.sub(r"\1" + NBSP, text)


# One pass over the whole page (a letter is rendered for every household): a tag or
# an entity is matched whole and kept, so only spaces in text are ever replaced.
_HTML_TYPOGRAPHY = re.compile(r"<[^>]*>|&#?\w+;|[ \t]+(?=[:;!?»])|(?<=«)[ \t]+")


def _keep_markup(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if text[0] in "<&" else NBSP


def typography_html(html: str) -> str:
    """Apply :func:`typography` to the text between tags, never inside a tag or entity."""
    return _HTML_TYPOGRAPHY.sub(_keep_markup, html)
