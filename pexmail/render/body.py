"""A letter's rendered HTML body → a small tree of blocks every engine can lay out.

The letter text is written once, in HTML; WeasyPrint prints that HTML, and the
DOCX (and any other) engine prints these blocks. The subset is small on
purpose: what it does not list is an error, found by ``pexmail catalog --check``.

===========  =====================================================
element      meaning
===========  =====================================================
h2, h3       headings inside the letter
p            paragraph (``class``: ``key`` = a fact to notice)
strong, em   bold, italic runs
br           line break inside a paragraph
ul, ol, li   lists (items hold text or paragraphs)
div          box (``class``: ``box``, ``contacts``, ``qr``, ``steps``, ``closing``)
table …      the contacts table: table, thead, tbody, tr, th, td
img          only ``src="qr:<target>"`` with an ``alt``
span         ``class="nowrap"`` keeps words together
===========  =====================================================
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

INLINE = {"strong", "b", "em", "span", "br"}
BLOCK = {
    "p",
    "h2",
    "h3",
    "ul",
    "ol",
    "li",
    "div",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
}
CLASSES = {
    "p": {"key", "small", "signature", "lead"},
    "div": {"box", "contacts", "qr", "steps", "key", "closing"},
    "span": {"nowrap"},
    "table": {"contacts"},
    "img": {"qr"},
}
ATTRIBUTES = {"class", "src", "alt", "colspan"}


_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_KNOWN = INLINE | BLOCK
_ALLOWED_PARENTS = {
    "li": {"ul", "ol"},
    "thead": {"table"},
    "tbody": {"table"},
    "tr": {"table", "thead", "tbody"},
    "td": {"tr"},
    "th": {"tr"},
}


class BodyError(ValueError):
    """The body uses HTML outside the letter subset."""


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    nowrap: bool = False


@dataclass(frozen=True)
class LineBreak:
    pass


Inline = Run | LineBreak


@dataclass(frozen=True)
class Paragraph:
    style: str  # "p", "h2", "h3"
    runs: tuple[Inline, ...]
    css: str = ""

    @property
    def text(self) -> str:
        return "".join(r.text if isinstance(r, Run) else "\n" for r in self.runs)


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    items: tuple[tuple[Block, ...], ...]


@dataclass(frozen=True)
class Cell:
    blocks: tuple[Block, ...]
    header: bool = False


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[Cell, ...], ...]
    css: str = ""


@dataclass(frozen=True)
class Image:
    src: str
    alt: str


@dataclass(frozen=True)
class Box:
    css: str
    blocks: tuple[Block, ...]


Block = Paragraph | ListBlock | Table | Image | Box


@dataclass
class _Container:
    tag: str
    css: str = ""
    blocks: list = field(default_factory=list)
    runs: list = field(default_factory=list)  # pending inline content
    rows: list = field(default_factory=list)  # for tables
    cells: list = field(default_factory=list)  # for tr
    items: list = field(default_factory=list)  # for lists


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Container] = [_Container("root")]
        self.format: list[str] = []
        self.source: str | None = None  # set by the quick tokenizer, for line numbers
        self.offset = 0

    # -- helpers -----------------------------------------------------------
    @property
    def top(self) -> _Container:
        return self.stack[-1]

    def flush_runs(self, container: _Container) -> None:
        runs = _trim(container.runs)
        container.runs = []
        if runs:
            container.blocks.append(Paragraph("p", tuple(runs)))

    def error(self, message: str) -> BodyError:
        if self.source is not None:  # fed by the quick tokenizer
            line = self.source.count("\n", 0, self.offset) + 1
        else:
            line, _ = self.getpos()
        return BodyError(f"line {line} of the rendered body: {message}")

    # -- parser callbacks --------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in _KNOWN:
            raise self.error(f"<{tag}> is not part of the letter subset")
        for name in attributes:
            if name not in ATTRIBUTES:
                raise self.error(f"attribute {name!r} on <{tag}> is not allowed")
        css = (attributes.get("class") or "").strip()
        for word in css.split():
            if word not in CLASSES.get(tag, set()):
                raise self.error(f"class {word!r} is not allowed on <{tag}>")
        if tag in {"strong", "b", "em", "span"}:
            self.format.append("nowrap" if tag == "span" else ("italic" if tag == "em" else "bold"))
            return
        if tag == "br":
            self.top.runs.append(LineBreak())
            return
        if tag == "img":
            src = attributes.get("src") or ""
            if not src.startswith("qr:"):
                raise self.error('<img> may only show a QR code (src="qr:<target>")')
            if not attributes.get("alt"):
                raise self.error("<img> needs an alt text (read aloud by screen readers)")
            self.flush_runs(self.top)
            self.top.blocks.append(Image(src, attributes["alt"] or ""))
            return
        parent = self.top
        if tag in _ALLOWED_PARENTS and parent.tag not in _ALLOWED_PARENTS[tag]:
            raise self.error(f"<{tag}> must be inside {' or '.join(sorted(_ALLOWED_PARENTS[tag]))}")
        if tag in {"p", "h2", "h3"} and parent.tag in {"p", "h2", "h3"}:
            raise self.error(f"<{tag}> cannot be inside <{parent.tag}>")
        if parent.tag in {"table", "thead", "tbody", "tr", "ul", "ol"} and tag not in {
            "thead",
            "tbody",
            "tr",
            "td",
            "th",
            "li",
        }:
            raise self.error(f"<{tag}> cannot be directly inside <{parent.tag}>")
        self.flush_runs(parent)
        self.stack.append(_Container(tag, css))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in {"strong", "b", "em", "span"}:
            self.format.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in {"strong", "b", "em", "span"}:
            if not self.format:
                raise self.error(f"</{tag}> closes nothing")
            self.format.pop()
            return
        if tag in {"br", "img"}:
            return
        if self.top.tag != tag:
            raise self.error(f"</{tag}> does not close <{self.top.tag}>")
        node = self.stack.pop()
        parent = self.top
        if tag in {"p", "h2", "h3"}:
            runs = _trim(node.runs)
            if runs:
                parent.blocks.append(Paragraph(tag, tuple(runs), node.css))
        elif tag in {"ul", "ol"}:
            parent.blocks.append(ListBlock(tag == "ol", tuple(node.items)))
        elif tag == "li":
            self.flush_runs(node)
            parent.items.append(tuple(node.blocks))
        elif tag in {"td", "th"}:
            self.flush_runs(node)
            parent.cells.append(Cell(tuple(node.blocks), header=tag == "th"))
        elif tag == "tr":
            parent.rows.append(tuple(node.cells))
        elif tag in {"thead", "tbody"}:
            parent.rows.extend(node.rows)
        elif tag == "table":
            parent.blocks.append(Table(tuple(node.rows), node.css))
        elif tag == "div":
            self.flush_runs(node)
            parent.blocks.append(Box(node.css, tuple(node.blocks)))

    def handle_data(self, data: str) -> None:
        if (
            not data.strip()
            and self.top.tag
            in {"root", "div", "ul", "ol", "table", "thead", "tbody", "tr", "li", "td", "th"}
            and not self.top.runs
        ):
            return  # indentation between blocks
        if self.top.tag in {"ul", "ol", "table", "thead", "tbody", "tr"}:
            if data.strip():
                raise self.error(f"text cannot be directly inside <{self.top.tag}>")
            return
        # Collapse HTML whitespace only: a no-break space (amounts, « ») must survive.
        text = " ".join(w for w in _HTML_SPACE.split(data) if w)
        if _HTML_SPACE.match(data[:1]):
            text = " " + text
        if data[-1:] and _HTML_SPACE.match(data[-1]) and text.strip(" "):
            text += " "
        if not text:
            return
        self.top.runs.append(
            Run(
                text,
                bold="bold" in self.format,
                italic="italic" in self.format,
                nowrap="nowrap" in self.format,
            )
        )

    def handle_comment(self, data: str) -> None:
        return None

    def close(self) -> None:
        super().close()
        if len(self.stack) != 1:
            raise self.error(f"<{self.top.tag}> is never closed")
        self.flush_runs(self.top)


def _trim(runs: list[Inline]) -> list[Inline]:
    """Drop leading/trailing spaces of a paragraph and merge neighbouring runs of one format."""
    merged: list[Inline] = []
    for run in runs:
        if (
            merged
            and isinstance(run, Run)
            and isinstance(merged[-1], Run)
            and (merged[-1].bold, merged[-1].italic, merged[-1].nowrap)
            == (run.bold, run.italic, run.nowrap)
        ):
            previous = merged[-1]
            merged[-1] = Run(previous.text + run.text, run.bold, run.italic, run.nowrap)
        else:
            merged.append(run)
    # collapse double spaces across run borders, then trim the ends
    cleaned: list[Inline] = []
    for run in merged:
        if isinstance(run, Run):
            text = run.text
            if cleaned and isinstance(cleaned[-1], Run) and cleaned[-1].text.endswith(" "):
                text = text.lstrip(" ")
            if cleaned and isinstance(cleaned[-1], LineBreak):
                text = text.lstrip(" ")
            if text:
                cleaned.append(Run(text, run.bold, run.italic, run.nowrap))
        else:
            if cleaned and isinstance(cleaned[-1], Run):
                last = cleaned[-1]
                cleaned[-1] = Run(last.text.rstrip(" "), last.bold, last.italic, last.nowrap)
            cleaned.append(run)
    while cleaned and isinstance(cleaned[0], Run) and not cleaned[0].text.strip(" "):
        cleaned.pop(0)
    if cleaned and isinstance(cleaned[0], Run):
        first = cleaned[0]
        cleaned[0] = Run(first.text.lstrip(" "), first.bold, first.italic, first.nowrap)
    if cleaned and isinstance(cleaned[-1], Run):
        last = cleaned[-1]
        cleaned[-1] = Run(last.text.rstrip(" "), last.bold, last.italic, last.nowrap)
    return [r for r in cleaned if not (isinstance(r, Run) and not r.text)]


def parse_body(html: str) -> tuple[Block, ...]:
    """Parse a rendered body; raise :class:`BodyError` on anything outside the subset.

    Letters of one type share most of their paragraphs, and a top-level block parses
    the same wherever it stands: each is parsed once per process (:func:`_parse_top_block`).
    A body that does not split cleanly, or a block with an error, is parsed whole, so
    that the error names its line in the body."""
    segments = _top_level_blocks(html)
    if segments is not None:
        try:
            return tuple(block for segment in segments for block in _parse_top_block(segment))
        except BodyError:
            pass
    return _parse_whole(html)


# Top-level elements that become blocks of their own (anything else is parsed whole).
_TOP_BLOCKS = {"p", "h2", "h3", "ul", "ol", "div", "table"}
_VOID = {"br", "img"}


def _top_level_blocks(html: str) -> list[str] | None:
    """The body's top-level elements, as source; None unless only whitespace and comments
    lie between them and every ``<`` opens a tag or a comment the quick tokenizer knows."""
    if "<" in _MARKUP.sub("", html):
        return None
    segments: list[str] = []
    depth = start = position = 0
    for match in _MARKUP.finditer(html):
        if depth == 0:
            gap = html[position : match.start()]
            if gap and not gap.isspace():
                return None
        tag = match.group(2)
        if tag is None:  # a comment
            if depth == 0:
                position = match.end()
            continue
        tag = tag.lower()
        if match.group(4) or tag in _VOID:
            if depth == 0:
                return None
            continue
        if match.group(1):
            depth -= 1
            if depth == 0:
                position = match.end()
                segments.append(html[start:position])
            elif depth < 0:
                return None
        else:
            if depth == 0:
                if tag not in _TOP_BLOCKS:
                    return None
                start = match.start()
            depth += 1
    tail = html[position:]
    if depth or (tail and not tail.isspace()):
        return None
    return segments


@functools.lru_cache(maxsize=4096)
def _parse_top_block(html: str) -> tuple[Block, ...]:
    # Blocks are frozen: one parsed block may be shared by many letters.
    return _parse_whole(html)


def _parse_whole(html: str) -> tuple[Block, ...]:
    builder = _Builder()
    if not _tokenize(builder, html):
        builder = _Builder()  # something the quick tokenizer does not know: the full parser
        builder.feed(html)
    builder.close()
    return tuple(builder.stack[0].blocks)


# Bodies are parsed for every DOCX (and Typst) letter; html.parser costs ~3 ms a letter.
# Letter bodies use plain tags, quoted attributes, text and comments only: one regular
# expression tokenises them and feeds the same callbacks. Anything else (declarations,
# processing instructions, a stray "<") goes to html.parser, whose results are the reference.
_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'))?)*)\s*(/?)>"
    r"|[^<]+",
    re.S,
)
_MARKUP = re.compile(_TOKEN.pattern.removesuffix(r"|[^<]+"), re.S)
_ATTRIBUTE = re.compile(r"\s+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'))?")


def _tokenize(builder: _Builder, html: str) -> bool:
    """Feed ``html`` to ``builder``'s callbacks; False if it needs html.parser (the builder
    may then have been fed in part: start again with a new one)."""
    tokens = []
    position = 0
    for match in _TOKEN.finditer(html):
        if match.start() != position:
            return False
        position = match.end()
        tokens.append(match)
    if position != len(html):
        return False
    builder.source = html
    for match in tokens:
        builder.offset = match.start()
        text = match.group(0)
        if text.startswith("<!--"):
            continue
        if not text.startswith("<"):
            builder.handle_data(unescape(text))
            continue
        closing, tag, attributes, self_closing = match.group(1, 2, 3, 4)
        tag = tag.lower()
        if closing:
            if attributes or self_closing:
                return False
            builder.handle_endtag(tag)
            continue
        attrs: list[tuple[str, str | None]] = []
        for attribute in _ATTRIBUTE.finditer(attributes):
            name, double, single = attribute.groups()
            value = double if double is not None else single
            attrs.append((name.lower(), None if value is None else unescape(value)))
        if self_closing:
            builder.handle_startendtag(tag, attrs)
        else:
            builder.handle_starttag(tag, attrs)
    builder.offset = len(html)
    return True


def leaf_blocks(blocks: tuple[Block, ...]) -> Iterator[Paragraph | Image]:
    """The paragraphs and images of the blocks, in reading order (inside lists, table cells
    and boxes too)."""
    for block in blocks:
        if isinstance(block, Paragraph | Image):
            yield block
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from leaf_blocks(item)
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    yield from leaf_blocks(cell.blocks)
        elif isinstance(block, Box):
            yield from leaf_blocks(block.blocks)


def plain_text(blocks: tuple[Block, ...]) -> str:
    """The text of the blocks, one paragraph per line (for checks and diffs)."""
    return "\n".join(
        block.text if isinstance(block, Paragraph) else f"[{block.alt}]"
        for block in leaf_blocks(blocks)
    )


# -- the subset, checked in the template sources ------------------------------------------

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    """Jinja code → spaces, keeping its line breaks so that line numbers stay right."""
    return "".join(c if c == "\n" else " " for c in match.group(0))


class _SourceChecker(HTMLParser):
    """Tags, attributes and classes outside the subset, with their line in the source."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, _ = self.getpos()
        if tag not in INLINE | BLOCK:
            self.problems.append((line, f"<{tag}> is not part of the letter subset"))
            return
        for name, value in attrs:
            if name not in ATTRIBUTES:
                self.problems.append((line, f"attribute {name!r} on <{tag}> is not allowed"))
            elif name == "class":
                for word in (value or "").split():
                    if word not in CLASSES.get(tag, set()):
                        self.problems.append((line, f"class {word!r} is not allowed on <{tag}>"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def check_template_source(source: str) -> list[tuple[int, str]]:
    """(line, problem) for each tag, attribute or class of a template outside the subset.

    The rendered body only tells a line of the rendered text; this names the line
    of the template a person edits. Jinja code is blanked first, so classes or
    sources computed by Jinja are checked when the body is parsed, not here.
    """
    checker = _SourceChecker()
    checker.feed(_JINJA.sub(_blank, source))
    checker.close()
    return checker.problems
