"""What the catalogue does differently, in words, for a letter and for the whole catalogue.

A letter's entry covers its own fields (conditions, debt band, validity,
version, legal basis, contact kinds, QR target) and the shared data it prints:
the directory entries of its contact kinds in its territories (a new phone
number), the sender's offices, the QR target's URL and caption, and the legal
facts its template names. Values are printed as a reviewer reads them
(« de 3 000 € à moins de 7 000 € »), never as YAML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pexmail.catalog.contacts import ContactEntry
from pexmail.catalog.load import Catalog
from pexmail.catalog.schema import Conditions, DebtBand, Fact, Letter
from pexmail.render.lawfacts import LAW_FACTS


@dataclass(frozen=True)
class Change:
    topic: str  # conditions, validity, contacts, QR code, legal facts, …
    text: str

    def __str__(self) -> str:
        return f"{self.topic}: {self.text}"


def pick(catalog: Catalog, letter_id: str, on: date) -> Letter | None:
    """The version of a letter that goes out on ``on``; else its latest one."""
    versions = [x for x in catalog.letters if x.id == letter_id]
    in_force = [x for x in versions if x.in_force(on)]
    chosen = in_force or versions
    return max(chosen, key=lambda x: x.valid_from) if chosen else None


def letter_ids(catalog: Catalog) -> list[str]:
    return list(dict.fromkeys(x.id for x in catalog.letters))


def version_changes(
    before: Catalog,
    after: Catalog,
    letter_id: str,
    shown: tuple[Letter | None, Letter | None],
    on: date,
) -> list[Change]:
    """Versions of the letter other than the one compared: added, removed or edited.

    A diff renders the version in force at the run date; a new version that starts
    later must still show (and make the diff fail a CI gate)."""
    old = {x.version: x for x in before.letters if x.id == letter_id}
    new = {x.version: x for x in after.letters if x.id == letter_id}
    compared = {x.version for x in shown if x is not None}
    changes: list[Change] = []
    for version in [*old, *(v for v in new if v not in old)]:
        if version in compared and version in old and version in new:
            continue
        x, y = old.get(version), new.get(version)
        if x == y:
            continue
        letter = y or x
        assert letter is not None
        period = f"valid from {letter.valid_from}" + (
            f" until {letter.valid_until}" if letter.valid_until else ""
        )
        hint = (
            ""
            if letter.in_force(on)
            else f"; not in force on {on}: see it with --date {letter.valid_from}"
        )
        state = "added" if x is None else "removed" if y is None else "changed"
        changes.append(Change("versions", f"v{version} {state} ({period}{hint})"))
    return changes


# --- words for values -----------------------------------------------------------


def amount(value: Decimal) -> str:
    whole = f"{value:,.2f}".replace(",", " ").removesuffix(".00").replace(".", ",")
    return f"{whole} €"


def band(debt: DebtBand | None) -> str:
    if debt is None or (debt.min is None and debt.max is None):
        return "any debt"
    if debt.min is not None and debt.max is not None:
        return f"from {amount(debt.min)} to under {amount(debt.max)}"
    if debt.min is not None:
        return f"{amount(debt.min)} or more"
    assert debt.max is not None
    return f"under {amount(debt.max)}"


def _quote(value: object) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, str):
        return f"« {value} »"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _was(before: object, after: object) -> str:
    return f"{_quote(before)} → {_quote(after)}"


def _list_change(before: Sequence[str], after: Sequence[str]) -> str | None:
    added = [x for x in after if x not in before]
    removed = [x for x in before if x not in after]
    parts = []
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    if not parts and list(before) != list(after):
        parts.append("order " + ", ".join(before) + " → " + ", ".join(after))
    return "; ".join(parts) or None


# --- a letter -----------------------------------------------------------------


def conditions_changes(a: Conditions, b: Conditions) -> list[Change]:
    changes: list[Change] = []
    if a.territories != b.territories:
        text = _list_change(
            a.territories or ["every territory"], b.territories or ["every territory"]
        )
        changes.append(Change("conditions", f"territories {text}"))
    if a.landlord_types != b.landlord_types:
        changes.append(
            Change(
                "conditions",
                "landlord types " + _was(a.landlord_types or ["any"], b.landlord_types or ["any"]),
            )
        )
    if a.debt != b.debt:
        details = []
        low_a = a.debt.min if a.debt else None
        low_b = b.debt.min if b.debt else None
        high_a = a.debt.max if a.debt else None
        high_b = b.debt.max if b.debt else None
        if low_a != low_b:
            details.append(f"lower limit {_limit(low_a)} → {_limit(low_b)}")
        if high_a != high_b:
            details.append(f"upper limit {_limit(high_a)} → {_limit(high_b)}")
        changes.append(
            Change(
                "debt band",
                f"{band(a.debt)} → {band(b.debt)} ({'; '.join(details)})",
            )
        )
    if a.caf_recipient != b.caf_recipient:
        words = {None: "any household", True: "CAF recipients only", False: "non-recipients only"}
        changes.append(
            Change("conditions", f"CAF: {words[a.caf_recipient]} → {words[b.caf_recipient]}")
        )
    return changes


def _limit(value: Decimal | None) -> str:
    return amount(value) if value is not None else "none"


def letter_changes(before: Catalog, a: Letter, after: Catalog, b: Letter, on: date) -> list[Change]:
    """Every difference between two versions of a letter's entry and the data it prints."""
    changes: list[Change] = []
    if a.version != b.version:
        changes.append(Change("version", f"{a.version} → {b.version}"))
    for name, topic in (("title", "title"), ("kind", "kind"), ("falc", "FALC level")):
        if getattr(a, name) != getattr(b, name):
            changes.append(Change(topic, _was(getattr(a, name), getattr(b, name))))
    if a.sender != b.sender:
        changes.append(Change("sender", _was(a.sender, b.sender)))
    if a.stage != b.stage:
        changes.append(
            Change("stage", _was(before.stage(a.stage).label, after.stage(b.stage).label))
        )
    changes += conditions_changes(a.conditions, b.conditions)
    if a.valid_from != b.valid_from:
        changes.append(Change("validity", f"valid from {a.valid_from} → {b.valid_from}"))
    if a.valid_until != b.valid_until:
        changes.append(
            Change(
                "validity",
                f"valid until {a.valid_until or 'no end'} → {b.valid_until or 'no end'}",
            )
        )
    if a.in_force(on) != b.in_force(on):
        state = {True: "in force", False: "not in force"}
        changes.append(
            Change("validity", f"on {on}: {state[a.in_force(on)]} → {state[b.in_force(on)]}")
        )
    if a.templates.html != b.templates.html:
        changes.append(Change("template", _was(a.templates.html, b.templates.html)))
    basis_a = [x.text for x in a.legal_basis]
    basis_b = [x.text for x in b.legal_basis]
    for text in basis_b:
        if text not in basis_a:
            changes.append(Change("legal basis", f"added « {text} »"))
    for text in basis_a:
        if text not in basis_b:
            changes.append(Change("legal basis", f"removed « {text} »"))
    if a.contacts != b.contacts:
        text = _list_change(a.contacts, b.contacts) or ""
        if a.contacts[:1] != b.contacts[:1]:
            text += f"; to call first: {_quote(a.contacts[:1])} → {_quote(b.contacts[:1])}"
        changes.append(Change("contacts", text.lstrip("; ")))
    if a.supersedes != b.supersedes:
        changes.append(Change("supersedes", _list_change(a.supersedes, b.supersedes) or ""))
    changes += qr_changes(before, a, after, b)
    territories = _territories(before, a) | _territories(after, b)
    changes += sender_changes(before, a, after, b, territories)
    kinds = [*a.contacts, *(k for k in b.contacts if k not in a.contacts)]
    changes += directory_changes(before, after, kinds, territories)
    changes += fact_changes(before, a, after, b, on, territories)
    return changes


