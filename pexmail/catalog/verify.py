"""The freshness of the contact directories, and recording a new verification.

A verification is written into the directory file itself, by editing the
entry's ``verified_on`` / ``verified_by`` lines (found with the line numbers
``yamlsrc`` keeps): comments, order and formatting of the rest of the file stay
as the reviewers wrote them, so the change reads as a two-line diff.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from pexmail.catalog.contacts import (
    ContactEntry,
    DirectoryFile,
    Freshness,
    freshness,
)
from pexmail.catalog.load import Catalog
from pexmail.catalog.yamlsrc import YamlSyntaxError, load_located, read_located
from pexmail.errors import PexmailError


class VerifyError(PexmailError):
    """A verification cannot be recorded (unknown id, bad date, file not editable)."""


@dataclass(frozen=True)
class EntryStatus:
    entry: ContactEntry
    state: Freshness


@dataclass(frozen=True)
class DirectoryStatus:
    path: Path
    territory: str | None
    title: str
    entries: tuple[EntryStatus, ...]

    def count(self, state: Freshness) -> int:
        return sum(1 for e in self.entries if e.state is state)

    @property
    def needing_attention(self) -> list[EntryStatus]:
        return [e for e in self.entries if e.state is not Freshness.CURRENT]


def directory_status(catalog: Catalog, on: date) -> list[DirectoryStatus]:
    """Every directory with the freshness of each entry at ``on``."""
    policy = catalog.document.contacts
    return [
        DirectoryStatus(
            directory.path,
            directory.territory,
            directory.title,
            tuple(
                EntryStatus(
                    entry,
                    freshness(entry, on, policy.review_after_months, policy.max_age_months),
                )
                for entry in directory.entries
            ),
        )
        for directory in catalog.directories.directories
    ]


def record_verification(
    catalog: Catalog, entry_id: str, *, on: date, by: str | None = None, today: date | None = None
) -> Path:
    """Set ``verified_on`` (and ``verified_by``) of one entry in its directory file.

    Returns the file changed. Raises :class:`VerifyError` for an unknown id, a
    date in the future, or a file whose entry cannot be edited line by line."""
    if on > (today or date.today()):
        raise VerifyError(f"verification date {on.isoformat()} is in the future")
    if by is not None and ("\n" in by or len(by) > 120):
        raise VerifyError("--by must be one line of at most 120 characters")
    for directory in catalog.directories.directories:
        for index, entry in enumerate(directory.entries):
            if entry.id == entry_id:
                _edit(directory.path, index, on, by)
                return directory.path
    raise VerifyError(f"no contact entry with id {entry_id!r} in the catalogue's directories")


def _edit(path: Path, index: int, on: date, by: str | None) -> None:
    text = path.read_text(encoding="utf-8")
    located, _ = read_located(path)
    base = ("entries", index)
    entry = located.data["entries"][index]
    first = located.lines.get((*base, "id"))
    second = located.lines.get((*base, "kind"))
    if first is None or second is None or first == second:
        raise VerifyError(
            f"{path.name}: entry {index + 1} is not written one key per line; edit it by hand"
        )
    lines = text.splitlines(keepends=True)
    key_line = lines[second - 1]
    indent = key_line[: len(key_line) - len(key_line.lstrip(" "))]
    last = max(line for p, line in located.lines.items() if p[:2] == base)
    values = {"verified_on": on.isoformat()}
    if by is not None:
        values["verified_by"] = _quote(by)
    inserted = []
    for key, value in values.items():
        rendered = f"{indent}{key}: {value}\n"
        if key in entry:
            lines[located.lines[(*base, key)] - 1] = rendered
        else:
            inserted.append(rendered)
    if inserted and not lines[last - 1].endswith("\n"):
        lines[last - 1] += "\n"
    lines[last:last] = inserted
    new_text = "".join(lines)
    _check(path, new_text, entry["id"], on)
    _write_keeping_mode(path, new_text)


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _check(path: Path, text: str, entry_id: str, on: date) -> None:
    """The edited file must still be a valid directory, with the new date on that entry."""
    try:
        located, problems = load_located(text, str(path))
        parsed = DirectoryFile.model_validate(located.data)
    except (ValidationError, YamlSyntaxError) as exc:  # never leave a broken file behind
        raise VerifyError(
            f"{path.name}: the edit would break the file; nothing written ({exc})"
        ) from None
    entry = next((e for e in parsed.entries if e.id == entry_id), None)
    if problems or entry is None or entry.verified_on != on:
        raise VerifyError(f"{path.name}: the edit did not apply cleanly; nothing written")


def _write_keeping_mode(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
