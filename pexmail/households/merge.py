"""A group of cases → one :class:`Household` with merged facts, conflicts reported.

The rule, stated once: the stage is the most advanced one; the debt and the
other facts come from the case with the most recent act (by act date; a case
without a date counts as older), then from the source with the highest
priority in the catalogue, then from the row read last; a fact missing there
is taken from the other cases in the same order. Facts on which rows disagree
are listed in the household's notes (field names and rows, never values).
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
    "recommendations",
    "recommended_by",
)
_EMPTY = (None, "", ())
_COMPARED = ("debt", "landlord_type", "monthly_rent", "caf_recipient", "lease_date", "hearing_date")


def merge_household(key: str, cases: list[Case], catalog: Catalog) -> Household:
    if len(cases) == 1:
        return Household(key=key, cases=tuple(cases), facts=cases[0])
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
        if getattr(primary, name) in _EMPTY:
            for other in recent[1:]:
                value = getattr(other, name)
                if value not in _EMPTY:
                    updates[name] = value
                    break
    # Items ticked for the household in several rows of one body (a CLIL session list and the
    # form its secretariat typed) all stand: combined, most recent row first, and noted.
    body = updates.get("recommended_by", primary.recommended_by)
    ticked = [c.recommendations for c in recent if c.recommendations and c.recommended_by == body]
    if len({tuple(t) for t in ticked}) > 1:
        updates["recommendations"] = tuple(dict.fromkeys(i for t in ticked for i in t))
        notes.append(f"recommendations: combined from {len(ticked)} rows")
    where = f"{primary.location.file}:{primary.location.row}"
    for name in _COMPARED:
        values = {getattr(c, name) for c in cases} - {None, ""}
        if len(values) > 1:
            notes.append(
                f"{name}: {len(values)} different values; kept {where} (most recent act, then source priority)"
            )
    if len(cases) > 1 and stage != primary.stage:
        stage_case = next(c for c in cases if c.stage == stage)
        notes.append(
            f"stage: most advanced, from {stage_case.location.file}:{stage_case.location.row}"
        )
    return Household(
        key=key, cases=tuple(cases), facts=replace(primary, **updates), notes=tuple(notes)
    )
