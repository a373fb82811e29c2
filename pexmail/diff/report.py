"""A comparison shown two ways: a terminal summary that fits one screen, and a
self-contained HTML report for the review meeting.

The summary marks deletions ``[-like this-]`` and insertions ``{+like this+}``
(readable in a CI log, without colours). The HTML report holds everything it
shows: styles inline, page images as ``data:`` URIs, no script, no link to
anything outside the file, so it opens offline in any browser and can be
mailed.
"""

from __future__ import annotations

from html import escape

from pexmail.diff.compare import Comparison, FalcFacts, HouseholdDiff, LetterDiff, Side
from pexmail.diff.pages import AFTER_COLOUR, BEFORE_COLOUR, png_data_uri
from pexmail.diff.text import Readability
from pexmail.diff.words import Op, Row, excerpt

NO_CHANGE = "no change"
SUMMARY_ROWS = 4  # changed paragraphs shown per household in the terminal

# --- terminal -----------------------------------------------------------------


def _mark(pieces: list) -> str:
    """Pieces as one line, deletions ``[-…-]`` and insertions ``{+…+}``, spacing kept."""
    out = []
    for piece in pieces:
        text = " ".join(piece.text.split(" ")).replace("\n", " ")
        core = text.strip()
        if piece.op is Op.EQUAL or not core:
            out.append(text)
            continue
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        mark = "[-{}-]" if piece.op is Op.DELETE else "{{+{}+}}"
        out.append(lead + mark.format(core) + trail)
    return " ".join("".join(out).split(" ")).strip()


def _readability_words(r: Readability | None) -> str:
    if r is None:
        return "—"
    return f"{r.sentences} sentences, {r.average:g} words on average, longest {r.longest}"


def _readability_line(h: HouseholdDiff) -> str | None:
    a = h.before.readability if h.before else None
    b = h.after.readability if h.after else None
    if a == b:
        return None
    if a is None or b is None:
        return f"readability (letter body): {_readability_words(a or b)}"
    return (
        f"readability (letter body): sentences {a.sentences} → {b.sentences}, "
        f"average {a.average:g} → {b.average:g} words, longest {a.longest} → {b.longest}"
    )


def _falc_of(side: Side | None) -> FalcFacts | str | None:
    return side.falc if side is not None else None


def _falc_counts(falc: FalcFacts | str | None) -> str:
    if not isinstance(falc, FalcFacts):
        return "—"
    return f"{falc.count('error')} error(s), {falc.count('warning')} warning(s)"


def _falc_lines(h: HouseholdDiff, personal: bool) -> list[str]:
    """FALC findings before → after, when the checker is part of this build."""
    a, b = _falc_of(h.before), _falc_of(h.after)
    lines = [f"FALC: {x}" for x in (a, b) if isinstance(x, str)]
    if not isinstance(a, FalcFacts) and not isinstance(b, FalcFacts):
        return lines
    if a == b:
        return lines
    lines.append(f"FALC: {_falc_counts(a)} → {_falc_counts(b)}")
    old = a.findings if isinstance(a, FalcFacts) else ()
    new = b.findings if isinstance(b, FalcFacts) else ()
    for word, found in (
        ("fixed", [f for f in old if f not in new]),
        ("new", [f for f in new if f not in old]),
    ):
        for level, rule, text in found[:5]:
            # excerpts come from the letter: with --case they may hold a household's data
            shown = "" if personal else f": « {text[:70]} »"
            lines.append(f"  {word} {level} {rule}{shown}")
        if len(found) > 5:
            lines.append(f"  … {len(found) - 5} more {word}")
    scores_a = dict(a.scores) if isinstance(a, FalcFacts) else {}
    scores_b = dict(b.scores) if isinstance(b, FalcFacts) else {}
    if scores_a != scores_b:
        lines.append(
            "scores: "
            + ", ".join(
                f"{name} {scores_a.get(name, '—')} → {scores_b.get(name, '—')}"
                for name in dict.fromkeys([*scores_a, *scores_b])
            )
        )
    return lines


