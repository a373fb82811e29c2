"""The FALC decision for one document: check its text and layout, refuse a strict letter with errors.

A letter declares ``falc: strict`` (errors refuse the document) or ``advisory``
(findings are counted, the document goes out). ``pexmail render
--no-falc-gate`` turns the gate off; the summary records it. Refusal reasons
name rules and positions, never the text: excerpts may hold case data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Falc
from pexmail.falc import layout as layout_facts
from pexmail.falc.readability import Scores
from pexmail.falc.rules import Finding, check_layout, check_text
from pexmail.falc.text import LetterText, fold, from_paragraphs, prose
from pexmail.render.body import Block, Box, ListBlock, Paragraph, Run, Table, leaf_blocks
from pexmail.render.letter import PreparedLetter, Refused, RenderedLetter

REFUSED = "falc_refused"


@dataclass
class LetterCheck:
    """Every finding on one document, its scores, and what the gate makes of it."""

    letter_id: str
    falc: str  # "strict" or "advisory"
    findings: list[Finding] = field(default_factory=list)
    scores: Scores | None = None
    data_queries: frozenset[str] = frozenset()  # words the rules asked is_data() about

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    def counts(self) -> dict[str, int]:
        return dict(Counter(f.rule for f in self.findings))

    @property
    def refused(self) -> bool:
        return self.falc == "strict" and bool(self.errors())


def check_prepared(prepared: PreparedLetter, config: Falc) -> LetterCheck:
    text = from_paragraphs(prose(prepared.parts.subject, prepared.parts.blocks))
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
    words |= {part for w in words for part in _WORD_PARTS.split(w)}
    return frozenset(fold(w) for w in words if w)


_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_WORD_PARTS = re.compile(r"[-'’]")

# No rule reads a number's value, only its shape: how many digits, where the separators
# are, a phone number's leading 0. So two letters that differ in amounts and dates only
# are judged alike once each run of digits reads as 1s (a leading 0 kept), except the
# numbers the FALC settings spell out (« 31 mars » explains the winter truce).
_DIGITS = re.compile(r"\d+")


def numbers_read(config: Falc) -> frozenset[str]:
    """The runs of digits in the words the rules look for in a text (the glossary's terms,
    forms and explanations, the acronyms): the text shape keeps them as written."""
    phrases = [*config.acronyms, *config.acronyms.values(), *config.understood_acronyms]
    for entry in config.glossary:
        phrases += [entry.term, *entry.forms, *entry.explanations]
    return frozenset(run for phrase in phrases for run in _DIGITS.findall(phrase))


def text_shape(prepared: PreparedLetter, keep: frozenset[str]) -> tuple[Any, ...]:
    """The letter, its version and its prose with numbers reduced to their shape (but
    those in ``keep``): with the data words the rules ask about, all a text check reads."""
    texts = prose(prepared.parts.subject, prepared.parts.blocks)

    def shape(match: re.Match[str]) -> str:
        run = match.group()
        if run in keep:
            return run
        return ("0" if run[0] == "0" else "1") + "1" * (len(run) - 1)

    letter = prepared.letter
    shaped = tuple((kind, _DIGITS.sub(shape, text)) for kind, text in texts)
    return (letter.id, letter.version, letter.falc, shaped)


def style_shape(blocks: tuple[Block, ...]) -> tuple[Any, ...]:
    """The body's blocks without their words: kinds, styles, classes, each run's format."""
    shape: list[Any] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            runs = tuple(
                (run.bold, run.italic, run.nowrap) if isinstance(run, Run) else "br"
                for run in block.runs
            )
            shape.append(("p", block.style, block.css, runs))
        elif isinstance(block, ListBlock):
            shape.append(("list", block.ordered, tuple(style_shape(i) for i in block.items)))
        elif isinstance(block, Table):
            rows = tuple(
                tuple((c.header, style_shape(c.blocks)) for c in row) for row in block.rows
            )
            shape.append(("table", block.css, rows))
        elif isinstance(block, Box):
            shape.append(("box", block.css, style_shape(block.blocks)))
        else:
            shape.append(("image", block.src))
    return tuple(shape)


def printed_lengths(prepared: PreparedLetter) -> tuple[int, ...]:
    """Characters of each run of the body, then of each part of the head (address block,
    reference, place and date, subject, sender), in order: letters of one style shape have
    the same runs."""
    lengths = [
        len(run.text)
        for block in leaf_blocks(prepared.parts.blocks)
        if isinstance(block, Paragraph)
        for run in block.runs
        if isinstance(run, Run)
    ]
    context = prepared.context
    sender = context.get("sender", {})
    phone_label = str(context.get("labels", {}).get("phone", ""))
    head = [
        sum(len(str(line)) for line in context.get("address_lines", ())),
        len(str(context.get("reference", ""))),
        len(str(context.get("place_date", ""))),
        len(prepared.parts.subject),
        *(len(str(sender.get(k, ""))) for k in ("authority", "name", "unit", "address")),
        sum(len(phone_label) + len(str(p.get("number", ""))) for p in sender.get("phones", ())),
    ]
    lengths += head
    return tuple(lengths)


# Text extraction strips each piece of text it weighs: letters of one style shape may differ
# by a few characters more than their data does.
_EXTRACTION_SLACK = 40


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What the gate keeps of a text check: no excerpt, so nothing of one household's
    data can reach another's refusal reason."""

    findings: tuple[tuple[str, str], ...]  # (rule, level) of each finding
    refusal: str | None


