"""What ``pexmail check`` checks: the catalogue's letters rendered for a sample household,
or the documents of an output folder. Returns reports; printing is the CLI's job."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pexmail.catalog.load import Catalog
from pexmail.falc import layout as layout_facts
from pexmail.falc.gate import LetterCheck, check_letter_text, check_prepared
from pexmail.falc.rules import Finding, check_layout
from pexmail.falc.text import from_paragraphs

LEVEL_ORDER = {"warning": 0, "error": 1}


@dataclass
class DocumentReport:
    file: str  # the template, or the document in the output folder
    letter_id: str
    territory: str  # sample territory, or "" for an output document
    check: LetterCheck

    def findings(self, level: str = "warning") -> list[Finding]:
        floor = LEVEL_ORDER[level]
        return [f for f in self.check.findings if LEVEL_ORDER[f.level] >= floor]

    def as_dict(self, level: str = "warning") -> dict[str, Any]:
        scores = self.check.scores
        return {
            "file": self.file,
            "letter_id": self.letter_id,
            "territory": self.territory,
            "falc": self.check.falc,
            "refused_by_gate": self.check.refused,
            "scores": None
            if scores is None
            else {
                "kandel_moles": scores.kandel_moles,
                "lix": scores.lix,
                "sentences": scores.counts.sentences,
                "words": scores.counts.words,
                "syllables": scores.counts.syllables,
            },
            "counts_by_rule": self.check.counts(),
            "findings": [
                {
                    "rule": f.rule,
                    "level": f.level,
                    "paragraph": f.paragraph,
                    "sentence": f.sentence,
                    "excerpt": f.excerpt,
                    "hint": f.hint,
                }
                for f in self.findings(level)
            ],
        }


def check_catalog(catalog: Catalog, on: date | None = None) -> Iterator[DocumentReport]:
    """Every letter (all versions) rendered for a sample household of each of its territories."""
    from pexmail.render.letter import LetterRenderer, Refused
    from pexmail.render.preflight import letter_territories, prepare_sample

    renderers: dict[date, LetterRenderer] = {}
    for letter in catalog.letters:
        run_date = on or letter.valid_from
        if run_date not in renderers:
            # The wording is checked here; the directories' freshness by `pexmail contacts`.
            renderer = LetterRenderer(catalog, run_date, ("pdf",), allow_stale=True)
            renderer.pdf.inspect = layout_facts.from_weasyprint
            renderers[run_date] = renderer
        renderer = renderers[run_date]
        template = f"templates/{letter.templates.html}"
        for territory_id in letter_territories(catalog, letter):
            try:
                prepared = prepare_sample(renderer, letter, territory_id)
                check = check_prepared(prepared, catalog.document.falc)
                rendered = renderer.render(prepared)
            except Refused as exc:
                # Not a FALC matter: `pexmail catalog --check` explains it.
                check = LetterCheck(letter.id, letter.falc)
                check.findings.append(Finding("render", "error", None, None, exc.code, exc.reason))
                yield DocumentReport(template, letter.id, territory_id, check)
                continue
            if rendered.layout is not None:
                check.findings.extend(check_layout(rendered.layout, catalog.document.falc))
            yield DocumentReport(template, letter.id, territory_id, check)


def check_output(folder: Path, catalog: Catalog) -> Iterator[DocumentReport]:
    """The letters of an output folder: text and styles from each DOCX, fonts from each PDF."""
    letters = _manifest_letters(folder)
    levels = {letter.id: letter.falc for letter in catalog.letters}
    config = catalog.document.falc
    signatures = _signatures(catalog)
    paths = sorted((folder / "letters").rglob("*.docx")) + sorted(
        (folder / "letters").rglob("*.pdf")
    )
    for path in paths:
        relative = path.relative_to(folder).as_posix()
        letter_id = letters.get(relative) or path.parent.name
        falc = levels.get(letter_id, "strict")
        data = path.read_bytes()
        if path.suffix == ".docx":
            facts, texts = layout_facts.from_docx(data)
            text = from_paragraphs(_kinds(texts, signatures))
            check = check_letter_text(letter_id, falc, text, config)
        else:
            # A PDF keeps no paragraphs or headings, so its text would be cut at random:
            # the text is checked in the DOCX twin (render with --format pdf,docx), the
            # fonts here.
            facts = layout_facts.from_pdf(data)
            check = LetterCheck(letter_id, falc)
        check.findings.extend(check_layout(facts, config))
        yield DocumentReport(relative, letter_id, "", check)


def _kinds(texts: Sequence[str], signatures: set[str]) -> list[tuple[str, str]]:
    """The letter's text: from the « Objet » line (its subject) on, signatures left out.

    What comes before the subject is the letterhead, place and date."""
    subject = next((i for i, t in enumerate(texts) if t.startswith("Objet")), None)
    pairs = []
    for index, text in enumerate(texts):
        if subject is not None and index < subject:
            continue
        if index == subject:
            pairs.append(("subject", text.split(":", 1)[-1]))
        elif " ".join(text.split()) not in signatures:
            pairs.append(("paragraph", text))
    return pairs


def _signatures(catalog: Catalog) -> set[str]:
    """How layouts sign letters (see ``render.context``): never checked as prose."""
    found: set[str] = set()
    for sender in catalog.document.senders.values():
        found.add(sender.short_name)
        for office in sender.offices.values():
            found.update({office.unit, f"{sender.short_name} — {office.unit}"})
    return found


def _manifest_letters(folder: Path) -> dict[str, str]:
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        return {}
    reader = csv.DictReader(io.StringIO(manifest.read_text(encoding="utf-8-sig")), delimiter=";")
    return {row["path"]: row["letter_id"] for row in reader if row.get("path")}


def is_output_folder(path: Path) -> bool:
    return path.is_dir() and ((path / "manifest.csv").is_file() or (path / "letters").is_dir())