def _territories(catalog: Catalog, letter: Letter) -> set[str]:
    return set(letter.conditions.territories or [t.id for t in catalog.territories])


def qr_changes(before: Catalog, a: Letter, after: Catalog, b: Letter) -> list[Change]:
    if a.qr != b.qr:
        old = before.qr_target(a.qr).url if a.qr else None
        new = after.qr_target(b.qr).url if b.qr else None
        return [Change("QR code", f"target {_quote(a.qr)} → {_quote(b.qr)} ({old} → {new})")]
    if a.qr is None or b.qr is None:
        return []
    x, y = before.qr_target(a.qr), after.qr_target(b.qr)
    changes = []
    if x.url != y.url:
        changes.append(Change("QR code", f"leads to {x.url} → {y.url}"))
        if y.printed_url.removeprefix("www.") not in y.url:
            # the tenant who cannot scan types the printed address: it must lead there too
            changes.append(
                Change(
                    "QR code",
                    f"check: the printed address « {y.printed_url} » is not part of the new URL",
                )
            )
    for name in ("caption", "printed_url", "title"):
        if getattr(x, name) != getattr(y, name):
            label = name.replace("_", " ")
            changes.append(Change("QR code", f"{label} {_was(getattr(x, name), getattr(y, name))}"))
    return changes


