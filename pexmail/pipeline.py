"""One batch: case files → households → mailings → documents → output folder.

The only module that knows every step. Every row read ends in exactly one
outcome (rendered, suppressed or rejected), and ``summary.json`` proves the
totals add up. Nothing here prints or knows about click.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pexmail import __version__
from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Letter
from pexmail.chain.plan import plan_mailing
from pexmail.errors import InputFileError, PexmailError
from pexmail.households.match import group_cases
from pexmail.households.merge import merge_household
from pexmail.ingest.cases import FileInfo, FileStats, inspect_file, read_cases
from pexmail.log import LOGGER, PROGRESS
from pexmail.model import Case, Document, Household, Rejection, Suppression
from pexmail.output.files import document_path, ensure_dir, write_atomic
from pexmail.output.manifest import write_manifest, write_rejects, write_summary
from pexmail.output.printfile import merge_pdfs
from pexmail.render.letter import FORMATS, LetterRenderer, Refused, RenderedLetter

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class BatchOptions:
    run_date: date
    formats: tuple[str, ...] = FORMATS
    pdf_variant: str | None = None
    source: str | None = None
    encoding: str | None = None


@dataclass
class BatchResult:
    out_dir: Path
    summary: dict[str, Any]
    documents: list[Document] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """False when a file could not be read to its end."""
        return not any(f.get("error") for f in self.summary["files"])


def _noop(step: str, done: int, total: int | None) -> None:
    return None


def check_output_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(
            file=str(out_dir), message="the output path exists and is not a folder"
        )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "summary.json").is_file():
        raise InputFileError(
            file=str(out_dir),
            message="the output folder is not empty and was not written by pexmail",
            hint="choose a new folder with --out",
        )


def inspect_files(paths: Sequence[Path], catalog: Catalog, options: BatchOptions) -> list[FileInfo]:
    """Read every header first: an unrecognised file stops the batch before anything is written."""
    return [
        inspect_file(path, catalog, source=options.source, encoding=options.encoding)
        for path in paths
    ]


def run_batch(
    paths: Sequence[Path],
    catalog: Catalog,
    out_dir: Path,
    options: BatchOptions,
    progress: Progress | None = None,
) -> BatchResult:
    """Render every letter due for the cases in ``paths`` at ``options.run_date``."""
    started = time.monotonic()
    report = progress or _noop
    unknown = [f for f in options.formats if f not in FORMATS]
    if unknown:
        raise PexmailError(f"unknown format(s) {', '.join(unknown)}; expected pdf and/or docx")
    check_output_dir(out_dir)
    PROGRESS.info("Step 1 - Reading headers (%d files)", len(paths))
    infos = inspect_files(paths, catalog, options)
    renderer = LetterRenderer(catalog, options.run_date, options.formats, options.pdf_variant)
    renderer.preflight()

    # Step 2: rows → cases or rejections
    cases: list[Case] = []
    rejections: list[Rejection] = []
    file_reports: list[dict[str, Any]] = []
    for info in infos:
        PROGRESS.info("Step 2 - Reading cases (%s)", info.display)
        stats = FileStats()
        rejected_here = 0
        for record in read_cases(info, catalog, options.run_date, stats):
            if isinstance(record, Rejection):
                rejections.append(record)
                rejected_here += 1
                LOGGER.warning(
                    "%s:%s: row rejected (%s)",
                    record.location.file,
                    record.location.row,
                    ", ".join(p.code for p in record.problems),
                )
            else:
                cases.append(record)
            report("rows", stats.rows, None)
        if stats.error:
            LOGGER.error("%s: %s", info.display, stats.error)
        file_reports.append(
            {
                "file": info.display,
                "source": info.columns.source.id,
                "encoding": info.encoding,
                "delimiter": info.delimiter,
                "rows": stats.rows,
                "rejected": rejected_here,
                "blank_lines": stats.blank_lines,
                "ignored_columns": list(info.columns.ignored),
                "error": stats.error,
            }
        )

    # Step 3: households
    PROGRESS.info("Step 3 - Grouping households")
    households = [merge_household(key, group, catalog) for key, group in group_cases(cases).items()]

    # Step 4-5: plan and render
    ensure_dir(out_dir)
    documents: list[Document] = []
    suppressions: list[Suppression] = []
    issued: set[str] = set()
    PROGRESS.info("Step 4 - Planning and rendering (%d households)", len(households))
    for index, household in enumerate(households, start=1):
        mailing = plan_mailing(household, catalog, options.run_date)
        suppressions.extend(mailing.suppressions)
        for choice in mailing.letters:
            letter = catalog.letter(choice.letter_id, choice.version)
            try:
                prepared = renderer.prepare(letter, household.facts)
                rendered = renderer.render(prepared)
            except Refused as refusal:
                suppressions.append(
                    Suppression(household.key, refusal.code, refusal.reason, letter.id)
                )
                LOGGER.error("%s: %s refused (%s)", household.key, letter.id, refusal.code)
                continue
            documents.extend(_write_documents(out_dir, household, letter, rendered))
            issued.add(household.key)
        report("households", index, len(households))

    # Step 6: print files, one per letter type
    PROGRESS.info("Step 5 - Writing print files")
    print_files = []
    by_letter: dict[str, list[Path]] = {}
    for document in documents:
        if document.format == "pdf":
            by_letter.setdefault(document.letter_id, []).append(out_dir / document.path)
    for letter_id, files in by_letter.items():
        target = out_dir / "print" / f"{letter_id}.pdf"
        pages = merge_pdfs(files, target)
        print_files.append(
            {
                "letter_id": letter_id,
                "path": f"print/{letter_id}.pdf",
                "letters": len(files),
                "pages": pages,
            }
        )

    # Step 7: manifest, rejects, summary
    summary = _summary(
        catalog,
        options,
        file_reports,
        cases,
        households,
        documents,
        rejections,
        suppressions,
        issued,
        print_files,
    )
    summary["duration_seconds"] = round(time.monotonic() - started, 2)
    write_manifest(out_dir / "manifest.csv", documents)
    write_rejects(out_dir / "rejects.csv", rejections)
    write_summary(out_dir / "summary.json", summary)
    return BatchResult(out_dir, summary, documents, rejections, suppressions)


def _write_documents(
    out_dir: Path, household: Household, letter: Letter, rendered: RenderedLetter
) -> list[Document]:
    documents = []
    for fmt, (data, pages) in rendered.outputs.items():
        relative = document_path(household.key, letter.id, letter.version, fmt)
        write_atomic(out_dir / relative, data)
        documents.append(
            Document(
                household_key=household.key,
                letter_id=letter.id,
                version=letter.version,
                sender=letter.sender,
                format=fmt,
                path=relative,
                sha256=hashlib.sha256(data).hexdigest(),
                pages=pages,
                case_ids=tuple(dict.fromkeys(c.case_id for c in household.cases)),
            )
        )
    return documents


def _summary(
    catalog: Catalog,
    options: BatchOptions,
    files: list[dict[str, Any]],
    cases: list[Case],
    households: list[Household],
    documents: list[Document],
    rejections: list[Rejection],
    suppressions: list[Suppression],
    issued: set[str],
    print_files: list[dict[str, Any]],
) -> dict[str, Any]:
    household_of: dict[int, str] = {}
    for household in households:
        for case in household.cases:
            household_of[id(case)] = household.key
    rendered_rows = sum(1 for c in cases if household_of[id(c)] in issued)
    suppressed_rows = len(cases) - rendered_rows
    read = sum(f["rows"] for f in files)
    totals = {
        "read": read,
        "used": len(cases),
        "rendered": rendered_rows,
        "suppressed": suppressed_rows,
        "rejected": len(rejections),
    }
    if totals["read"] != totals["rendered"] + totals["suppressed"] + totals["rejected"]:
        raise AssertionError(f"row totals do not add up: {totals}")  # a bug, never bad input
    suppressed_households = {s.household_key for s in suppressions} - issued
    return {
        "pexmail": __version__,
        "run_date": options.run_date.isoformat(),
        "catalog": {
            "path": str(catalog.path),
            "version": catalog.document.catalog.version,
            "sha256": catalog.sha256,
        },
        "options": {"formats": list(options.formats), "pdf_variant": options.pdf_variant},
        "files": files,
        "rows": totals,
        "households": {
            "total": len(households),
            "with_documents": len(issued),
            "without_documents": len(households) - len(issued),
            "from_several_rows": sum(1 for h in households if len(h.cases) > 1),
            "suppressed": len(suppressed_households),
        },
        "documents": {
            "total": len(documents),
            "by_format": dict(Counter(d.format for d in documents)),
            "letters": len({(d.household_key, d.letter_id) for d in documents}),
            "by_letter": dict(
                Counter(
                    letter
                    for _, letter in dict.fromkeys(
                        (d.household_key, d.letter_id) for d in documents
                    )
                )
            ),
            "pages": sum(d.pages or 0 for d in documents),
        },
        "rejections": {
            "rows": len(rejections),
            "by_code": dict(Counter(p.code for r in rejections for p in r.problems)),
        },
        "suppressions": {
            "total": len(suppressions),
            "by_code": dict(Counter(s.code for s in suppressions)),
            "reasons": dict(Counter(s.reason for s in suppressions)),
        },
        "print_files": print_files,
    }
