"""The FALC decision for one document: check its text and layout, refuse a strict letter with errors.

A letter declares ``falc: strict`` (errors refuse the document) or ``advisory``
(findings are counted, the document goes out). ``pexmail render
--no-falc-gate`` turns the gate off; the summary records it. Refusal reasons
name rules and positions, never the text: excerpts may hold case data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Falc
from pexmail.falc import layout as layout_facts
from pexmail.falc.readability import Scores
from pexmail.falc.rules import Finding, check_layout, check_text
from pexmail.falc.text import LetterText, fold, from_html
from pexmail.render.letter import PreparedLetter, Refused, RenderedLetter

REFUSED = "falc_refused"


@dataclass
class LetterCheck:
    """Every finding on one document, its scores, and what the gate makes of it."""

    letter_id: str
    falc: str  # "strict" or "advisory"
    findings: list[Finding] = field(default_factory=list)
    scores: Scores | None = None

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    def counts(self) -> dict[str, int]:
        return dict(Counter(f.rule for f in self.findings))

    @property
    def refused(self) -> bool:
        return self.falc == "strict" and bool(self.errors())


def check_prepared(prepared: PreparedLetter, config: Falc) -> LetterCheck:
    text = from_html(prepared.parts.subject, str(prepared.parts.body))
    return check_letter_text(
        prepared.letter.id, prepared.letter.falc, text, config, household_words(prepared.context)
    )


def household_words(context: dict) -> frozenset[str]:
    """The folded words of what the household's rows put in the letter."""
    recipient = context.get("recipient") or {}
    case = context.get("case") or {}
    values = [
        recipient.get("given_name", ""),
        recipient.get("family_name", ""),
        case.get("id", ""),
        case.get("landlord_name", ""),
        *context.get("address_lines", ()),
    ]
    words = {w for v in values for w in _WORD.findall(str(v or ""))}
    words |= {part for w in words for part in re.split(r"[-'’]", w)}
    return frozenset(fold(w) for w in words if w)


_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def check_letter_text(
    letter_id: str,
    falc: str,
    text: LetterText,
    config: Falc,
    data_words: frozenset[str] = frozenset(),
) -> LetterCheck:
    report = check_text(text, config, data_words)
    return LetterCheck(letter_id, falc, list(report.findings), report.scores)


def refusal_reason(check: LetterCheck, stage: str) -> str:
    errors = check.errors()
    shown = "; ".join(f"{f.rule} ({f.where()})" for f in errors[:5])
    more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
    return (
        f"FALC {stage}: {len(errors)} error(s) in a strict letter: {shown}{more}; "
        "run `pexmail check` for the details"
    )


class FalcGate:
    """Checks each prepared and rendered letter of a batch; counts findings for the summary."""

    def __init__(self, catalog: Catalog, enabled: bool = True) -> None:
        self.config = catalog.document.falc
        self.enabled = enabled
        self.checked = 0
        self.refused = 0
        self.by_rule: Counter[str] = Counter()
        self.levels: Counter[str] = Counter()

    def _count(self, findings: Sequence[Finding]) -> None:
        for finding in findings:
            self.by_rule[finding.rule] += 1
            self.levels[finding.level] += 1

    def inspector(self) -> Any:
        """The hook the PDF engine calls on each laid-out document (None when the gate is off)."""
        return layout_facts.from_weasyprint if self.enabled else None

    def check_text(self, prepared: PreparedLetter) -> LetterCheck | None:
        """Raise :class:`Refused` when a strict letter's text has errors."""
        if not self.enabled:
            return None
        self.checked += 1
        check = check_prepared(prepared, self.config)
        self._count(check.findings)
        if check.refused:
            self.refused += 1
            raise Refused(REFUSED, refusal_reason(check, "text"))
        return check

    def check_layout(self, rendered: RenderedLetter) -> None:
        """Raise :class:`Refused` when a strict letter's layout has errors."""
        if not self.enabled:
            return
        # Both engines print the same text through their own layout: check each one.
        sources = [rendered.layout] if rendered.layout is not None else []
        if "docx" in rendered.outputs:
            sources.append(layout_facts.from_docx(rendered.outputs["docx"][0])[0])
        if not sources:
            return
        letter = rendered.prepared.letter
        check = LetterCheck(letter.id, letter.falc)
        for facts in sources:
            check.findings.extend(check_layout(facts, self.config))
        self._count(check.findings)
        if check.refused:
            self.refused += 1
            raise Refused(REFUSED, refusal_reason(check, "layout"))

    def take_counts(self) -> tuple[int, int, dict[str, int], dict[str, int]]:
        """What was counted since the last call, and start again (a worker's share of a batch)."""
        counts = (self.checked, self.refused, dict(self.by_rule), dict(self.levels))
        self.checked = self.refused = 0
        self.by_rule.clear()
        self.levels.clear()
        return counts

    def add_counts(self, counts: tuple[int, int, dict[str, int], dict[str, int]]) -> None:
        """Add a worker's counts (see :meth:`take_counts`) to the batch's."""
        checked, refused, by_rule, levels = counts
        self.checked += checked
        self.refused += refused
        self.by_rule.update(by_rule)
        self.levels.update(levels)

    def summary(self) -> dict[str, Any]:
        return {
            "gate": self.enabled,
            "letters_checked": self.checked,
            "refused": self.refused,
            "findings_by_level": dict(self.levels),
            "findings_by_rule": dict(sorted(self.by_rule.items())),
        }