def sender_changes(
    before: Catalog, a: Letter, after: Catalog, b: Letter, territories: Iterable[str]
) -> list[Change]:
    x = before.document.senders.get(a.sender)
    y = after.document.senders.get(b.sender)
    if x is None or y is None or a.sender != b.sender:
        return []
    changes = []
    for name in ("name", "short_name", "authority", "layout"):
        if getattr(x, name) != getattr(y, name):
            changes.append(
                Change(
                    "sender", f"{name.replace('_', ' ')} {_was(getattr(x, name), getattr(y, name))}"
                )
            )
    for territory in sorted(territories):
        ox, oy = x.offices.get(territory), y.offices.get(territory)
        if ox == oy:
            continue
        if ox is None or oy is None:
            state = "added" if ox is None else "removed"
            changes.append(Change("sender", f"office for {territory} {state}"))
            continue
        for name in ("unit", "place", "contact"):
            if getattr(ox, name) != getattr(oy, name):
                changes.append(
                    Change(
                        "sender",
                        f"{territory} office {name} {_was(getattr(ox, name), getattr(oy, name))}",
                    )
                )
    return changes


def _entries(
    catalog: Catalog, kinds: Sequence[str], territories: set[str]
) -> dict[str, ContactEntry]:
    found: dict[str, ContactEntry] = {}
    for directory, entry in catalog.directories.entries():
        if entry.kind in kinds and directory.territory in (None, *territories):
            found[entry.id] = entry
    return found


def _entry_label(catalog: Catalog, entry: ContactEntry) -> str:
    return f"{entry.name} [{entry.id}]"


def _phones(entry: ContactEntry) -> list[str]:
    return [p.number + (f" ({p.label})" if p.label else "") for p in entry.phones]


def directory_changes(
    before: Catalog, after: Catalog, kinds: Sequence[str], territories: set[str]
) -> list[Change]:
    """Directory entries of the letter's contact kinds, in its territories, matched by id."""
    x = _entries(before, kinds, territories)
    y = _entries(after, kinds, territories)
    changes: list[Change] = []
    for entry_id in [*x, *(i for i in y if i not in x)]:
        old, new = x.get(entry_id), y.get(entry_id)
        if old == new:
            continue
        if old is None or new is None:
            state = "new entry" if old is None else "entry removed"
            shown = new if new is not None else old
            assert shown is not None
            catalog = after if new is not None else before
            phones = ", ".join(_phones(shown)) or "no phone"
            changes.append(Change("contacts", f"{state}: {_entry_label(catalog, shown)}, {phones}"))
            continue
        label = _entry_label(after, new)
        if _phones(old) != _phones(new):
            gone = [p for p in _phones(old) if p not in _phones(new)]
            came = [p for p in _phones(new) if p not in _phones(old)]
            text = (
                f"phone {', '.join(gone) or '(none)'} → {', '.join(came) or '(none)'}"
                if gone or came
                else f"phones reordered: {', '.join(_phones(new))}"
            )
            changes.append(Change("contacts", f"{label}: {text}"))
        for name in ("kind", "name", "address", "email", "url", "hours", "serves", "note"):
            if getattr(old, name) != getattr(new, name):
                changes.append(
                    Change(
                        "contacts",
                        f"{label}: {name} {_was(getattr(old, name), getattr(new, name))}",
                    )
                )
        if old.verified_on != new.verified_on or old.source != new.source:
            changes.append(
                Change(
                    "contacts",
                    f"{label}: verified {old.verified_on or 'never'} → {new.verified_on or 'never'}"
                    + (
                        f"; source {_was(old.source, new.source)}"
                        if old.source != new.source
                        else ""
                    ),
                )
            )
    return changes


