"""Names and addresses → comparable identities (pure functions).

Partners write « 12, bd de Belleville, Bât. B » or « 12 BOULEVARD DE BELLEVILLE »,
« DUPONT-MARTIN Marie » or « Marie Dupont Martin »: identities fold case,
accents, hyphens and apostrophes, word order in names, civilities, common
street-type abbreviations and the building/flat complements partners leave in
the street field.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from pexmail.model import Case
from pexmail.textfold import strip_accents

_NON_WORD = re.compile(r"[^0-9a-z]+")

# Street-type abbreviations as partners and La Poste write them → full word.
STREET_TYPES = {
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "boul": "boulevard",
    "av": "avenue",
    "ave": "avenue",
    "r": "rue",
    "pl": "place",
    "imp": "impasse",
    "all": "allee",
    "ch": "chemin",
    "che": "chemin",
    "rte": "route",
    "sq": "square",
    "fg": "faubourg",
    "fbg": "faubourg",
    "qu": "quai",
    "qua": "quai",
    "crs": "cours",
    "pass": "passage",
    "res": "residence",
    "resid": "residence",
    "st": "saint",
    "ste": "sainte",
    "prom": "promenade",
    "sen": "sente",
    "hle": "halle",
    "gal": "general",
    "mal": "marechal",
    "pdt": "president",
}

CIVILITY_WORDS = {"m", "mr", "mme", "mlle", "monsieur", "madame", "mademoiselle", "et"}

# Where a partner left a flat, floor or building in the street field, the
# street ends: « 12 bd de Belleville, Bât. B » is « 12 bd de Belleville ».
# After a comma any complement word ends the street; without a comma only a
# complement word followed by a short code does (« Porte Jaune » is a street).
_KEYWORDS = (
    r"bat|batiment|bât|bâtiment|appt|apt|appartement|app|esc|escalier|etage|étage|"
    r"porte|logement|lgt|entree|entrée|cage|residence|résidence|res|chez|n°"
)
_COMPLEMENT_AFTER_COMMA = re.compile(rf",\s*({_KEYWORDS})\b.*$", re.IGNORECASE)
_COMPLEMENT_CODE = re.compile(rf"\s+({_KEYWORDS})\.?\s*[a-z0-9]{{1,4}}\b(\s.*)?$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(\d+)\s*(bis|ter|quater|[a-d])?\b[\s,]*", re.IGNORECASE)


@lru_cache(maxsize=4096)  # bounded: memory must not grow with the batch
def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in _NON_WORD.split(strip_accents(text).casefold()) if w)


def words(text: str) -> list[str]:
    """Folded words: no accents, lower case, punctuation and hyphens as spaces."""
    return list(_words(text))


def name_words(text: str) -> list[str]:
    """Name words: an apostrophe joins (« N'DIAYE » = « NDIAYE »), a hyphen separates."""
    return [w for w in words(re.sub(r"['’`´]", "", text)) if w not in CIVILITY_WORDS]


def name_tokens(family_name: str, given_name: str) -> tuple[str, ...]:
    """Sorted name words, civilities left out: « DUPONT-MARTIN Marie » = « Marie Dupont Martin »."""
    return tuple(sorted(name_words(f"{family_name} {given_name}")))


def name_key(family_name: str, given_name: str) -> str:
    return " ".join(name_tokens(family_name, given_name))


def split_street(street: str) -> tuple[str, str]:
    """« 12 bis, bd de Belleville, Bât. B » → (« 12bis », « boulevard de belleville »)."""
    text = _COMPLEMENT_CODE.sub("", _COMPLEMENT_AFTER_COMMA.sub("", street))
    number = ""
    if match := _NUMBER.match(text):
        number = match[1] + (match[2] or "").lower()
        text = text[match.end() :]
    return number, " ".join(STREET_TYPES.get(w, w) for w in words(text))


def street_key(street: str) -> str:
    """« 12, bd de Belleville » → « 12 boulevard de belleville »."""
    number, name = split_street(street)
    return f"{number} {name}".strip()


@dataclass(frozen=True, slots=True)
class Identity:
    """What two rows must share, more or less, to be one household."""

    postcode: str
    number: str  # street number with bis/ter; "" when there is none
    street: str  # folded street name, abbreviations expanded
    names: tuple[str, ...]  # sorted folded name words
    family: tuple[str, ...]  # folded family-name words

    @property
    def block(self) -> tuple[str, str]:
        """Rows are only compared within a block: same postcode, same street number."""
        return self.postcode, self.number

    @property
    def name_text(self) -> str:
        return " ".join(self.names)

    def key(self) -> str:
        """Stable, opaque id of a household; it reveals nothing of the name or address."""
        basis = "|".join((self.postcode, self.number, self.street, self.name_text))
        return "h-" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:12]


def identity(case: Case) -> Identity:
    number, street = split_street(case.address.street)
    return Identity(
        postcode=case.address.postcode,
        number=number,
        street=street,
        names=name_tokens(case.family_name, case.given_name),
        family=tuple(name_words(case.family_name)),
    )


def household_key(case: Case) -> str:
    """The key a household made of this case alone gets."""
    return identity(case).key()
