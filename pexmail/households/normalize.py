"""Names and addresses → comparable keys (pure functions).

Partners write « 12, bd de Belleville » or « 12 BOULEVARD DE BELLEVILLE »,
« DUPONT Marie » or « Marie Dupont »: the keys fold case, accents,
punctuation, word order in names and common street-type abbreviations.
"""

from __future__ import annotations

import hashlib
import re

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
    "cite": "cite",
    "prom": "promenade",
    "sen": "sente",
    "hle": "halle",
}

CIVILITY_WORDS = {"m", "mr", "mme", "mlle", "monsieur", "madame", "mademoiselle", "et"}


def words(text: str) -> list[str]:
    """Folded words: no accents, lower case, punctuation and hyphens as spaces."""
    return [w for w in _NON_WORD.split(strip_accents(text).casefold()) if w]


def name_key(family_name: str, given_name: str) -> str:
    """Order-free key of a person's names (« DUPONT-MARTIN Marie » = « Marie Dupont Martin »)."""
    tokens = [w for w in words(f"{family_name} {given_name}") if w not in CIVILITY_WORDS]
    return " ".join(sorted(tokens))


def street_key(street: str) -> str:
    """« 12, bd de Belleville » → « 12 boulevard de belleville »."""
    return " ".join(STREET_TYPES.get(w, w) for w in words(street))


def household_key(case: Case) -> str:
    """Stable, opaque id of a household; it reveals nothing of the name or address."""
    basis = "|".join(
        (
            name_key(case.family_name, case.given_name),
            street_key(case.address.street),
            case.address.postcode,
        )
    )
    return "h-" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:12]