# Facts a template prints: ``facts.<id>`` in the letter and every template it includes.
_FACT_REF = re.compile(r"\bfacts\.([a-z0-9_]+)")
_LAW_REF = re.compile(r"\blaw\.([a-z0-9_]+)")
_INCLUDE = re.compile(r"""{%-?\s*(?:include|extends|import|from)\s+["']([^"']+)["']""")


def template_facts(catalog: Catalog, template: str) -> set[str]:
    found: set[str] = set()
    seen: set[str] = set()
    queue = [template]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        path = catalog.template_root / name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found.update(_FACT_REF.findall(text))
        for name in _LAW_REF.findall(text):
            found.update(LAW_FACTS.get(name, ()))
        queue.extend(_INCLUDE.findall(text))
    return found


def _fact_words(fact: Fact | None) -> str:
    if fact is None:
        return "(none)"
    until = f" until {fact.valid_until}" if fact.valid_until else ""
    return f"« {fact.text} » (from {fact.valid_from}{until}; {fact.source})"


def fact_changes(
    before: Catalog, a: Letter, after: Catalog, b: Letter, on: date, territories: set[str]
) -> list[Change]:
    """Facts the letter prints, as in force at the run date, and their other periods."""
    ids = sorted(template_facts(before, a.templates.html) | template_facts(after, b.templates.html))
    changes: list[Change] = []
    for fact_id in ids:
        reported = False
        for territory in sorted(territories):
            old = before.facts_for(territory, on).get(fact_id)
            new = after.facts_for(territory, on).get(fact_id)
            if old == new:
                continue
            parts = []
            if (old and old.text) != (new and new.text):
                parts.append(
                    f"prints {_quote(old.text if old else None)} → {_quote(new.text if new else None)}"
                )
            if old and new and old.source != new.source:
                parts.append(f"source {_was(old.source, new.source)}")
            if (
                old
                and new
                and (old.valid_from, old.valid_until) != (new.valid_from, new.valid_until)
            ):
                parts.append(
                    f"in force from {old.valid_from} until {old.valid_until or 'no end'} → "
                    f"from {new.valid_from} until {new.valid_until or 'no end'}"
                )
            if old and new and old.label != new.label:
                parts.append(f"label {_was(old.label, new.label)}")
            where = "" if len(territories) == 1 else f" ({territory})"
            changes.append(Change("legal facts", f"{fact_id}{where} on {on}: " + "; ".join(parts)))
            reported = True
        if not reported:
            periods_a = sorted(_fact_words(f) for f in before.document.facts if f.id == fact_id)
            periods_b = sorted(_fact_words(f) for f in after.document.facts if f.id == fact_id)
            if periods_a != periods_b:
                changes.append(
                    Change(
                        "legal facts",
                        f"{fact_id}: other periods changed ({'; '.join(periods_a) or 'none'} → "
                        f"{'; '.join(periods_b) or 'none'})",
                    )
                )
    return _dedupe_territories(changes)


