"""Parsers for the values French offices put in spreadsheets.

Each parser takes the cell's text and returns a value or raises
:class:`FieldError` with what was expected. They never see a file or a row:
``cases.py`` adds the location. Messages never repeat the value.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from pexmail.textfold import fold


class FieldError(ValueError):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# Plausibility limits: beyond them a value is a typo or a unit error
# (cents exported as euros), and a letter printing it would do harm.
MAX_DEBT = Decimal("500000")
MAX_RENT = Decimal("20000")
MAX_TEXT = 300  # characters in any name or address field
EARLIEST_DATE = date(1950, 1, 1)

# One scan finds anything a letter cannot hold; the reason is worked out only then.
# Bidirectional overrides and isolates (U+202A-202E, U+2066-2069) are invisible and
# reorder the text around them: a name could make a printed amount or date read backwards.
_UNPRINTABLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]"
)


def clean_text(raw: str, *, max_length: int = MAX_TEXT) -> str:
    """Collapse whitespace (line breaks inside a cell included) and refuse what no letter can hold."""
    if not raw:  # most cells of a partner's export are empty
        return raw
    if _UNPRINTABLE.search(raw):
        if "\x00" in raw:
            raise FieldError("nul_byte", "contains a NUL byte")
        if re.search(r"[\udc80-\udcff]", raw):
            raise FieldError("encoding", "contains bytes that are not valid in the file's encoding")
        raise FieldError("control_character", "contains control characters")
    if not raw.isascii() and looks_like_mojibake(raw):
        raise FieldError(
            "encoding_mixed",
            "holds UTF-8 text read as Windows-1252 (« Ã© » for « é »): the file mixes "
            "encodings; save it again as « CSV UTF-8 »",
        )
    text = " ".join(raw.split())  # str.split: the whitespace of the regex \s (str.isspace)
    if len(text) > max_length:
        raise FieldError(
            "too_long", f"is {len(text)} characters long; at most {max_length} expected"
        )
    return text


def looks_like_mojibake(text: str) -> bool:
    """True when ``text`` is UTF-8 bytes decoded as Windows-1252 or Latin-1 (``Ã©`` for ``é``).

    A file whose first 64 KiB are Windows-1252 but which holds rows pasted from
    a UTF-8 export decodes without error into such text. Genuine French text
    almost never re-encodes into valid multi-byte UTF-8: a capital or accented
    letter in À-ô would have to be followed by the exact punctuation bytes of
    a UTF-8 continuation, so the test has no practical false positives.
    """
    for codec in ("cp1252", "latin-1"):
        try:
            raw = text.encode(codec)
        except UnicodeEncodeError:
            continue
        return _UTF8_SEQUENCE.search(raw) is not None
    return False


# A well-formed UTF-8 multi-byte sequence (lead byte, then its continuation bytes).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


_AMOUNT_CHARS = re.compile(r"^[+-]?[0-9][0-9 .,]*$")


def parse_amount(raw: str, *, maximum: Decimal = MAX_DEBT) -> Decimal:
    """``1 234,56 €``, ``1234.56``, ``1.234,56``, ``1234`` → Decimal; refuse what is ambiguous.

    A single separator followed by exactly three digits (``1,234``) could be a
    thousands or a decimal separator: refused, since a wrong guess changes the
    debt a letter announces by a factor of a thousand.
    """
    text = raw.replace("\u00a0", " ").replace("\u202f", " ").strip()
    text = re.sub(r"(?i)\s*(€|eur|euros?)\s*", "", text).strip()
    text = text.replace(" ", "")
    if not text or not _AMOUNT_CHARS.match(text):
        raise FieldError("amount", 'expected an amount in euros such as "1 234,56 €" or "1234.56"')
    negative = text.startswith("-")
    text = text.lstrip("+-")
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        whole, _, frac = text.rpartition(decimal_sep)
        grouped = r"\d{1,3}(" + re.escape(thousands) + r"\d{3})+"
        if not re.fullmatch(grouped, whole) or not 1 <= len(frac) <= 2:
            raise FieldError("amount", 'expected an amount in euros such as "1 234,56 €"')
        text = whole.replace(thousands, "") + "." + frac
    elif "," in text or "." in text:
        sep = "," if "," in text else "."
        parts = text.split(sep)
        if len(parts) == 2 and 1 <= len(parts[1]) <= 2:
            text = parts[0] + "." + parts[1]
        elif len(parts) == 2 and len(parts[1]) == 3:
            raise FieldError(
                "amount_ambiguous",
                f'is ambiguous ("{sep}" then three digits); write it as "1234" or "1 234,00"',
            )
        elif len(parts) > 2 and all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3:
            text = "".join(parts)
        else:
            raise FieldError("amount", 'expected an amount in euros such as "1 234,56 €"')
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldError("amount", 'expected an amount in euros such as "1 234,56 €"') from None
    if negative and value != 0:
        raise FieldError("amount_negative", "is negative; expected an amount owed, 0 or more")
    if value > maximum:
        raise FieldError(
            "amount_implausible",
            f"is over {maximum:,.0f} €, which is not plausible here".replace(",", " "),
        )
    return value.quantize(Decimal("0.01"))


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def parse_date(raw: str) -> date:
    """``22/11/2026``, ``22-11-2026``, ``22.11.2026`` or ISO ``2026-11-22`` (a time part is ignored)."""
    text = raw.strip()
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DMY.match(text):
        day, month = int(match[1]), int(match[2])
        if len(match[3]) == 2:
            raise FieldError("date_two_digit_year", "has a two-digit year; write the year in full")
        year = int(match[3])
    else:
        raise FieldError("date", 'expected a date such as "22/11/2026" or "2026-11-22"')
    try:
        value = date(year, month, day)
    except ValueError:
        raise FieldError("date_impossible", "is not a real calendar date") from None
    if value < EARLIEST_DATE:
        raise FieldError("date_implausible", f"is before {EARLIEST_DATE.year}")
    return value


def parse_postcode(raw: str) -> str:
    text = raw.replace(" ", "").strip()
    if re.fullmatch(r"\d{4}", text):
        text = "0" + text  # a spreadsheet dropped the leading zero
    if not re.fullmatch(r"\d{5}", text):
        raise FieldError("postcode", "expected a 5-digit French postcode")
    return text


_CIVILITIES = {
    "m": "M.",
    "mr": "M.",
    "monsieur": "M.",
    "mme": "Mme",
    "madame": "Mme",
    "mlle": "Mme",  # « Mademoiselle » left official use in 2012
    "mademoiselle": "Mme",
    "m et mme": "M. et Mme",
    "mme et m": "M. et Mme",
    "monsieur et madame": "M. et Mme",
    "madame et monsieur": "M. et Mme",
}


def parse_civility(raw: str) -> str | None:
    """Known civilities → ``M.``, ``Mme``, ``M. et Mme``; anything else → None (no civility printed)."""
    return _CIVILITIES.get(fold(raw))


_LANDLORD_TYPES = {
    "social": "social",
    "bailleur social": "social",
    "parc social": "social",
    "public": "social",
    "parc public": "social",
    "hlm": "social",
    "oph": "social",
    "esh": "social",
    "bs": "social",
    "prive": "private",
    "private": "private",
    "bailleur prive": "private",
    "parc prive": "private",
    "particulier": "private",
    "personne physique": "private",
    "proprietaire prive": "private",
    "sci": "private",
    "sci familiale": "private",
    "bp": "private",
}


def parse_landlord_type(raw: str, codes: dict[str, str] | None = None) -> str:
    key = fold(raw)
    for code, value in (codes or {}).items():
        if fold(code) == key:
            return value
    if key in _LANDLORD_TYPES:
        return _LANDLORD_TYPES[key]
    raise FieldError(
        "landlord_type", 'expected a landlord type: "social" (HLM, OPH, ESH) or "privé"'
    )


_TRUE = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
_FALSE = {"non", "n", "no", "0", "false", "faux"}


def parse_bool(raw: str) -> bool:
    key = fold(raw)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise FieldError("yes_no", 'expected "oui" or "non"')


def parse_stage(raw: str, aliases: dict[str, str], codes: dict[str, str] | None = None) -> str:
    """Map a stage as partners write it to a catalogue stage id; ``aliases`` are folded."""
    key = fold(raw)
    for code, value in (codes or {}).items():
        if fold(code) == key:
            return value
    if key in aliases:
        return aliases[key]
    known = ", ".join(sorted(set(aliases.values())))
    raise FieldError("stage", f"is not a procedure stage the catalogue knows ({known})")


def split_full_name(text: str) -> tuple[str, str]:
    """``DUPONT-MARTIN Marie`` → (``DUPONT-MARTIN``, ``Marie``).

    French exports write the family name in capitals; when every word is in
    capitals, the first word is taken as the family name.
    """
    words = text.split()
    if not words:
        raise FieldError("required", "is empty")
    family = [w for w in words if w.isupper() and len(w.strip("-'")) > 1]
    if family and len(family) < len(words):
        given = [w for w in words if w not in family]
        return " ".join(family), " ".join(given)
    return words[0], " ".join(words[1:])


def parse_phone(raw: str) -> str:
    digits = re.sub(r"[\s.\-()]", "", raw)
    if re.fullmatch(r"(\+33|0033)[1-9]\d{8}", digits):
        digits = "0" + digits[-9:]
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        raise FieldError("phone", "expected a French phone number such as 01 23 45 67 89")
    return digits


def parse_email(raw: str) -> str:
    text = raw.strip()
    if not re.fullmatch(r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}", text):
        raise FieldError("email", "expected an email address")
    return text


def parse_language(raw: str) -> str:
    text = raw.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}", text):
        raise FieldError("language", 'expected a language code such as "fr" or "ar"')
    return text


# Items inside one cell: « FSL; plan d'apurement », « fsl, adil », one per line…
_ITEM_SEPARATORS = re.compile(r"[;,|\n+]")


def parse_recommendations(raw: str, aliases: dict[str, str]) -> tuple[str, ...]:
    """A cell listing ticked items → catalogue recommendation ids, in the cell's order.

    ``aliases`` maps folded ids, labels and aliases to ids. An item that is not
    in the list rejects the row: a letter must not silently drop an advice.
    """
    found: list[str] = []
    items = [item.strip() for item in _ITEM_SEPARATORS.split(raw)]
    items = [item for item in items if item]
    for position, item in enumerate(items, start=1):
        key = fold(item)
        if key not in aliases:
            known = ", ".join(sorted(set(aliases.values())))
            raise FieldError(
                "recommendation",
                f"item {position} of {len(items)} is not a recommendation of the catalogue; "
                f"expected ids, labels or aliases of: {known}, separated by « ; » or « , »",
            )
        if aliases[key] not in found:
            found.append(aliases[key])
    return tuple(found)
