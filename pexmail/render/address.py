"""The recipient's address block, as La Poste's norm NF Z 10-011 wants it.

At most 6 lines of at most 38 characters, from the most personal to the most
general: 1 identity, 2 flat/floor/« chez », 3 building, 4 number and street,
5 lieu-dit or BP, 6 postcode and town in capitals (« 75015 PARIS »).
Lines too long are shortened with the norm's abbreviations; if a line still
does not fit, the block is refused rather than cut: a mangled address is a
letter that never arrives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pexmail.model import Address
from pexmail.textfold import strip_accents

MAX_LINES = 6
MAX_CHARS = 38

# La Poste's standard abbreviations, longest words first when shortening.
ABBREVIATIONS = {
    "APPARTEMENT": "APT",
    "BATIMENT": "BAT",
    "BÂTIMENT": "BAT",
    "BOULEVARD": "BD",
    "AVENUE": "AV",
    "RESIDENCE": "RES",
    "RÉSIDENCE": "RES",
    "ESCALIER": "ESC",
    "ETAGE": "ETG",
    "ÉTAGE": "ETG",
    "IMMEUBLE": "IMM",
    "FAUBOURG": "FG",
    "IMPASSE": "IMP",
    "PASSAGE": "PASS",
    "CHEMIN": "CHE",
    "SQUARE": "SQ",
    "ROUTE": "RTE",
    "ALLEE": "ALL",
    "ALLÉE": "ALL",
    "PLACE": "PL",
    "QUAI": "QUAI",
    "SAINT": "ST",
    "SAINTE": "STE",
    "GENERAL": "GAL",
    "GÉNÉRAL": "GAL",
    "MARECHAL": "MAL",
    "MARÉCHAL": "MAL",
    "PRESIDENT": "PDT",
    "PRÉSIDENT": "PDT",
    "DOCTEUR": "DR",
    "PROFESSEUR": "PR",
}


class AddressError(ValueError):
    """The address cannot be printed within the norm; says which line and why."""

    def __init__(self, line: int, length: int) -> None:
        super().__init__(
            f"address line {line} needs {length} characters even abbreviated; "
            f"NF Z 10-011 allows {MAX_CHARS}"
        )
        self.line = line
        self.length = length


@dataclass(frozen=True)
class AddressBlock:
    lines: tuple[str, ...]


def _shorten(text: str) -> str:
    """Abbreviate words one at a time (longest first) until the line fits."""
    words = text.split(" ")
    order = sorted(
        (i for i, w in enumerate(words) if w.upper() in ABBREVIATIONS),
        key=lambda i: len(words[i]),
        reverse=True,
    )
    for index in order:
        if len(" ".join(words)) <= MAX_CHARS:
            break
        words[index] = ABBREVIATIONS[words[index].upper()]
    return " ".join(words)


def _fit(text: str, number: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= MAX_CHARS:
        return text
    shortened = _shorten(text)
    if len(shortened) > MAX_CHARS:
        raise AddressError(number, len(shortened))
    return shortened


def identity_line(civility: str | None, given_name: str, family_name: str) -> str:
    """« Madame Marie DUPONT »; the given name shrinks to an initial, then goes, if needed."""
    title = {"M.": "Monsieur", "Mme": "Madame", "M. et Mme": "Monsieur et Madame"}.get(
        civility or "", ""
    )
    family = family_name.upper()
    for given in (given_name, _initials(given_name), ""):
        for head in (
            title,
            {"Monsieur": "M.", "Madame": "Mme", "Monsieur et Madame": "M. et Mme"}.get(title, ""),
        ):
            line = " ".join(part for part in (head, given, family) if part)
            if len(line) <= MAX_CHARS:
                return line
    raise AddressError(1, len(family))


def _initials(given_name: str) -> str:
    parts = [p for p in re.split(r"[\s]+", given_name) if p]
    return " ".join("-".join(f"{s[0]}." for s in p.split("-") if s) for p in parts)


def town_line(postcode: str, commune: str) -> str:
    """« 93200 SAINT DENIS »: capitals, no accents, no hyphen or apostrophe (La Poste)."""
    town = strip_accents(commune).upper()
    town = re.sub(r"[-'’]", " ", town)
    town = re.sub(r"\s+", " ", town).strip()
    line = f"{postcode} {town}"
    if len(line) > MAX_CHARS:
        line = f"{postcode} {_shorten(town)}"
    if len(line) > MAX_CHARS:
        raise AddressError(6, len(line))
    return line


def address_block(
    civility: str | None, given_name: str, family_name: str, address: Address
) -> AddressBlock:
    """Build the block; raise :class:`AddressError` naming the line that cannot fit."""
    lines = [identity_line(civility, given_name, family_name)]
    if address.complement:
        lines.append(_fit(address.complement, 2))
    lines.append(_fit(address.street.replace(",", ""), 4))
    if address.locality:
        lines.append(_fit(address.locality, 5))
    lines.append(town_line(address.postcode, address.commune))
    if len(lines) > MAX_LINES:  # pragma: no cover - at most 5 lines are built above
        raise AddressError(MAX_LINES + 1, 0)
    return AddressBlock(tuple(lines))
