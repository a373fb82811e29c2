"""Readability scores of a letter's text.

* Kandel & Moles' adaptation of Flesch's reading ease to French:
  ``L = 207 − 1.015 × words/sentences − 73.6 × syllables/words``
  (L. Kandel and A. Moles, « Application de l'indice de Flesch à la langue
  française », Cahiers Études de Radio-Télévision 19, 1958, p. 253-274). Higher
  is easier; 60-70 reads as standard prose, 80 and more as easy.
* LIX (C.-H. Björnsson, *Läsbarhet*, Stockholm, Liber, 1968):
  ``LIX = words/sentences + 100 × long words/words``, a long word having more
  than six letters. It needs no syllable count, so it does not depend on our
  French syllable rules; lower is easier (under 30 very easy, over 50 hard).

Counts come from :mod:`pexmail.falc.text`: every token (amounts, phone numbers,
URLs included) is a word; syllables and letters are counted on real words only,
data tokens counting as one syllable and as short words.
"""

from __future__ import annotations

from dataclasses import dataclass

from pexmail.falc.text import LetterText, syllables


@dataclass(frozen=True)
class Counts:
    sentences: int
    words: int
    syllables: int
    long_words: int  # more than six letters


@dataclass(frozen=True)
class Scores:
    counts: Counts
    kandel_moles: float
    lix: float


def kandel_moles(words: int, sentences: int, syllable_count: int) -> float:
    """Kandel & Moles (1958): 207 − 1.015 × words/sentences − 73.6 × syllables/words."""
    if not words or not sentences:
        return 0.0
    return 207 - 1.015 * (words / sentences) - 73.6 * (syllable_count / words)


def lix(words: int, sentences: int, long_words: int) -> float:
    """Björnsson (1968): words/sentences + 100 × long words/words."""
    if not words or not sentences:
        return 0.0
    return words / sentences + 100 * long_words / words


def count(text: LetterText, include_subject: bool = False) -> Counts:
    sentences = words = syllable_count = long_words = 0
    for _, sentence in text.sentences(include_subject):
        sentences += 1
        for token in sentence.tokens:
            words += 1
            if token.is_word:
                syllable_count += syllables(token.text)
                letters = sum(c.isalpha() for c in token.text)
                long_words += letters > 6
            else:
                syllable_count += 1
    return Counts(sentences, words, syllable_count, long_words)


def score(text: LetterText) -> Scores:
    counts = count(text)
    return Scores(
        counts,
        round(kandel_moles(counts.words, counts.sentences, counts.syllables), 1),
        round(lix(counts.words, counts.sentences, counts.long_words), 1),
    )
