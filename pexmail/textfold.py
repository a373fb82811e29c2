"""Folding text for comparison: headers, stage names, communes, codes.

Partners spell the same thing many ways (« Commandement de payer »,
« COMMANDEMENT DE PAYER », « commandement-de-payer »); compare folded forms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[\s\-_'’./]+")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)  # partners repeat the same stages, civilities and codes
def fold(text: str) -> str:
    """Lower case, no accents, separators (spaces, hyphens, apostrophes, dots) as one space."""
    return _SEPARATORS.sub(" ", strip_accents(text).casefold()).strip()
