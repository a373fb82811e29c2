"""``manifest.csv``, ``mailings.csv``, ``households.csv``, ``review.csv``, ``rejects.csv``, ``summary.json``.

The CSV files are opened in spreadsheets: a cell starting with ``= + - @``
(or a tab or carriage return) would run as a formula, so such cells are
prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pexmail.model import Document, Rejection
from pexmail.output.files import write_atomic

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

MANIFEST_COLUMNS = (
    "household_key",
    "case_ids",
    "letter_id",
    "version",
    "sender",
    "format",
    "pages",
    "sha256",
    "path",
    "contacts_to_review",
    "stale_contacts_allowed",
)
REJECT_COLUMNS = ("file", "row", "column", "code", "reason")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    # UTF-8 with BOM: what French Excel needs to show accents right.
    return buffer.getvalue().encode("utf-8-sig")


def write_manifest(path: Path, documents: Iterable[Document]) -> None:
    write_atomic(path, _csv_bytes(MANIFEST_COLUMNS, (document_row(d) for d in documents)))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    write_atomic(path, _csv_bytes(header, rows))


class CsvStream:
    """A CSV file written row by row (a batch may hold millions of rows), under a temporary
    name until :meth:`finish` puts it in place; with no path, rows are only counted."""

    def __init__(self, path: Path | None, header: Sequence[str]) -> None:
        self.path = path
        self.rows = 0
        self._stream = None
        self._writer = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._temporary = path.with_name(f".{path.name}.partial")
            self._stream = self._temporary.open("w", encoding="utf-8-sig", newline="")
            self._temporary.chmod(0o600)
            self._writer = csv.writer(self._stream, delimiter=";", lineterminator="\r\n")
            self._writer.writerow(header)

    def write(self, row: Sequence[object]) -> None:
        self.rows += 1
        if self._writer is not None:
            self._writer.writerow([neutralise(v) for v in row])

    def finish(self) -> None:
        if self._stream is not None and self.path is not None:
            self._stream.flush()
            os.fsync(self._stream.fileno())
            self._stream.close()
            self._temporary.replace(self.path)
            self._stream = None

    def abort(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._temporary.unlink(missing_ok=True)
            self._stream = None


class RejectsWriter(CsvStream):
    """``rejects.csv``: one line per problem of each rejected row."""

    def __init__(self, path: Path | None) -> None:
        super().__init__(path, REJECT_COLUMNS)
        self.rejected_rows = 0
        self.by_code: Counter[str] = Counter()

    def add(self, rejection: Rejection) -> None:
        self.rejected_rows += 1
        self.by_code.update(p.code for p in rejection.problems)
        for problem in rejection.problems:
            self.write(
                (
                    rejection.location.file,
                    rejection.location.row,
                    problem.column or "",
                    problem.code,
                    problem.reason,
                )
            )


def document_row(d: Document) -> tuple:
    return (
        d.household_key,
        " ".join(d.case_ids),
        d.letter_id,
        d.version,
        d.sender,
        d.format,
        "" if d.pages is None else d.pages,
        d.sha256,
        d.path,
        " ".join(d.contacts_to_review),
        " ".join(d.stale_contacts_allowed),
    )


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    text = json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False, default=str)
    write_atomic(path, (text + "\n").encode("utf-8"))
