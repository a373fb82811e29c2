"""What a tenant reads: the text of a rendered page, and its readability facts.

The page text is taken from the HTML the PDF engine lays out (layout around
the letter body), one paragraph per line: letterhead, address block, date,
subject, body, contacts table, QR caption. Reading it from the HTML rather
than from the PDF keeps paragraphs whole (a PDF only knows printed lines).

Readability facts are counted on the letter body alone (not its contacts
table): sentences, words, average and longest sentence. They are facts for a
reviewer, not a verdict; the FALC checker, when it lands, gives the verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from pexmail.diff.words import words
from pexmail.render.body import Block, Box, ListBlock, Paragraph, parse_body

_BREAKS = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "li",
    "tr",
    "td",
    "th",
    "table",
    "ul",
    "ol",
    "main",
    "section",
    "header",
    "footer",
    "br",
}
_SKIPPED = {"head", "style", "script", "title"}
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


class _PageText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BREAKS:
            self.flush()
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.flush()
                self.lines.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BREAKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(_HTML_SPACE.sub(" ", data))

    def flush(self) -> None:
        line = "".join(self.current).strip(" ")
        if line:
            self.lines.append(line)
        self.current = []


def page_text(html: str) -> str:
    """The page's text, one paragraph (or table cell) per line."""
    parser = _PageText()
    parser.feed(html)
    parser.close()
    parser.flush()
    return "\n".join(parser.lines)


# A sentence ends at . ! ? or … followed by a space and what may start a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\s\u00a0]+(?=[«\"(\d]|[^\W\d_])")


@dataclass(frozen=True)
class Readability:
    sentences: int
    words: int
    average: float  # words per sentence
    longest: int  # words in the longest sentence

    @classmethod
    def of(cls, sentences: list[str]) -> Readability:
        lengths = [len(words(s)) for s in sentences]
        lengths = [n for n in lengths if n]
        total = sum(lengths)
        return cls(
            sentences=len(lengths),
            words=total,
            average=round(total / len(lengths), 1) if lengths else 0.0,
            longest=max(lengths, default=0),
        )


def body_sentences(body_html: str) -> list[str]:
    """The sentences of a letter body: paragraphs and list items, not headings or tables."""
    sentences: list[str] = []

    def walk(blocks: tuple[Block, ...]) -> None:
        for block in blocks:
            if isinstance(block, Paragraph) and block.style == "p":
                sentences.extend(_SENTENCE_END.split(_HTML_SPACE.sub(" ", block.text).strip()))
            elif isinstance(block, ListBlock):
                for item in block.items:
                    walk(item)
            elif isinstance(block, Box):
                walk(block.blocks)

    walk(parse_body(body_html))
    # A salutation (« Madame, ») or a signature is not a sentence a reader must parse.
    return [s for s in sentences if len(s.split()) >= 3 or s.rstrip().endswith(_STOPS)]


_STOPS = (".", "!", "?", "…", ":")


def readability(body_html: str) -> Readability:
    return Readability.of(body_sentences(body_html))
