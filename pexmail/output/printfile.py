"""Print files for the mail room: letters of one type in order, in parts of bounded size.

A batch of 100,000 letters cannot be merged into one PDF in memory. Letters are
assigned to print files as their results come in (``print/<letter id>-001.pdf``,
``-002``…, ``print/mailings-001.pdf`` for combined mailings), at most
``letters_per_file`` per part; a full part is merged at once (in a worker when
the batch has a pool), so memory holds one part at most per merge. The index
(``print/index.csv``) gives each letter's part and first page, so the mail room
can find one letter in a 2,000-page file. With ``duplex``, a letter with an odd
page count is followed by a blank page: printed on both sides, no letter starts
on the back of another household's page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter

from pexmail.output.files import safe_name, write_atomic

INDEX_COLUMNS = (
    "print_file",
    "position",
    "start_page",
    "pages",
    "blank_page_after",
    "household_key",
    "letters",
    "document",
)

# submit(paths, target, blank_after) → pages, or a Future of them.
MergeSubmit = Callable[[list[str], str, list[bool]], "int | Future[int]"]


def _write(writer: PdfWriter, target: Path, durable: bool = True) -> None:
    writer.add_metadata({"/Title": f"pexmail — {target.stem}", "/Producer": "pexmail"})
    buffer = io.BytesIO()
    writer.write(buffer)
    write_atomic(target, buffer.getvalue(), durable=durable)


def merge_pdfs(paths: Iterable[Path], target: Path, *, durable: bool = True) -> int:
    """Concatenate ``paths`` into ``target``; return the number of pages."""
    writer = PdfWriter()
    pages = 0
    for path in paths:
        reader = PdfReader(path)
        for page in reader.pages:
            writer.add_page(page)
            pages += 1
    _write(writer, target, durable)
    return pages


def merge_part(paths: Sequence[Path], target: Path, blank_after: Sequence[bool]) -> int:
    """One print file: ``paths`` in order, a blank page after those flagged; returns pages."""
    writer = PdfWriter()
    pages = 0
    for path, blank in zip(paths, blank_after, strict=True):
        reader = PdfReader(path)
        last = None
        for page in reader.pages:
            last = writer.add_page(page)
            pages += 1
        if blank and last is not None:
            box = last.mediabox
            writer.add_blank_page(width=box.width, height=box.height)
            pages += 1
    _write(writer, target)
    return pages


@dataclass
class _Part:
    group: str
    number: int
    paths: list[str] = field(default_factory=list)
    blanks: list[bool] = field(default_factory=list)
    pages: int = 0  # blank pages included
    documents: int = 0

    @property
    def relative(self) -> str:
        return f"print/{safe_name(self.group)}-{self.number:03d}.pdf"


@dataclass
class _Merged:
    part: _Part
    result: int | Future[int]


class PrintFiles:
    """Assigns letters to print-file parts as they come, merges each part once full."""

    def __init__(
        self,
        out_dir: Path,
        submit: MergeSubmit,
        index: Any,  # a CsvStream with INDEX_COLUMNS (or one that writes nowhere)
        letters_per_file: int = 500,
        duplex: bool = False,
    ) -> None:
        if letters_per_file < 1:
            raise ValueError("letters_per_file must be at least 1")
        self.out_dir = out_dir
        self.submit = submit
        self.index = index
        self.letters_per_file = letters_per_file
        self.duplex = duplex
        self.open: dict[str, _Part] = {}
        self.merged: list[_Merged] = []

    def add(self, group: str, path: str, pages: int, household_key: str, letters: str) -> None:
        """One letter (or combined mailing) of ``pages`` pages goes into ``group``'s print file."""
        part = self.open.get(group)
        if part is None:
            numbers = sum(1 for m in self.merged if m.part.group == group)
            part = self.open[group] = _Part(group, numbers + 1)
        blank = self.duplex and pages % 2 == 1
        part.documents += 1
        self.index.write(
            (
                part.relative,
                part.documents,
                part.pages + 1,
                pages,
                "yes" if blank else "no",
                household_key,
                letters,
                path,
            )
        )
        part.paths.append(str(self.out_dir / path))
        part.blanks.append(blank)
        part.pages += pages + (1 if blank else 0)
        if part.documents >= self.letters_per_file:
            self._merge(self.open.pop(group))

    def _merge(self, part: _Part) -> None:
        target = str(self.out_dir / part.relative)
        self.merged.append(_Merged(part, self.submit(part.paths, target, part.blanks)))
        part.paths, part.blanks = [], []  # the parent keeps figures, not paths

    def finish(self) -> list[dict[str, Any]]:
        """Merge the parts still open; wait for every merge; the summary's entries."""
        for group in list(self.open):
            self._merge(self.open.pop(group))
        entries = []
        for merged in self.merged:
            part = merged.part
            pages = merged.result if isinstance(merged.result, int) else merged.result.result()
            if pages != part.pages:  # page-exact or nothing: the index would lie
                raise RuntimeError(f"{part.relative}: {pages} pages written, {part.pages} expected")
            mailings = part.group == "mailings"
            entries.append(
                {
                    "kind": "mailings" if mailings else "letter",
                    "letter_id": None if mailings else part.group,
                    "path": part.relative,
                    "part": part.number,
                    "mailings" if mailings else "letters": part.documents,
                    "pages": pages,
                }
            )
        entries.sort(key=lambda e: e["path"])
        return entries