def _dedupe_territories(changes: list[Change]) -> list[Change]:
    """One line when every territory saw the same change."""
    plain: dict[str, list[str]] = {}
    for change in changes:
        key = re.sub(r" \([a-z0-9-]+\) on ", " on ", change.text)
        plain.setdefault(key, []).append(change.text)
    return [Change("legal facts", key) for key in plain]


# --- the whole catalogue ---------------------------------------------------------


def catalog_changes(before: Catalog, after: Catalog) -> list[Change]:
    """What changed outside the letters: sections every letter depends on."""
    a, b = before.document, after.document
    changes: list[Change] = []
    if a.catalog != b.catalog:
        changes.append(
            Change("catalogue", f"version {_was(a.catalog.version, b.catalog.version)}")
            if a.catalog.name == b.catalog.name
            else Change("catalogue", f"name {_was(a.catalog.name, b.catalog.name)}")
        )
    for section, label in (
        ("territories", "territory"),
        ("stages", "stage"),
        ("qr", "QR target"),
        ("sources", "partner file"),
    ):
        old = {x.id: x for x in getattr(a, section)}
        new = {x.id: x for x in getattr(b, section)}
        for item_id in [*old, *(i for i in new if i not in old)]:
            if item_id not in new:
                changes.append(Change(section, f"{label} {item_id} removed"))
            elif item_id not in old:
                changes.append(Change(section, f"{label} {item_id} added"))
            elif old[item_id] != new[item_id]:
                fields = [
                    name
                    for name in type(new[item_id]).model_fields
                    if getattr(old[item_id], name) != getattr(new[item_id], name)
                ]
                changes.append(Change(section, f"{label} {item_id}: {', '.join(fields)} changed"))
    fact_ids = list(dict.fromkeys([*(f.id for f in a.facts), *(f.id for f in b.facts)]))
    for fact_id in fact_ids:
        old_facts = [f for f in a.facts if f.id == fact_id]
        new_facts = [f for f in b.facts if f.id == fact_id]
        if old_facts != new_facts:
            old_words = "; ".join(_fact_words(f) for f in old_facts) or "(none)"
            new_words = "; ".join(_fact_words(f) for f in new_facts) or "(none)"
            changes.append(Change("legal facts", f"{fact_id}: {old_words} → {new_words}"))
    if a.contacts.kinds != b.contacts.kinds:
        for kind in dict.fromkeys([*a.contacts.kinds, *b.contacts.kinds]):
            if a.contacts.kinds.get(kind) != b.contacts.kinds.get(kind):
                changes.append(
                    Change(
                        "contacts",
                        f"kind {kind} printed as {_was(a.contacts.kinds.get(kind), b.contacts.kinds.get(kind))}",
                    )
                )
    for name in ("review_after_months", "max_age_months", "directories"):
        if getattr(a.contacts, name) != getattr(b.contacts, name):
            changes.append(
                Change(
                    "contacts",
                    f"{name.replace('_', ' ')} {_was(getattr(a.contacts, name), getattr(b.contacts, name))}",
                )
            )
    changes += _directory_files(before, after)
    if a.matching != b.matching:
        changes.append(Change("matching", f"{a.matching} → {b.matching}"))
    if a.chain != b.chain:
        changes.append(
            Change("chain", "coordination rules changed (min intervals or exclusive groups)")
        )
    if a.senders.keys() != b.senders.keys():
        changes.append(Change("senders", _list_change(list(a.senders), list(b.senders)) or ""))
    return changes


def _directory_files(before: Catalog, after: Catalog) -> list[Change]:
    """Directory entries changed, whatever letter prints them (counts only: letters say which)."""
    old = {e.id: e for _, e in before.directories.entries()}
    new = {e.id: e for _, e in after.directories.entries()}
    added = [i for i in new if i not in old]
    removed = [i for i in old if i not in new]
    changed = [i for i in new if i in old and old[i] != new[i]]
    parts = []
    for words, ids in (("changed", changed), ("added", added), ("removed", removed)):
        if ids:
            parts.append(f"{words} {', '.join(ids)}")
    return [Change("contact directories", "; ".join(parts))] if parts else []