def check_letter_text(
    letter_id: str,
    falc: str,
    text: LetterText,
    config: Falc,
    data_words: frozenset[str] = frozenset(),
) -> LetterCheck:
    report = check_text(text, config, data_words)
    return LetterCheck(letter_id, falc, list(report.findings), report.scores, report.data_queries)


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

    # Text shapes remembered per process: a batch's letters come in a few hundred shapes.
    MEMO_SIZE = 4096

    def __init__(self, catalog: Catalog, enabled: bool = True) -> None:
        self.config = catalog.document.falc
        # text shape → (the data words its check asked about, {those the household has → verdict})
        self._verdicts: dict[
            tuple[Any, ...], tuple[frozenset[str], dict[frozenset[str], _Verdict]]
        ] = {}
        self._keep = numbers_read(self.config)
        # style shape → (body-size margin, printed lengths, findings) of its last full check
        self._layouts: dict[tuple[Any, ...], tuple[float, tuple[int, ...], tuple[Finding, ...]]]
        self._layouts = {}
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

    def check_text(self, prepared: PreparedLetter) -> None:
        """Raise :class:`Refused` when a strict letter's text has errors.

        Letters of one text shape (:func:`text_shape`) get the same findings: each
        shape is checked once, which takes the check out of a batch's cost."""
        if not self.enabled:
            return
        self.checked += 1
        key = text_shape(prepared, self._keep)
        data = household_words(prepared.context)
        entry = self._verdicts.get(key)
        verdict = entry[1].get(data & entry[0]) if entry is not None else None
        if verdict is None:
            check = check_prepared(prepared, self.config)
            verdict = _Verdict(
                tuple((f.rule, f.level) for f in check.findings),
                refusal_reason(check, "text") if check.refused else None,
            )
            if entry is None:
                if len(self._verdicts) >= self.MEMO_SIZE:
                    del self._verdicts[next(iter(self._verdicts))]  # the oldest
                # Which words the rules ask about depends on the text only, not the data.
                entry = self._verdicts[key] = (check.data_queries, {})
            entry[1][data & entry[0]] = verdict
        for rule, level in verdict.findings:
            self.by_rule[rule] += 1
            self.levels[level] += 1
        if verdict.refusal is not None:
            self.refused += 1
            raise Refused(REFUSED, verdict.refusal)

    def check_layout(self, rendered: RenderedLetter) -> None:
        """Raise :class:`Refused` when a strict letter's layout has errors."""
        if not self.enabled:
            return
        letter = rendered.prepared.letter
        check = LetterCheck(letter.id, letter.falc)
        # Every format prints the same text through its own layout: check each one.
        outputs = rendered.outputs
        if rendered.layout is not None:  # WeasyPrint's laid-out boxes
            check.findings.extend(check_layout(rendered.layout, self.config))
        elif "pdf" in outputs:  # a PDF engine without boxes to read (Typst)
            read_pdf = layout_facts.styles_from_pdf
            check.findings.extend(self._layout_once(rendered, "pdf", read_pdf))
        if "docx" in outputs:
            read_docx = layout_facts.from_docx
            check.findings.extend(self._layout_once(rendered, "docx", lambda d: read_docx(d)[0]))
        self._count(check.findings)
        if check.refused:
            self.refused += 1
            raise Refused(REFUSED, refusal_reason(check, "layout"))

    def _layout_once(
        self,
        rendered: RenderedLetter,
        kind: str,
        read: Callable[[bytes], layout_facts.LayoutFacts],
    ) -> Sequence[Finding]:
        """Layout findings read from the file itself (a Typst PDF's fonts and sizes, a DOCX's
        styles), once per style shape.

        A run's size and font follow from its style (the layout, the block it is in, bold
        or italic), never from the words in it: letters of one style shape get the same
        facts, but for one inference, the body size (the size most characters are set in).
        Data changes each size's character count by at most the characters it changes, so
        a verdict is reused only while that cannot overturn the body size."""
        prepared = rendered.prepared
        key = (kind, prepared.letter.id, prepared.letter.version, prepared.layout)
        key += (style_shape(prepared.parts.blocks),)
        counts = printed_lengths(prepared)
        entry = self._layouts.get(key)
        if entry is not None and len(entry[1]) == len(counts):
            margin, seen, findings = entry
            changed = sum(abs(a - b) for a, b in zip(counts, seen, strict=True))
            if margin > 2 * changed + _EXTRACTION_SLACK:
                return findings
        facts = read(rendered.outputs[kind][0])
        # Kept without excerpts: nothing of one household may reach another's summary.
        findings = tuple(replace(f, excerpt="") for f in check_layout(facts, self.config))
        if len(self._layouts) >= self.MEMO_SIZE:
            del self._layouts[next(iter(self._layouts))]  # the oldest
        self._layouts[key] = (facts.body_size_margin or 0.0, counts, findings)
        return findings

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
