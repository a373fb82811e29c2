"""French text → paragraphs, sentences, tokens and syllables, for the FALC rules.

What a reader sees as one "word" is one token: an amount (``1 850,40 €``), a
phone number, a URL or an e-mail address, a number, or a word (elided article
included: ``l'ADIL``, hyphenated words: ``Seine-Saint-Denis``). Such data
tokens count in sentence lengths but are never scored as rare or long words.
The address block and the contacts table are not part of the checked text:
the first is printed by the layout, the second is data from the directories.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from pexmail.render.body import Block, Box, Image, ListBlock, Paragraph, Table, parse_body

SPACE = r"[ \u00a0\u202f]"
_PATTERNS = [
    (
        "url",
        r"(?:https?://|www\.)[^\s<>()]+[^\s<>().,;:!?]|\b[\w-]+(?:\.[\w-]+)*\.(?:fr|com|org|net|eu|gouv\.fr)\b(?:/[^\s<>()]*[^\s<>().,;:!?])?",
    ),
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("amount", rf"\d{{1,3}}(?:{SPACE}\d{{3}})*(?:,\d+)?{SPACE}?(?:€|euros?\b)"),
    ("phone", rf"(?:\+33{SPACE}?|\b0)\d(?:{SPACE}|[.-])?\d\d(?:(?:{SPACE}|[.-])?\d\d){{3}}\b"),
    ("short_date", r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b"),
    ("percent", rf"\d+(?:,\d+)?{SPACE}?%"),
    ("fraction", r"\b\d{1,2}/\d{1,2}\b|[½⅓⅔¼¾⅕⅙⅛]"),
    ("number", rf"\d{{1,3}}(?:{SPACE}\d{{3}})+(?:,\d+)?|\d+(?:[,.]\d+)?(?:e|er|re|ème)?\b"),
    ("word", r"[^\W\d_]+(?:['’\-][^\W\d_]+)*['’]?"),
]
TOKEN = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS))
SENTENCE_END = re.compile(r"[.!?…]+[»\"”)]*(?=\s|$)")
# Abbreviations whose dot does not end a sentence.
ABBREVIATIONS = {
    "m",
    "mme",
    "mmes",
    "mlle",
    "mm",
    "dr",
    "me",
    "tél",
    "tel",
    "etc",
    "av",
    "bd",
    "st",
    "ste",
    "n",
    "no",
    "art",
    "cf",
    "p",
    "réf",
    "bât",
    "esc",
    "appt",
    "vol",
}
ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
DATA_KINDS = {"url", "email", "amount", "phone", "short_date", "percent", "fraction", "number"}


@dataclass(frozen=True)
class Token:
    text: str
    kind: str  # "word" or one of DATA_KINDS
    start: int  # offset in the paragraph text

    @property
    def bare(self) -> str:
        """The word without its elided article (``l'ADIL`` → ``ADIL``), without a trailing apostrophe."""
        return _bare(self.text)

    @property
    def is_word(self) -> bool:
        return self.kind == "word"


@dataclass(frozen=True)
class Sentence:
    text: str
    tokens: tuple[Token, ...]
    start: int  # offset in the paragraph text

    @property
    def words(self) -> int:
        return len(self.tokens)


@dataclass
class TextParagraph:
    """A paragraph, list item, heading or the subject line, numbered in reading order."""

    index: int
    kind: str  # "subject", "heading", "paragraph", "item"
    text: str
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def words(self) -> int:
        return sum(s.words for s in self.sentences)


@dataclass
class LetterText:
    paragraphs: list[TextParagraph]

    def sentences(self, include_subject: bool = True) -> Iterable[tuple[TextParagraph, Sentence]]:
        for paragraph in self.paragraphs:
            if paragraph.kind == "subject" and not include_subject:
                continue
            for sentence in paragraph.sentences:
                yield paragraph, sentence

    @property
    def body(self) -> list[TextParagraph]:
        return [p for p in self.paragraphs if p.kind != "subject"]


@lru_cache(maxsize=65536)
def _bare(text: str) -> str:
    return ELISION.sub("", text).rstrip("'’")


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(), m.lastgroup or "word", m.start()) for m in TOKEN.finditer(text)]


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of one paragraph: a line break, or ``. ! ? …`` outside a token, ends one."""
    return list(_sentences(text))


# Letters of one type share most paragraphs: each is split once per process.
@lru_cache(maxsize=8192)
def _sentences(text: str) -> tuple[Sentence, ...]:
    tokens = tokenize(text)
    starts = [t.start for t in tokens]
    ends = [t.start + len(t.text) for t in tokens]  # tokens do not overlap: both ascending
    cuts: list[int] = []
    for match in SENTENCE_END.finditer(text):
        position = match.start()
        inside = bisect.bisect_right(starts, position) - 1
        if inside >= 0 and position < ends[inside]:
            continue  # a dot inside a URL, an amount, a date
        last = bisect.bisect_right(ends, position) - 1
        if (
            match.group().startswith(".")
            and last >= 0
            and ends[last] == position
            and fold(tokens[last].bare) in ABBREVIATIONS
        ):
            continue
        cuts.append(match.end())
    cuts += [m.end() for m in re.finditer(r"\n", text)]
    sentences = []
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        if cut <= start:
            continue
        chunk_tokens = tuple(t for t in tokens if start <= t.start < cut)
        raw = text[start:cut]
        if chunk_tokens:
            lead = len(raw) - len(raw.lstrip())
            sentences.append(Sentence(raw.strip(), chunk_tokens, start + lead))
        start = cut
    return tuple(sentences)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents, apostrophes unified: for comparing words."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def paragraph(index: int, kind: str, text: str) -> TextParagraph:
    text = (
        " ".join(line.strip() for line in text.split("\n") if line.strip())
        if kind != "item"
        else text
    )
    return TextParagraph(index, kind, text, split_sentences(text))


# Blocks whose text is not prose: the contacts table (directory data), the signature.
_SKIPPED_PARAGRAPH_CLASSES = {"signature"}


def from_html(subject: str, body_html: str) -> LetterText:
    """A rendered letter (subject + body in the letter subset) → its checked text."""
    return from_paragraphs(prose(subject, parse_body(body_html)))


def prose(subject: str, blocks: tuple[Block, ...]) -> list[tuple[str, str]]:
    """(kind, text) of what the FALC rules read, in reading order: the subject, headings,
    paragraphs and list items (not the contacts table, the QR code or the signature)."""
    texts: list[tuple[str, str]] = []
    if subject.strip():
        texts.append(("subject", subject))

    def walk(blocks: tuple[Block, ...], in_item: bool = False) -> None:
        for block in blocks:
            if isinstance(block, Paragraph):
                if set(block.css.split()) & _SKIPPED_PARAGRAPH_CLASSES:
                    continue
                kind = (
                    "heading"
                    if block.style in {"h2", "h3"}
                    else ("item" if in_item else "paragraph")
                )
                texts.append((kind, block.text))
            elif isinstance(block, ListBlock):
                for item in block.items:
                    walk(item, in_item=True)
            elif isinstance(block, Box):
                walk(block.blocks, in_item)
            elif isinstance(block, (Table, Image)):
                continue

    walk(blocks)
    return texts


def from_paragraphs(texts: Iterable[tuple[str, str]]) -> LetterText:
    """(kind, text) pairs in reading order → the checked text."""
    paragraphs = []
    for kind, text in texts:
        if text.strip():
            paragraphs.append(paragraph(len(paragraphs), kind, text.replace("\u00ad", "")))
    return LetterText(paragraphs)


# -- syllables ------------------------------------------------------------------------
VOWELS = "aeiouyàâäéèêëîïôöûùüÿœæ"
_VOWEL_GROUP = re.compile(f"[{VOWELS}]+")
# Vowel pairs read as two syllables (hiatus) when they meet inside a group.
_HIATUS = re.compile(
    r"(?<=[bcdfgkptv][rl])i(?=[éèeaou])|é(?=[aiouéè])|é(?=e(?!s?$))|[aeo](?=ï)|ou(?=é|e[rz]$)|(?<=[^aeioq])u(?=é|e[rz]$)"
)


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Spoken syllables of a French word, by rule (mute final e, y between vowels, hiatus).

    Rule-based, as in readability tools for French: close to a dictionary count
    on common words (see the tests), never below 1.
    """
    w = fold(ELISION.sub("", word)).replace("'", "")
    w = unicodedata.normalize("NFC", w)
    if not w:
        return 0
    # accents were folded: restore the one distinction the rules need (é vs e)
    original = ELISION.sub("", word).lower()
    if len(original) == len(w):
        w = "".join("é" if o in "éè" and c == "e" else c for o, c in zip(original, w, strict=True))
    parts = [p for p in re.split(r"-", w) if p]
    return sum(_syllables_simple(p) for p in parts) or 1


def _syllables_simple(w: str) -> int:
    # "qu" and "gu" before a vowel: the u is silent
    w = re.sub(r"(?<=[qg])u(?=[aeiouyé])", "", w)
    # y between vowels is a consonant plus a vowel: pa-yer, lo-yer, cra-yon
    w = re.sub(r"(?<=[aeiou])y(?=[aeioué])", "ij", w)
    count = len(_VOWEL_GROUP.findall(w)) + len(_HIATUS.findall(w))
    # mute final e: "dette", "dettes", "ils parlent" is ambiguous, "-ent" kept
    if (
        count > 1
        and re.search(r"[^aeiouyé]e?e(s)?$", w)
        and not w.endswith("ée")
        and not w.endswith("ées")
    ):
        count -= 1
    return max(count, 1)
