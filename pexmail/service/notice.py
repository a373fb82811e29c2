"""Notices on demand, for a commissaire de justice's office drafting an act.

API: ``GET /api/notice`` (the document), ``GET /api/notice/acts``, ``GET /api/places``.
Page: ``/notice`` (choose the act, type the commune or postcode with suggestions,
download PDF or Word). Both call :func:`pexmail.notices.render_notice`, as
``pexmail notice`` does. Open without a token when the config says
``public_notice: true``; otherwise an organisation's token or login is needed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from pexmail.catalog.load import Catalog
from pexmail.errors import PexmailError
from pexmail.notices import (
    NoticeRefused,
    Place,
    UnknownAct,
    UnknownPlace,
    find_places,
    notice_acts,
    notice_for,
    render_notice,
    resolve_place,
)
from pexmail.render.engine import DEFAULT_ENGINE
from pexmail.render.letter import LetterRenderer, Refused, StaleContacts
from pexmail.service import auth
from pexmail.service.config import Organisation
from pexmail.service.intake import Problem, parse_date, parse_engine
from pexmail.service.pages import LoginRequired, render
from pexmail.textfold import fold

api = APIRouter(prefix="/api", tags=["notice"])
pages = APIRouter(include_in_schema=False)

_PLACE = re.compile(r"^\s*(\d{5})\s*(?:[-–,]?\s*(.*?))?\s*$")


def _api_access(request: Request) -> Organisation | None:
    """The caller's organisation; None is allowed only when the notice is public."""
    org = auth.optional_api_organisation(request)
    if org is None and not request.app.state.config.public_notice:
        auth.api_organisation(request)  # raises the 401 with its message
    return org


def _page_access(request: Request) -> Organisation | None:
    org = auth.page_organisation(request)
    if org is None and not request.app.state.config.public_notice:
        raise LoginRequired()
    return org


def _problem(exc: PexmailError) -> Problem:
    if isinstance(exc, UnknownPlace):
        return Problem(422, "unknown_place", str(exc))
    if isinstance(exc, UnknownAct):
        return Problem(422, "unknown_act", str(exc))
    if isinstance(exc, NoticeRefused):
        return Problem(
            409,
            exc.code,
            f"the notice cannot be issued: {exc.reason}",
            details=[{"contact": c} for c in exc.contact_ids],
        )
    return Problem(422, "notice_error", exc.format_message())


def make_notice(
    catalog: Catalog,
    act: str,
    postcode: str,
    commune: str | None,
    on: date,
    fmt: str,
    allow_stale: bool = False,
    engine: str = DEFAULT_ENGINE,
) -> Response:
    try:
        notice = render_notice(
            catalog,
            act,
            postcode=postcode,
            commune=commune,
            on=on,
            fmt=fmt,
            allow_stale=allow_stale,
            engine=engine,
        )
    except PexmailError as exc:
        raise _problem(exc) from None
    headers = {
        "Content-Disposition": f'attachment; filename="{notice.filename}"',
        "X-Pexmail-Notice": f"{notice.letter_id} v{notice.version}",
        "X-Pexmail-Place": f"{notice.postcode} {fold(notice.commune)}",
    }
    if notice.flags:
        headers["X-Pexmail-Contacts-To-Review"] = ",".join(notice.flags)
    if notice.stale_allowed:
        headers["X-Pexmail-Stale-Contacts"] = ",".join(notice.stale_allowed)
    return Response(notice.data, media_type=notice.media_type, headers=headers)


@api.get(
    "/notice",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/pdf": {},
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {},
            }
        }
    },
)
def get_notice(
    request: Request,
    act: Annotated[str, Query(description="Act id, see /api/notice/acts (e.g. cdp).")],
    postcode: Annotated[str, Query(pattern=r"^\s*\d{5}\s*$")],
    commune: Annotated[str | None, Query(description="Needed when communes share it.")] = None,
    format: Annotated[Literal["pdf", "docx"], Query()] = "pdf",
    on: Annotated[str | None, Query(alias="date", description="YYYY-MM-DD; default today.")] = None,
    allow_stale: Annotated[
        bool, Query(description="Print contacts past their maximum age (token required).")
    ] = False,
    engine: Annotated[
        str | None, Query(description="PDF engine: weasyprint (default) or typst.")
    ] = None,
) -> Response:
    """The notice to annex to an act, with the contacts serving the place (PDF or DOCX).

    A stale contact refuses the notice (409, the contact ids in ``details``); contacts due
    for review are named in the ``X-Pexmail-Contacts-To-Review`` header."""
    org = _api_access(request)
    if allow_stale and org is None:
        raise Problem(401, "token_required", "allow_stale needs an organisation's token")
    return make_notice(
        request.app.state.catalog,
        act,
        postcode,
        commune,
        parse_date(on),
        format,
        allow_stale,
        parse_engine(engine),
    )


@api.get("/notice/acts")
def get_acts(request: Request) -> dict[str, Any]:
    """The acts that have a notice, in procedure order, with their French labels."""
    _api_access(request)
    acts = notice_acts(request.app.state.catalog, date.today())
    return {"acts": [{"id": act, "label": label} for act, label in acts]}


