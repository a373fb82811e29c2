"""``manifest.csv``, ``rejects.csv`` and ``summary.json``.

The CSV files are opened in spreadsheets: a cell starting with ``= + - @``
(or a tab or carriage return) would run as a formula, so such cells are
prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
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
    rows = (
        (
            d.household_key,
            " ".join(d.case_ids),
            d.letter_id,
            d.version,
            d.sender,
            d.format,
            "" if d.pages is None else d.pages,
            d.sha256,
            d.path,
        )
        for d in documents
    )
    write_atomic(path, _csv_bytes(MANIFEST_COLUMNS, rows))


def write_rejects(path: Path, rejections: Iterable[Rejection]) -> None:
    rows = (
        (r.location.file, r.location.row, problem.column or "", problem.code, problem.reason)
        for r in rejections
        for problem in r.problems
    )
    write_atomic(path, _csv_bytes(REJECT_COLUMNS, rows))


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    text = json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False, default=str)
    write_atomic(path, (text + "\n").encode("utf-8"))
