"""A file's header → the partner source it comes from, and where each field is.

Headers are compared folded (case, accents, spaces, hyphens); a file matches a
source when every column the source needs is present. When none matches, the
error names the closest source, the missing columns and the nearest headers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pexmail.catalog.schema import Source
from pexmail.errors import InputFileError
from pexmail.textfold import fold


@dataclass(frozen=True)
class ColumnMap:
    """Where each canonical field of a source sits in one file's rows."""

    source: Source
    positions: dict[str, int]  # canonical field → column index
    headers: tuple[str, ...]  # the file's header, as written
    ignored: tuple[str, ...]  # header names no field uses
    # Unused headers that look like a column the source knows but did not find:
    # (header as written, the expected name, field). A typo in an optional
    # column's name would otherwise drop that field from every row silently.
    suggestions: tuple[tuple[str, str, str], ...] = ()

    def header_of(self, field: str) -> str:
        return self.headers[self.positions[field]]


@dataclass(frozen=True)
class _Attempt:
    source: Source
    positions: dict[str, int]
    missing: list[tuple[str, list[str]]]  # field, accepted headers
    duplicated: list[str]


def _candidates(spec: str | list[str]) -> list[str]:
    return [spec] if isinstance(spec, str) else list(spec)


def _attempt(source: Source, folded: dict[str, list[int]]) -> _Attempt:
    positions: dict[str, int] = {}
    missing: list[tuple[str, list[str]]] = []
    duplicated: list[str] = []
    for field, spec in source.columns.items():
        names = _candidates(spec)
        found = [(name, folded[fold(name)]) for name in names if fold(name) in folded]
        if not found:
            if field not in source.optional:
                missing.append((field, names))
            continue
        name, indexes = found[0]
        if len(indexes) > 1:
            duplicated.append(name)
        positions[field] = indexes[0]
    return _Attempt(source, positions, missing, duplicated)


def match_source(
    header: Sequence[str], sources: Sequence[Source], display: str, forced: str | None = None
) -> ColumnMap:
    """Find the source of a file from its header; raise :class:`InputFileError` if none fits."""
    headers = tuple(h.strip() for h in header)
    folded: dict[str, list[int]] = {}
    for index, name in enumerate(headers):
        if name:
            folded.setdefault(fold(name), []).append(index)
    if forced is not None:
        chosen = [s for s in sources if s.id == forced]
        if not chosen:
            raise InputFileError(
                file=display,
                message=f"unknown source {forced!r}",
                hint="known sources: " + ", ".join(s.id for s in sources),
            )
        candidates = chosen
    else:
        candidates = list(sources)
    attempts = [_attempt(source, folded) for source in candidates]
    complete = [a for a in attempts if not a.missing]
    if complete:
        complete.sort(key=lambda a: len(a.positions), reverse=True)
        best = complete[0]
        rivals = [a for a in complete[1:] if len(a.positions) == len(best.positions)]
        if rivals:
            names = ", ".join(a.source.id for a in [best, *rivals])
            raise InputFileError(
                file=display,
                message=f"the header fits several sources equally well ({names})",
                hint="name the source with --source",
            )
        if best.duplicated:
            raise _duplicated(display, headers, folded, best)
        used = set(best.positions.values())
        ignored = tuple(h for i, h in enumerate(headers) if i not in used and h)
        suggestions = tuple(
            (header, *close)
            for header in ignored
            if (close := _closest_expected(header, _unfound(best.source, best.positions)))
        )
        return ColumnMap(best.source, best.positions, headers, ignored, suggestions)
    raise _no_match(display, headers, attempts)


_DATA_CELL = re.compile(
    r"^(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}.*|[+-]?\d[\d \u00a0.,]*\s*(€|eur)?|\d{5})$",
    re.IGNORECASE,
)


def _column_name(index: int) -> str:
    """Spreadsheet letters of a 0-based column index: 0 → A, 27 → AB."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _unfound(source: Source, positions: dict[str, int]) -> list[tuple[str, str]]:
    """(expected header, field) of every column of ``source`` the file does not hold."""
    return [
        (name, field)
        for field, spec in source.columns.items()
        if field not in positions
        for name in _candidates(spec)
    ]


def _closest_expected(header: str, expected: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The expected column a header most resembles (folded), if it is close enough."""
    by_folded = {fold(name): (name, field) for name, field in expected}
    close = difflib.get_close_matches(fold(header), list(by_folded), n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


def _duplicated(
    display: str, headers: tuple[str, ...], folded: dict[str, list[int]], attempt: _Attempt
) -> InputFileError:
    """Which columns repeat where, and which missing column each extra copy may have meant."""
    lines = []
    unfound = _unfound(attempt.source, attempt.positions)
    for name in attempt.duplicated:
        indexes = folded[fold(name)]
        where = ", ".join(f"{i + 1} ({_column_name(i)})" for i in indexes)
        line = f"    {name!r} is in columns {where}"
        close = _closest_expected(name, unfound)
        if close:
            line += f"; one of them may be meant as {close[0]!r} ({close[1]}), which is missing"
        lines.append(line)
    return InputFileError(
        file=display,
        message="column(s) appear more than once in the header:\n" + "\n".join(lines),
        hint="rename or remove the extra columns so that each field is read from one place",
    )


def _no_match(display: str, headers: tuple[str, ...], attempts: list[_Attempt]) -> InputFileError:
    if not any(headers):
        return InputFileError(file=display, message="the first line (the header) is empty")
    attempts.sort(
        key=lambda a: len(a.positions) / max(1, len(a.positions) + len(a.missing)), reverse=True
    )
    best = attempts[0]
    data_like = sum(1 for h in headers if _DATA_CELL.match(h.strip()))
    if data_like >= 2 and not best.positions:
        # Printing this "header" would print a household's row: say what it looks like.
        return InputFileError(
            file=display,
            message=f"the first line looks like a row of data ({data_like} cells are dates, "
            "amounts or postcodes), not a header: the file seems to have no header line",
            hint=f"add the header line of the partner's export (closest source: "
            f"{best.source.id!r}), or check that this is the right file",
        )
    lines = []
    present = [h for h in headers if h]
    for field, names in best.missing:
        # Compared folded, as matching is: « MONTANT DETTE » is close to « Montant de la dette ».
        by_folded = {fold(h): h for h in present}
        close_folded: list[str] = []
        for name in names:
            for match in difflib.get_close_matches(fold(name), list(by_folded), n=2, cutoff=0.6):
                if match not in close_folded:
                    close_folded.append(match)
        close = [by_folded[c] for c in close_folded[:2]]
        expected = " or ".join(repr(n) for n in names)
        suggestion = f" (closest header: {', '.join(repr(c) for c in close)})" if close else ""
        lines.append(f"    {field}: expected a column {expected}{suggestion}")
    found = len(best.positions)
    total = found + len(best.missing)
    message = (
        "the header does not match any source of the catalogue; closest is "
        f"{best.source.id!r} ({best.source.title}), {found} of {total} columns found; missing:\n"
        + "\n".join(lines)
        + "\n  header found: "
        + ", ".join(repr(h) for h in present)
    )
    return InputFileError(
        file=display,
        message=message,
        hint="rename the columns, add their names to the source in catalog.yaml, or pass --source",
    )
