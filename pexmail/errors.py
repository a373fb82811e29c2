"""Exceptions pexmail raises, and the exit codes the shells map them to.

Exceptions carry data (a location, what was expected); the CLI and the service
decide how to show them. Messages name files, rows, columns and YAML lines,
never the content of a case field: case files hold personal data.

Exit codes, documented in the README and in ``pexmail --help``:

* 0: the run completed (rows may have been rejected: see the summary);
* 1: pexmail could not work (bad catalogue, unreadable or unrecognised file);
* 2: usage error (unknown option, bad argument), as click reports it;
* 3: ``--strict`` was given and a row was rejected or a document refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "EXIT_CANNOT_WORK",
    "EXIT_OK",
    "EXIT_STRICT",
    "EXIT_USAGE",
    "CatalogError",
    "CatalogProblem",
    "InputFileError",
    "PexmailError",
    "RenderError",
    "TemplateBudgetError",
    "TemplateError",
]

EXIT_OK = 0
EXIT_CANNOT_WORK = 1
EXIT_USAGE = 2
EXIT_STRICT = 3


class PexmailError(Exception):
    """Base class: something stops pexmail from doing what it was asked."""

    exit_code: ClassVar[int] = EXIT_CANNOT_WORK

    def format_message(self) -> str:
        return str(self)


@dataclass(frozen=True, slots=True)
class CatalogProblem:
    """One problem found in the catalogue (or a file it names)."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class CatalogError(PexmailError):
    """The catalogue cannot be used; every problem found is listed."""

    def __init__(self, problems: Sequence[CatalogProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.format_message())

    def format_message(self) -> str:
        count = len(self.problems)
        head = f"the catalogue has {count} problem{'s' if count > 1 else ''}:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class InputFileError(PexmailError):
    """A case file cannot be read or recognised at all (not a single bad row)."""

    def __init__(self, *, file: str, message: str, hint: str | None = None) -> None:
        self.file = file
        self.message = message
        self.hint = hint
        super().__init__(self.format_message())

    def format_message(self) -> str:
        text = f"{self.file}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class TemplateError(PexmailError):
    """A template cannot be compiled or rendered; names the template and line."""

    def __init__(self, *, template: str, line: int | None, message: str) -> None:
        self.template = template
        self.line = line
        self.message = message
        super().__init__(self.format_message())

    def format_message(self) -> str:
        where = f"{self.template}:{self.line}" if self.line else self.template
        return f"{where}: {self.message}"


class TemplateBudgetError(TemplateError):
    """A template ran past its time or size budget: it loops, or builds a huge text."""


class RenderError(PexmailError):
    """A document could not be produced (engine failure, forbidden resource...)."""

    def __init__(self, *, letter_id: str, message: str) -> None:
        self.letter_id = letter_id
        self.message = message
        super().__init__(self.format_message())

    def format_message(self) -> str:
        return f"letter {self.letter_id}: {self.message}"
