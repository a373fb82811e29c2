"""The « Séance CLIL » page: the households seen in a session → their letters, printed.

The secretariat types the households (or uploads the session's CSV), previews one
household's letter, then prints: the rows become a CSV in the catalogue's
``clil-seance`` columns and go through the same batch as any upload (a job of the
organisation, with its progress, summary, rejects and print files on the Lot page).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pexmail.catalog.load import Catalog
from pexmail.service.api import read_uploads
from pexmail.service.intake import (
    Problem,
    Upload,
    accept_job,
    parse_date,
    preview_letter,
    read_one_case,
    rows_to_csv,
)
from pexmail.service.pages import _form, render, require_login

router = APIRouter(include_in_schema=False)

SOURCE = "clil-seance"
DEFAULT_ROWS = 5
MAX_ROWS = 60
# The fields the form asks for, in the order a secretariat reads a session's sheet.
FIELDS: tuple[tuple[str, str], ...] = (
    ("case_id", "Référence"),
    ("civility", "Civilité"),
    ("family_name", "Nom"),
    ("given_name", "Prénom"),
    ("street", "N° et voie"),
    ("complement", "Bât., esc., appt"),
    ("postcode", "Code postal"),
    ("commune", "Ville"),
    ("landlord_type", "Parc"),
    ("landlord_name", "Bailleur"),
    ("debt", "Dette (€)"),
    ("stage", "Étape"),
    ("act_date", "Date du dernier acte"),
    ("hearing_date", "Date d'audience"),
    ("caf_recipient", "Allocataire Caf"),
)


def _row_count(value: Any) -> int:
    try:
        return max(1, min(int(value), MAX_ROWS))
    except (TypeError, ValueError):
        return DEFAULT_ROWS


def recommendations(catalog: Catalog) -> list[tuple[str, str]]:
    """(id, label) of the items a CLIL may tick, when the catalogue lists them and the
    session's source has a column for them (the chain content of issue 3)."""
    source = catalog.source(SOURCE)
    items = getattr(catalog.document, "recommendations", None) or []
    if source is None or "recommendations" not in source.columns:
        return []
    return [(item.id, item.label) for item in items]


def _rows_from_form(form: Any, count: int) -> list[tuple[int, dict[str, str]]]:
    """(row number on the page, fields) of every row with something typed in it."""
    rows = []
    for index in range(1, count + 1):
        fields = {
            name: value.strip()
            for name, _ in FIELDS
            if isinstance(value := form.get(f"m{index}_{name}"), str) and value.strip()
        }
        ticked = [v for v in form.getlist(f"m{index}_recommendations") if isinstance(v, str)]
        if ticked:
            # The reader takes ids, labels or aliases separated by « ; ».
            fields["recommendations"] = " ; ".join(ticked)
        if fields:
            fields.setdefault("case_id", f"CLIL-{index}")
            rows.append((index, fields))
    return rows


def _page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    catalog: Catalog = request.app.state.catalog
    context.setdefault("lignes", DEFAULT_ROWS)
    context.setdefault("valeurs", {})
    context.setdefault("coches", {})
    return render(
        request,
        "clil.html.j2",
        status=status,
        title="Séance CLIL",
        fields=FIELDS,
        stages=[(s.id, s.label) for s in catalog.stages],
        recommandations=recommendations(catalog),
        today=date.today().isoformat(),
        **context,
    )


@router.get("/clil", response_class=HTMLResponse)
def clil_page(request: Request, lignes: int | None = None) -> HTMLResponse:
    require_login(request)
    return _page(request, lignes=_row_count(lignes or DEFAULT_ROWS))


@router.post("/clil", response_class=HTMLResponse)
async def clil_submit(request: Request) -> Response:
    org = require_login(request)
    form = await _form(request)
    state = request.app.state
    catalog: Catalog = state.catalog
    count = _row_count(form.get("lignes"))
    values = {k: v for k, v in form.multi_items() if isinstance(v, str) and k.startswith("m")}
    ticked = {
        (k, v)
        for k, v in form.multi_items()
        if isinstance(v, str) and k.endswith("_recommendations")
    }
    action = form.get("action")
    if action == "ajouter":
        return _page(request, lignes=min(count + 5, MAX_ROWS), valeurs=values, coches=ticked)
    try:
        on = parse_date(form.get("date") if isinstance(form.get("date"), str) else None)
        files = [f for f in form.getlist("fichier") if not isinstance(f, str) and f.filename]
        rows = _rows_from_form(form, count)
        preview_of = form.get("apercu")
        if isinstance(preview_of, str) and preview_of.isdigit():
            chosen = [fields for index, fields in rows if index == int(preview_of)]
            if not chosen:
                raise Problem(
                    422, "empty_row", f"La ligne {preview_of} est vide : rien à prévisualiser."
                )
            data, source = rows_to_csv(catalog, chosen, SOURCE)
            case = read_one_case(catalog, data, f"ligne {preview_of}", on, source)
            preview = preview_letter(catalog, case, on, None, "pdf")
            return Response(
                preview.data,
                media_type=preview.media_type,
                headers={"Content-Disposition": f'inline; filename="{preview.filename}"'},
            )
        uploads = await read_uploads(files)
        if rows:
            data, _ = rows_to_csv(catalog, [fields for _, fields in rows], SOURCE)
            uploads.append(Upload(f"seance-clil-{on.isoformat()}.csv", data))
        if not uploads:
            raise Problem(
                422,
                "no_household",
                "Aucun ménage : remplissez au moins une ligne, ou joignez le fichier de la séance.",
            )
        status = accept_job(
            config=state.config,
            catalog=catalog,
            store=state.store,
            runner=state.runner,
            organisation=org.id,
            uploads=uploads,
            run_date=on,
            formats=("pdf",),
        )
    except Problem as problem:
        return _page(request, status=problem.status, probleme=problem, lignes=count, valeurs=values)
    return RedirectResponse(f"/lot/{status.id}", status_code=303)
