"""Bytes of a partner's file → a stream of text, decoded as its office wrote it.

The encoding is read from a BOM, else the first 64 KiB are tried as UTF-8,
else Windows-1252 (what French Excel writes). Bytes that do not decode are
kept as lone surrogates (``surrogateescape``), so that the reader can reject
exactly the row and column that hold them instead of failing the file or
printing mojibake in a letter.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import TextIO

SAMPLE_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(head: bytes) -> tuple[str, bool]:
    """The encoding of a file from its first bytes, and whether that is certain.

    A BOM is certain; so is a sample with non-ASCII bytes, which is either valid
    UTF-8 or (as French Excel writes) Windows-1252. A pure-ASCII sample proves
    nothing: the caller may then prefer what the partner's source declares.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, True
    if head.isascii():
        return "utf-8", False
    # A character cut at 64 KiB is not an error; bytes invalid in UTF-8 become surrogates.
    text = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape").decode(head, final=False)
    invalid = sum(1 for c in text if 0xDC80 <= ord(c) <= 0xDCFF)
    valid = sum(1 for c in text if ord(c) > 127) - invalid
    # Well-formed multi-byte characters mean UTF-8 (Windows-1252 text almost never
    # forms one), unless invalid bytes outnumber them: a Windows-1252 file holding
    # a few rows pasted from a UTF-8 export. Either way the minority rows are
    # rejected row by row (invalid bytes, or « Ã© » mojibake), the header is read right.
    return ("utf-8" if valid >= invalid else "cp1252"), True


def read_head(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(SAMPLE_BYTES)


def _undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Like ``surrogateescape``, for every codec: UTF-16 has no byte-wise escape, so a lone
    surrogate or a file cut in the middle of a character would otherwise stop the file."""
    if isinstance(exc, UnicodeDecodeError):
        return "\udcff" * max(1, exc.end - exc.start), exc.end
    raise exc


UNDECODABLE = "pexmail-undecodable"
codecs.register_error(UNDECODABLE, _undecodable)


def open_text(path: Path, encoding: str) -> TextIO:
    """Open ``path`` for the csv module (``newline=''``), undecodable bytes kept as surrogates
    (U+DC80-U+DCFF), which the reader rejects with their row and column."""
    errors = "surrogateescape" if codecs.lookup(encoding).name != "utf-16" else UNDECODABLE
    return path.open("r", encoding=encoding, errors=errors, newline="")


def sniff_delimiter(header_line: str) -> str:
    """The separator used most often in the header line, outside quotes.

    ``csv.Sniffer`` guesses from several lines and fails on one-column files;
    the header alone is enough, and a file whose header has no separator at
    all is read as one column (the source match then says what is missing).
    """
    counts = dict.fromkeys(";,\t|", 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ","
