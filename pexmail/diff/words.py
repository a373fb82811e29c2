"""A French-aware, word-level diff of two letters' text.

The text is cut into the units a reader sees: words (« Seine-Saint-Denis »,
« aujourd'hui » whole; an elided « l' » or « qu' » apart from its word),
amounts and phone numbers held together by their no-break spaces
(« 1 850,40 € », « 01 82 52 40 00 »), web and mail addresses whole, and each
punctuation mark. Spaces are kept to print the text back but never compared:
a plain space turned into a no-break one is not a change of wording (the page
images still show it if it moves a line).

Paragraphs are compared as one sequence, so a paragraph moved or split shows
as such; rows of the result follow the new text's paragraphs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

PARAGRAPH = "\n"
PILCROW = "¶"

_ELISION = r"(?:jusqu|lorsqu|puisqu|quoiqu|presqu|qu|[cdjlmnst])['’](?=[^\W\d_])"
_ADDRESS = (
    r"(?:https?://|www\.)[^\s<>«»]*[^\s<>«».,;:!?)\]]"  # web address, without a final stop
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # mail address
    r"|[^\W_][\w-]*(?:\.[\w-]+)+/[^\s<>«»]*[^\s<>«».,;:!?)\]]"  # host/path, no scheme
    r"|[^\W\d_][\w-]*\.(?:fr|com|org|gouv\.fr|net|eu)\b"  # bare host name
)
_NUMBER = r"\d+(?:[\u00a0\u202f]\d+)*(?:[,.]\d+)?(?:er|ème|e)?\b"
_WORD = r"[^\W\d_][\w°]*(?:[-'’][\w°]+)*(?:\.\d+)*"  # « v1.0 » is one word
_TOKEN = re.compile(
    rf"(?P<paragraph>\n)|(?P<space>[^\S\n]+)|(?P<elision>{_ELISION})|(?P<address>{_ADDRESS})"
    rf"|(?P<number>{_NUMBER})|(?P<word>{_WORD})|(?P<mark>\S)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Token:
    text: str
    kind: str  # paragraph, elision, address, number, word, mark
    space: str = ""  # the spaces that follow it in the text

    @property
    def is_word(self) -> bool:
        return self.kind in {"word", "number", "address"}


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text``; lines are paragraphs, each ended by a paragraph token."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "mark"
        if kind == "space":
            if tokens and tokens[-1].kind != "paragraph":
                last = tokens[-1]
                tokens[-1] = Token(last.text, last.kind, last.space + match.group())
            continue
        tokens.append(Token(match.group(), kind))
    return tokens


def words(text: str) -> list[str]:
    """The words of ``text`` as a reader counts them (« l'organisme » is one word)."""
    return [t.text for t in tokenize(text) if t.is_word]


class Op(Enum):
    EQUAL = "equal"
    DELETE = "delete"
    INSERT = "insert"


@dataclass(frozen=True)
class Piece:
    op: Op
    text: str


@dataclass(frozen=True)
class Row:
    """One paragraph of the compared text, with its deletions and insertions inline."""

    pieces: tuple[Piece, ...]

    @property
    def changed(self) -> bool:
        return any(p.op is not Op.EQUAL for p in self.pieces)

    @property
    def op(self) -> Op:
        """DELETE or INSERT for a paragraph wholly removed or added, else EQUAL."""
        ops = {p.op for p in self.pieces if p.text.strip()}
        return ops.pop() if len(ops) == 1 else Op.EQUAL

    def text(self, op: Op | None = None) -> str:
        return "".join(p.text for p in self.pieces if op is None or p.op in (Op.EQUAL, op))


@dataclass(frozen=True)
class TextDiff:
    rows: tuple[Row, ...]
    inserted_words: int
    deleted_words: int

    @property
    def changed(self) -> bool:
        return any(row.changed for row in self.rows)

    @property
    def changed_rows(self) -> list[Row]:
        return [row for row in self.rows if row.changed]

    def signature(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """What changed, comparable between households (same change → same signature)."""
        return tuple(
            tuple((p.op.value, p.text) for p in row.pieces if p.op is not Op.EQUAL)
            for row in self.changed_rows
        )


def diff_text(before: str, after: str) -> TextDiff:
    """Compare two texts (one paragraph per line): paragraphs first, then words.

    Paragraphs equal, removed or added whole are rows of their own (a moved
    paragraph is one removed and one added); the words of the others are compared.
    """
    a, b = _paragraphs(before), _paragraphs(after)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, False).get_opcodes():
        if tag == "equal":
            rows += [Row((Piece(Op.EQUAL, line),)) for line in b[j1:j2]]
        elif tag == "delete":
            rows += [Row((Piece(Op.DELETE, line),)) for line in a[i1:i2]]
        elif tag == "insert":
            rows += [Row((Piece(Op.INSERT, line),)) for line in b[j1:j2]]
        elif i2 - i1 == j2 - j1:
            for old, new in zip(a[i1:i2], b[j1:j2], strict=True):
                rows += _word_rows([old], [new])
        else:
            rows += _word_rows(a[i1:i2], b[j1:j2])
    counts = {Op.DELETE: 0, Op.INSERT: 0}
    for row in rows:
        for piece in row.pieces:
            if piece.op in counts:
                counts[piece.op] += len(words(piece.text))
    return TextDiff(tuple(rows), counts[Op.INSERT], counts[Op.DELETE])


def _paragraphs(text: str) -> list[str]:
    """Lines with runs of plain spaces made one; no-break spaces are kept."""
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def _word_rows(before: Sequence[str], after: Sequence[str]) -> list[Row]:
    a = tokenize("".join(line + PARAGRAPH for line in before))
    b = tokenize("".join(line + PARAGRAPH for line in after))
    matcher = difflib.SequenceMatcher(None, [t.text for t in a], [t.text for t in b], False)
    builder = _RowBuilder()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            builder.add(Op.EQUAL, b[j1:j2])
            continue
        if tag in ("delete", "replace"):
            builder.add(Op.DELETE, a[i1:i2])
        if tag in ("insert", "replace"):
            builder.add(Op.INSERT, b[j1:j2])
    return builder.finish()


_CLOSING = frozenset(".,;:!?…)]»")  # marks written against the word before them


class _RowBuilder:
    """Rows follow the new text's paragraphs; a paragraph wholly removed keeps its own row."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.pieces: list[Piece] = []

    def add(self, op: Op, tokens: Sequence[Token]) -> None:
        if (
            op is Op.DELETE
            and tokens
            and tokens[0].kind != "paragraph"
            and tokens[0].text not in _CLOSING
            and self.pieces
            and self.pieces[-1].op is Op.EQUAL
            and not self.pieces[-1].text[-1:].isspace()
        ):
            # the new text has no space here (« calcul. »); the removed words had one
            self._piece(Op.EQUAL, " ")
        for token in tokens:
            if token.kind != "paragraph":
                self._piece(op, token.text + token.space)
                continue
            whole = all(p.op is op for p in self.pieces if p.text.strip())
            if op is Op.EQUAL or op is Op.INSERT or whole:
                # the new text has a paragraph end here (or a whole paragraph went away)
                if op is not Op.EQUAL and not whole:
                    self._piece(op, PILCROW)
                self._end_row()
            else:  # two paragraphs joined: mark where the end was, stay on the row
                self._piece(op, PILCROW + " ")

    def _piece(self, op: Op, text: str) -> None:
        if self.pieces and self.pieces[-1].op is op:
            self.pieces[-1] = Piece(op, self.pieces[-1].text + text)
        else:
            self.pieces.append(Piece(op, text))

    def _end_row(self) -> None:
        if self.pieces:
            last = self.pieces[-1]
            self.pieces[-1] = Piece(last.op, last.text.rstrip(" "))
            self.rows.append(Row(tuple(p for p in self.pieces if p.text)))
        self.pieces = []

    def finish(self) -> list[Row]:
        self._end_row()
        return self.rows


def excerpt(row: Row, context: int = 6, width: int = 160) -> list[Piece]:
    """The changes of a row with ``context`` words around each, the rest elided by « … »."""
    out: list[Piece] = []
    count = len(row.pieces)
    for index, piece in enumerate(row.pieces):
        if piece.op is not Op.EQUAL:
            out.append(piece)
            continue
        tokens = piece.text.split(" ")
        first, last = index == 0, index == count - 1
        if len(tokens) <= 2 * context or (first and last):
            kept = piece.text if not (first and last) else _clip(piece.text, width)
        elif first:
            kept = "… " + " ".join(tokens[-context:])
        elif last:
            kept = " ".join(tokens[:context]) + " …"
        else:
            kept = " ".join(tokens[:context]) + " … " + " ".join(tokens[-context:])
        out.append(Piece(Op.EQUAL, kept))
    return out


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