@api.get("/places")
def get_places(
    request: Request,
    q: Annotated[
        str, Query(min_length=1, max_length=60, description="Start of a postcode or commune.")
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Places a notice can be written for: postcodes first, then communes."""
    _api_access(request)
    return {"places": _places(request.app.state.catalog, q, limit)}


def _places(catalog: Catalog, text: str, limit: int) -> list[dict[str, str]]:
    return [
        {
            "postcode": p.postcode,
            "commune": p.commune,
            "territory": p.territory,
            "territory_name": p.territory_name,
            "label": f"{p.postcode} {p.commune}",
        }
        for p in find_places(catalog, text, limit)
    ]


# -- page ---------------------------------------------------------------------------------
def parse_place(catalog: Catalog, text: str) -> tuple[str, str | None, list[dict[str, str]]]:
    """What a person types (« 93100 », « 93100 Montreuil », « Montreuil ») → postcode and
    commune, or the places to choose from."""
    match = _PLACE.match(text)
    if match:
        return match.group(1), (match.group(2) or None), []
    choices = _places(catalog, text, 20)
    exact = [c for c in choices if fold(c["commune"]) == fold(text)]
    if len({(c["postcode"], c["commune"]) for c in exact}) == 1:
        return exact[0]["postcode"], exact[0]["commune"], []
    return "", None, exact or choices


@pages.get("/notice", response_class=HTMLResponse)
def notice_page(
    request: Request,
    acte: str | None = None,
    lieu: str | None = None,
) -> HTMLResponse:
    _page_access(request)
    catalog: Catalog = request.app.state.catalog
    acts = notice_acts(catalog, date.today())
    context: dict[str, Any] = {"acts": acts, "acte": acte or "", "lieu": lieu or ""}
    status = 200
    if acte is not None or lieu is not None:
        errors = {}
        if acte not in {a for a, _ in acts}:
            errors["acte"] = "Choisissez l'acte."
        if not (lieu or "").strip():
            errors["lieu"] = "Tapez le code postal ou le nom de la commune du logement."
        elif "acte" not in errors:
            postcode, commune, choices = parse_place(catalog, lieu)
            if choices:
                context["choix"] = choices
                errors["lieu"] = "Plusieurs lieux correspondent : choisissez-en un ci-dessous."
            elif not postcode:
                errors["lieu"] = (
                    "Ce lieu n'est pas connu. Tapez le code postal à 5 chiffres, par exemple 93100."
                )
            else:
                try:
                    place = resolve_place(catalog, postcode, commune)
                except UnknownPlace as exc:
                    errors["lieu"] = _french_place_error(exc, postcode)
                    context["choix"] = [
                        c for c in _places(catalog, postcode, 20) if c["postcode"] == postcode
                    ]
                else:
                    refusal = _refusal(catalog, acte, place)
                    if refusal:
                        errors["notice"] = refusal
                if "lieu" not in errors and "notice" not in errors:
                    context["pret"] = {
                        "acte": acte,
                        "acte_label": dict(acts)[acte],
                        "postcode": place.postcode,
                        "commune": place.commune,
                        "territoire": place.territory_name,
                    }
        if errors:
            status = 422
        context["erreurs"] = errors
    return render(request, "notice.html.j2", status=status, title="Notice", **context)


def _refusal(catalog: Catalog, act: str, place: Place) -> str | None:
    """Why the notice could not be issued for this place today, in French; None if it can.

    Checked before offering the download (text and contacts, no layout: fast)."""
    try:
        letter = notice_for(catalog, act, place.territory, date.today())
        LetterRenderer(catalog, date.today(), ("pdf",)).prepare_notice(
            letter, place.territory, place.postcode, place.commune
        )
    except UnknownAct:
        return "Il n'y a pas de notice en vigueur pour cet acte sur ce territoire."
    except StaleContacts as exc:
        return (
            "La notice n'est pas produite : un contact qu'elle imprime n'a pas été vérifié "
            "depuis trop longtemps, et le numéro pourrait être faux "
            f"({', '.join(exc.contact_ids)}). Prévenez l'administrateur du service."
        )
    except Refused as exc:
        return f"La notice ne peut pas être produite : {exc.reason}"
    return None


def _french_place_error(exc: UnknownPlace, postcode: str) -> str:
    text = str(exc)
    if "several communes" in text:
        return f"Plusieurs communes ont le code postal {postcode} : choisissez la vôtre ci-dessous."
    if "does not match" in text:
        return f"Cette commune n'a pas le code postal {postcode} : choisissez ci-dessous."
    covered = "; ".join(exc.covered)
    return f"Aucune notice n'est prête pour le code postal {postcode}. Territoires couverts : {covered}."


@pages.get("/notice/document")
def notice_document(
    request: Request,
    acte: str,
    postcode: str,
    commune: str | None = None,
    format: str = "pdf",
) -> Response:
    _page_access(request)
    if format not in ("pdf", "docx"):
        raise Problem(422, "bad_format", "Format inconnu : choisissez PDF ou Word.")
    return make_notice(request.app.state.catalog, acte, postcode, commune, date.today(), format)


@pages.get("/notice/lieux")
def notice_places(request: Request, q: str = "") -> JSONResponse:
    """Suggestions for the page's place field (its script); the form works without it."""
    _page_access(request)
    if not q.strip() or len(q) > 60:
        return JSONResponse({"places": []})
    return JSONResponse({"places": _places(request.app.state.catalog, q, 10)})
