"""``--redact``: the reports of a run, made safe to send to support.

A batch's letters hold personal data by nature; its reports should not. With
``--redact``, every report of the output folder is rewritten in place, once the
run is over, so that it holds:

* no file name or path: input files become ``file-1``, ``file-2``… in the
  order given (a partner's file is often named after the household or the
  person who exported it); the catalogue is named by version and sha256 only;
* no case id, no household key (a key is a hash of name and address, which a
  guess could confirm): households become ``household-1``… within the report,
  mailings ``mailing-1``…;
* nothing read from a field, no document digest or path, and no free-text
  reason that could quote a value (reasons of suppressions are counted by code);
* no header that the catalogue does not know (an unknown header is counted).

What stays: row numbers, column names the catalogue knows, codes and reasons
pexmail writes itself (never a value), letter ids, versions, senders, counts,
pages and timings. The letters, the print files and the send ledger are not
touched: they are what the run is for, and the ledger keeps the full history
for ``pexmail ledger``.
"""

from __future__ import annotations

import copy
import csv
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pexmail.output.files import FILE_MODE
from pexmail.output.manifest import neutralise

REDACTED = "redacted"
_HOUSEHOLD_KEY = re.compile(r"\bh-[0-9a-f]{12}\b")


class Redactor:
    """Consistent replacements for one run's reports."""

    def __init__(self, files: Sequence[str]) -> None:
        self.files = {name: f"file-{i}" for i, name in enumerate(files, start=1)}
        # Longest first, so that a name that contains another is replaced whole.
        self._order = sorted(self.files, key=len, reverse=True)
        self.households: dict[str, str] = {}
        self.mailings: dict[str, str] = {}

    def file(self, name: str) -> str:
        return self.files.get(name, "file-?")

    def household(self, key: str) -> str:
        if key not in self.households:
            self.households[key] = f"household-{len(self.households) + 1}"
        return self.households[key]

    def mailing(self, mailing_id: str) -> str:
        if mailing_id not in self.mailings:
            self.mailings[mailing_id] = f"mailing-{len(self.mailings) + 1}"
        return self.mailings[mailing_id]

    def text(self, value: str) -> str:
        """A message pexmail wrote, with file names and household keys replaced."""
        for name in self._order:
            if name:
                value = value.replace(name, self.files[name])
        return _HOUSEHOLD_KEY.sub(lambda m: self.household(m.group(0)), value)


def redact_summary(summary: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """A copy of ``summary.json``'s content with nothing that could identify a household."""
    result = copy.deepcopy(summary)
    result["redacted"] = True
    catalog = result.get("catalog", {})
    if "path" in catalog:
        catalog["path"] = REDACTED
    ledger = result.get("ledger", {})
    if ledger.get("path"):
        ledger["path"] = REDACTED
    for entry in result.get("files", []):
        entry["file"] = redactor.file(entry["file"])
        ignored = entry.get("ignored_columns") or []
        entry["ignored_columns"] = len(ignored)
        entry["column_suggestions"] = [
            {"header": REDACTED, "expected": s["expected"], "field": s["field"]}
            for s in entry.get("column_suggestions", [])
        ]
        if entry.get("error"):
            entry["error"] = redactor.text(entry["error"])
    suppressions = result.get("suppressions", {})
    if "reasons" in suppressions:
        suppressions["reasons"] = {}
    return result


Row = dict[str, str]


def _rewrite_csv(path: Path, transform: Callable[[Row], list[str]], header: Sequence[str]) -> None:
    """Stream ``path`` through ``transform`` into a private temporary file, then replace it."""
    if not path.is_file():
        return
    temporary = path.with_name(f".{path.name}.redacting")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with (
            path.open(encoding="utf-8-sig", newline="") as source,
            os.fdopen(descriptor, "w", encoding="utf-8-sig", newline="") as target,
        ):
            # Columns are read by name: a report that gains a column loses nothing here,
            # and a column this module does not know is never copied.
            reader = csv.DictReader(source, delimiter=";", restval="")
            writer = csv.writer(target, delimiter=";", lineterminator="\r\n")
            writer.writerow(header)
            for row in reader:
                values = {k: _unneutralise(v or "") for k, v in row.items() if k is not None}
                writer.writerow([neutralise(v) for v in transform(values)])
            target.flush()
            os.fsync(target.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _unneutralise(value: str) -> str:
    # The writer prefixed formula-like cells with ' ; undo it so it is not doubled.
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def redact_outputs(out_dir: Path, summary: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """Rewrite the reports of ``out_dir`` redacted; returns the redacted summary."""
    from pexmail.output.manifest import write_summary

    redacted = redact_summary(summary, redactor)

    def manifest(row: Row) -> list[str]:
        return [
            redactor.household(row.get("household_key", "")),
            *(row.get(c, "") for c in ("letter_id", "version", "sender", "format", "pages")),
        ]

    def rejects(row: Row) -> list[str]:
        return [
            redactor.file(row.get("file", "")),
            row.get("row", ""),
            row.get("column", ""),
            row.get("code", ""),
            redactor.text(row.get("reason", "")),
        ]

    def mailings(row: Row) -> list[str]:
        return [
            redactor.mailing(row.get("mailing_id", "")),
            redactor.household(row.get("household_key", "")),
            row.get("letters", ""),
            row.get("pages", ""),
        ]

    def households(row: Row) -> list[str]:
        return [
            redactor.household(row.get("household_key", "")),
            redactor.text(row.get("rows", "")),
            *(row.get(c, "") for c in HOUSEHOLDS_REDACTED[2:-1]),
            redactor.text(row.get("notes", "")),
        ]

    def review(row: Row) -> list[str]:
        return [
            redactor.text(row.get("row", "")),
            redactor.text(row.get("other", "")),
            row.get("name_score", ""),
            row.get("street_score", ""),
            redactor.text(row.get("reason", "")),
        ]

    rewrites: Iterable[tuple[str, Callable[[Row], list[str]], Sequence[str]]] = (
        ("manifest.csv", manifest, MANIFEST_REDACTED),
        ("rejects.csv", rejects, ("file", "row", "column", "code", "reason")),
        ("mailings.csv", mailings, ("mailing", "household", "letters", "pages")),
        ("households.csv", households, HOUSEHOLDS_REDACTED),
        ("review.csv", review, ("row", "other", "name_score", "street_score", "reason")),
    )
    for name, transform, header in rewrites:
        _rewrite_csv(out_dir / name, transform, header)
    write_summary(out_dir / "summary.json", redacted)
    return redacted


MANIFEST_REDACTED = ("household", "letter_id", "version", "sender", "format", "pages")
HOUSEHOLDS_REDACTED = (
    "household",
    "rows",
    "rules",
    "name_scores",
    "street_scores",
    "known",
    "stage",
    "letters",
    "notes",
)