def _side_words(side: Side | None) -> str:
    if side is None:
        return "no such letter"
    if side.refused:
        return f"refused ({side.refused})"
    if side.selected:
        return f"not selected ({side.selected})"
    return "sent"


def _household_lines(h: HouseholdDiff, personal: bool = False) -> list[str]:
    lines = [f"  {h.label}:"]
    if _side_words(h.before) != _side_words(h.after):
        lines.append(f"    {_side_words(h.before)} → {_side_words(h.after)}")
    rows = h.text.changed_rows
    if h.before is None or h.after is None:  # a letter added or removed: no edits to show
        words = h.text.inserted_words + h.text.deleted_words
        if rows:
            lines.append(
                f"    text: {len(rows)} paragraph(s), {words} words (the letter: see --html)"
            )
    elif rows:
        lines.append(
            f"    text: {len(rows)} paragraph(s) changed, "
            f"+{h.text.inserted_words} −{h.text.deleted_words} words"
        )
        if personal:
            lines.append("      (a household's letter: the words are in the --html report only)")
        else:
            for row in rows[:SUMMARY_ROWS]:
                lines.append("      " + _mark(excerpt(row)))
            if len(rows) > SUMMARY_ROWS:
                lines.append(f"      … and {len(rows) - SUMMARY_ROWS} more (see --html)")
    readability = _readability_line(h)
    if readability:
        lines.append("    " + readability)
    lines += ["    " + line for line in _falc_lines(h, personal)]
    before, after = h.page_counts
    if before != after:
        lines.append(f"    pages: {before or '—'} → {after or '—'}")
    if h.visual is not None and h.visual.regions:
        pages = ", ".join(map(str, h.visual.changed_pages))
        total = f" of {after}" if before == after and after else ""
        lines.append(f"    visual: {h.visual.regions} region(s) marked on page(s) {pages}{total}")
    return lines


def _letter_head(diff: LetterDiff) -> str:
    a, b = diff.before, diff.after
    if a is not None and b is not None:
        version = f"v{a.version}" if a.version == b.version else f"v{a.version} → v{b.version}"
    else:
        version = f"v{(a or b).version}"  # type: ignore[union-attr]
    return f"{diff.letter_id} {version} — {diff.status}"


def _signature(diff: LetterDiff) -> tuple:
    """Equal for two letters that changed in the same way (same entry changes, same edits)."""
    return (
        diff.status,
        tuple(str(c) for c in diff.changes),
        tuple(
            (
                h.label,
                h.text.signature(),
                _side_words(h.before),
                _side_words(h.after),
            )
            for h in diff.households
        ),
    )


def summary(comparison: Comparison) -> str:
    """What changed, in one screen."""
    c = comparison
    scope = c.letter_id or "whole catalogue"
    lines = [
        f"pexmail diff: {c.before_label} → {c.after_label} ({scope}, letters dated {c.run_date})"
    ]
    if not c.changed:
        lines.append(
            f"{NO_CHANGE}: the tenant reads the same letters and the catalogue does the same."
        )
        lines += [f"note: {n}" for n in c.notes]
        return "\n".join(lines)
    if c.catalog:
        lines.append("")
        lines.append("Catalogue:")
        lines += [f"  • {change}" for change in c.catalog]
    seen: dict[tuple, str] = {}
    for diff in c.letters:
        if not diff.changed:
            continue
        lines.append("")
        key = _signature(diff)
        if key in seen:  # a shared partial or contact changed: say it once
            lines.append(f"{_letter_head(diff)}: the same changes as {seen[key]}")
            continue
        seen[key] = diff.letter_id
        lines.append(_letter_head(diff))
        lines += [f"  • {change}" for change in diff.changes]
        for household in diff.households:
            if household.changed or diff.status != "changed":
                lines += _household_lines(household, c.personal)
    if c.letter_id is None:
        counts = {s: len(c.by_status(s)) for s in ("changed", "added", "removed", "unchanged")}
        lines.append("")
        lines.append(
            f"Letters: {counts['changed']} changed, {counts['added']} added, "
            f"{counts['removed']} removed, {counts['unchanged']} unchanged."
        )
    lines += [f"note: {n}" for n in c.notes]
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
  margin: 0 auto; max-width: 1280px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 16px; border-top: 3px solid #333; }
