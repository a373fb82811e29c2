"""A group of cases → one :class:`Household` with merged facts.

Rules, stated once: the stage is the most advanced one; the debt and the other
facts come from the most recent act (by act date; a case without a date counts
as older; equal dates → higher source priority, then the later row read);
a fact missing there is taken from the other cases, most recent first.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pexmail.catalog.load import Catalog
from pexmail.model import Case, Household

_FILLABLE = (
    "given_name",
    "civility",
    "landlord_type",
    "landlord_name",
    "debt",
    "monthly_rent",
    "act_date",
    "hearing_date",
    "lease_date",
    "caf_recipient",
    "phone",
    "email",
    "language",
)


def merge_household(key: str, cases: list[Case], catalog: Catalog) -> Household:
    priority = {source.id: source.priority for source in catalog.sources}
    ordered = sorted(
        enumerate(cases),
        key=lambda item: (
            item[1].act_date or date.min,
            priority.get(item[1].source_id, 0),
            item[0],
        ),
        reverse=True,
    )
    recent = [case for _, case in ordered]
    primary = recent[0]
    stage = max((c.stage for c in cases), key=catalog.stage_rank)
    updates: dict[str, object] = {"stage": stage}
    notes: list[str] = []
    for name in _FILLABLE:
        if getattr(primary, name) in (None, ""):
            for other in recent[1:]:
                value = getattr(other, name)
                if value not in (None, ""):
                    updates[name] = value
                    break
    debts = {c.debt for c in cases if c.debt is not None}
    if len(debts) > 1:
        notes.append(
            f"debts differ between {len(cases)} rows; kept the one of the most recent act "
            f"({primary.location.file}:{primary.location.row})"
        )
    if len(cases) > 1 and stage != primary.stage:
        notes.append(f"stage {stage!r} taken from another row than the debt")
    return Household(
        key=key, cases=tuple(cases), facts=replace(primary, **updates), notes=tuple(notes)
    )