h3 { font-size: 16px; margin: 22px 0 8px; }
.meta { color: #555; margin: 0 0 16px; }
.verdict { font-size: 17px; font-weight: 600; padding: 10px 14px; border-radius: 6px;
  background: #fff4d6; border: 1px solid #e8c66a; }
.verdict.same { background: #e6f4ea; border-color: #8cc79b; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px;
  font-weight: 600; vertical-align: middle; background: #eee; }
.status.changed { background: #fff0c2; } .status.added { background: #d8ebff; }
.status.removed { background: #ffd9d9; }
ul.changes li { margin: 3px 0; } .topic { font-weight: 600; }
table { border-collapse: collapse; margin: 8px 0; }
td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.text { border: 1px solid #ccc; border-radius: 6px; padding: 6px 12px; max-width: 900px; }
.text p { margin: 6px 0; } .text p.same { color: #777; }
del { background: #ffd4d4; color: #8a0010; text-decoration: line-through; }
del + ins, ins + del { margin-left: 0.3em; }
ins { background: #cfe7ff; color: #00357a; text-decoration: none; font-weight: 600; }
p.whole-del { border-left: 4px solid {before}; padding-left: 8px; }
p.whole-ins { border-left: 4px solid {after}; padding-left: 8px; }
.pages { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin: 10px 0 18px; }
.pages figure { margin: 0; } .pages img { width: 100%; border: 1px solid #999;
  box-shadow: 0 1px 4px rgba(0,0,0,.15); background: white; }
.pages figcaption { font-weight: 600; margin-bottom: 4px; }
.pages .missing { border: 2px dashed #bbb; color: #777; padding: 40px; text-align: center; }
.legend span { padding: 0 6px; margin-right: 10px; }
.note { color: #555; font-size: 14px; }
details > summary { cursor: pointer; color: #333; }
""".replace("{before}", f"rgb{BEFORE_COLOUR}").replace("{after}", f"rgb{AFTER_COLOUR}")


def _pieces_html(pieces: list) -> str:
    out = []
    for piece in pieces:
        core = piece.text.strip()
        if piece.op is Op.EQUAL or not core:
            out.append(escape(piece.text))
            continue
        lead = piece.text[: len(piece.text) - len(piece.text.lstrip())]
        trail = piece.text[len(piece.text.rstrip()) :]
        tag = "del" if piece.op is Op.DELETE else "ins"
        out.append(f"{escape(lead)}<{tag}>{escape(core)}</{tag}>{escape(trail)}")
    return "".join(out)


def _row_html(row: Row) -> str:
    if not row.changed:
        return f'<p class="same">{escape(row.text())}</p>'
    css = {Op.DELETE: "whole-del", Op.INSERT: "whole-ins"}.get(row.op, "")
    title = {Op.DELETE: "paragraph removed", Op.INSERT: "paragraph added"}.get(row.op, "")
    attrs = f' class="{css}" title="{title}"' if css else ""
    return f"<p{attrs}>{_pieces_html(list(row.pieces))}</p>"


def _text_html(h: HouseholdDiff) -> str:
    if h.before is None or h.after is None:  # struck-through text is hard to read: plain
        state = "only in the new version" if h.before is None else "only in the old version"
        whole = "".join(f"<p>{escape(row.text())}</p>" for row in h.text.rows)
        return f"<p>The whole letter, {state}:</p><div class='text'>{whole}</div>"
    if not h.text.changed:
        return "<p>The text is the same.</p>"
    changed = "".join(_row_html(row) for row in h.text.rows if row.changed)
    whole = "".join(_row_html(row) for row in h.text.rows)
    return (
        f"<p>{len(h.text.changed_rows)} paragraph(s) changed: "
        f"<ins>+{h.text.inserted_words} words</ins> <del>−{h.text.deleted_words} words</del></p>"
        f'<div class="text">{changed}</div>'
        f"<details><summary>The whole letter, changes marked</summary>"
        f'<div class="text">{whole}</div></details>'
    )


def _facts_table(h: HouseholdDiff) -> str:
    a = h.before.readability if h.before else None
    b = h.after.readability if h.after else None

    def cell(r: Readability | None, name: str) -> str:
        return "—" if r is None else escape(f"{getattr(r, name):g}")

    rows = [
        ("Sentences in the letter body", "sentences"),
        ("Words", "words"),
        ("Average words per sentence", "average"),
        ("Words in the longest sentence", "longest"),
    ]
    body = "".join(
        f"<tr><th>{label}</th><td>{cell(a, name)}</td><td>{cell(b, name)}</td></tr>"
        for label, name in rows
    )
    falc_a, falc_b = _falc_of(h.before), _falc_of(h.after)
    if isinstance(falc_a, FalcFacts) or isinstance(falc_b, FalcFacts):
        body += (
            f"<tr><th>FALC findings</th><td>{escape(_falc_counts(falc_a))}</td>"
            f"<td>{escape(_falc_counts(falc_b))}</td></tr>"
        )
        for name in ("Kandel-Moles", "LIX"):
            x = dict(falc_a.scores).get(name, "—") if isinstance(falc_a, FalcFacts) else "—"
            y = dict(falc_b.scores).get(name, "—") if isinstance(falc_b, FalcFacts) else "—"
            body += f"<tr><th>{name} score</th><td>{x}</td><td>{y}</td></tr>"
    pages_a, pages_b = h.page_counts
    body += (
        f"<tr><th>Pages</th><td>{pages_a if pages_a is not None else '—'}</td>"
        f"<td>{pages_b if pages_b is not None else '—'}</td></tr>"
        if h.visual is not None
        else ""
    )
    body += (
        f"<tr><th>Letter goes out</th><td>{escape(_side_words(h.before))}</td>"
        f"<td>{escape(_side_words(h.after))}</td></tr>"
    )
    findings = _falc_lines(h, personal=False)
    falc_list = (
        "<ul class='changes'>" + "".join(f"<li>{escape(x)}</li>" for x in findings) + "</ul>"
        if findings
        else ""
    )
    note = (
        '<p class="note">Readability facts are counted on the letter body (paragraphs and list '
        "items, not headings or the contacts table). FALC guidance: short sentences, one idea each."
    )
    if not isinstance(falc_a, FalcFacts) and not isinstance(falc_b, FalcFacts):
        note += " The FALC checker is not part of this pexmail build: readability facts only."
    return (
        "<table><thead><tr><th></th><th>Before</th><th>After</th></tr></thead>"
        f"<tbody>{body}</tbody></table>{falc_list}{note}</p>"
    )


def _pages_html(h: HouseholdDiff) -> str:
    visual = h.visual
    if visual is None:
        return "<p>The pages are the same (same page content, same stylesheet).</p>"
    parts = [
        '<p class="legend">Changed regions: '
        f'<span style="background: rgba{(*BEFORE_COLOUR, 0.25)}">before, in red</span>'
        f'<span style="background: rgba{(*AFTER_COLOUR, 0.25)}">after, in blue</span>'
        "A line that only moved is not marked.</p>"
    ]
    for pair in visual.pages:
        flag = " — changed" if pair.changed else " — same"
        parts.append(f"<h4>Page {pair.index + 1}{flag}</h4>")
        parts.append('<div class="pages">')
        for side, name in (("before", "Before"), ("after", "After")):
            image = pair.image(side)
            if image is None:
                parts.append(
                    f'<figure><figcaption>{name}</figcaption><div class="missing">'
                    f"no page {pair.index + 1}</div></figure>"
                )
            else:
                alt = f"{name}, page {pair.index + 1}"
                parts.append(
                    f"<figure><figcaption>{name}</figcaption>"
                    f'<img src="{png_data_uri(image)}" alt="{escape(alt)}"></figure>'
                )
        parts.append("</div>")
    return "".join(parts)


def _letter_html(diff: LetterDiff) -> str:
    head = (
        f'<h2 id="{escape(diff.letter_id)}">{escape(_letter_head(diff).rsplit(" — ", 1)[0])} '
        f'<span class="status {diff.status}">{diff.status}</span></h2>'
        f"<p>{escape(diff.title)}</p>"
    )
    parts = [head]
    if diff.changes:
        parts.append("<h3>What the catalogue does differently</h3><ul class='changes'>")
        parts += [
            f'<li><span class="topic">{escape(c.topic)}</span>: {escape(c.text)}</li>'
            for c in diff.changes
        ]
        parts.append("</ul>")
    elif diff.status == "changed":
        parts.append("<p>The catalogue entry is the same; the letter's rendering changed.</p>")
    for h in diff.households:
        parts.append(f"<h3>Rendered for the {escape(h.label)}</h3>")
        parts.append(_facts_table(h))
        parts.append("<h3>What the tenant reads</h3>")
        parts.append(_text_html(h))
        parts.append("<h3>Pages</h3>")
        parts.append(_pages_html(h))
    return "".join(parts)


def html_report(comparison: Comparison) -> str:
    """The whole comparison as one HTML file: styles inline, images as data: URIs."""
    c = comparison
    scope = f"letter {c.letter_id}" if c.letter_id else "the whole catalogue"
    verdict = (
        '<p class="verdict same">No change: the tenant reads the same letters.</p>'
        if not c.changed
        else '<p class="verdict">Changes below: check each before it ships.</p>'
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>pexmail diff — {escape(c.before_label)} → {escape(c.after_label)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>What changes for the tenant</h1>",
        f'<p class="meta">Before: <strong>{escape(c.before_label)}</strong> · After: '
        f"<strong>{escape(c.after_label)}</strong> · {escape(scope)} · letters dated "
        f"{c.run_date.isoformat()}</p>",
        verdict,
    ]
    if c.letter_id is None:
        rows = "".join(
            f'<tr><td><a href="#{escape(d.letter_id)}">{escape(d.letter_id)}</a></td>'
            f'<td><span class="status {d.status}">{d.status}</span></td>'
            f"<td>{escape(d.title)}</td></tr>"
            if d.changed
            else f"<tr><td>{escape(d.letter_id)}</td><td>{d.status}</td><td>{escape(d.title)}</td></tr>"
            for d in c.letters
        )
        parts.append(
            "<table><thead><tr><th>Letter</th><th>Status</th><th>Title</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    if c.catalog:
        parts.append("<h2>Catalogue</h2><ul class='changes'>")
        parts += [
            f'<li><span class="topic">{escape(x.topic)}</span>: {escape(x.text)}</li>'
            for x in c.catalog
        ]
        parts.append("</ul>")
    seen: dict[tuple, str] = {}
    for diff in c.letters:
        if not diff.changed:
            continue
        key = _signature(diff)
        if key in seen:  # one shared change: shown once, linked from the others
            first = escape(seen[key])
            parts.append(
                f'<h2 id="{escape(diff.letter_id)}">{escape(_letter_head(diff).rsplit(" — ", 1)[0])} '
                f'<span class="status {diff.status}">{diff.status}</span></h2>'
                f"<p>{escape(diff.title)}</p>"
                f'<p>The same changes as <a href="#{first}">{first}</a>, for the same household.</p>'
            )
            continue
        seen[key] = diff.letter_id
        parts.append(_letter_html(diff))
    if c.notes:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>{escape(n)}</li>" for n in c.notes]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
