"""The web pages: server-rendered, in French, usable with a keyboard and without JavaScript.

Jinja2 here is the ordinary autoescaping environment over ``service/templates``
(the letters' sandbox is for letters). Each form carries a CSRF token; the
pages share every check and message with the API through ``intake.py``.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from pexmail import __version__
from pexmail.service import auth
from pexmail.service.api import catalog_listing, contacts_listing, read_uploads
from pexmail.service.config import Organisation
from pexmail.service.intake import (
    Problem,
    accept_job,
    parse_date,
    parse_formats,
)
from pexmail.service.jobs import ACTIVE, DONE, JobStatus

HERE = Path(__file__).resolve().parent
router = APIRouter(include_in_schema=False)

ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

STATES = {
    "queued": "en attente",
    "running": "en cours",
    "done": "terminé",
    "failed": "échoué",
    "cancelled": "annulé",
}
ENV.filters["etat"] = lambda state: STATES.get(state, state)
ENV.filters["date_fr"] = lambda iso: (
    f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if isinstance(iso, str) and len(iso) >= 10 else iso
)
ENV.filters["nombre"] = lambda n: f"{n:,}".replace(",", "\u202f") if isinstance(n, int) else n


# The navigation, in the order of the chain; each module adding a page adds it here.
PAGES: list[tuple[str, str]] = [
    ("/notice", "Notice"),
    ("/clil", "Séance CLIL"),
    ("/lot", "Lot"),
    ("/catalogue", "Catalogue"),
]


class LoginRequired(Exception):
    pass


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    config = request.app.state.config
    context.setdefault("org", auth.page_organisation(request))
    html = ENV.get_template(template).render(
        request=request,
        csrf=auth.csrf_token(request),
        version=__version__,
        public_notice=config.public_notice,
        path=request.url.path,
        pages=PAGES,
        page_paths={href for href, _ in PAGES},
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(auth.CSRF_COOKIE) != auth.csrf_seed(request):
        response.set_cookie(
            auth.CSRF_COOKIE,
            auth.csrf_seed(request),
            httponly=True,
            samesite="lax",
            secure=auth.secure(request),
            path="/",
        )
    return response


def require_login(request: Request) -> Organisation:
    org = auth.page_organisation(request)
    if org is None:
        raise LoginRequired()
    return org


def _local(target: str | None) -> str:
    """Only paths of this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def _form(request: Request) -> Any:
    form = await request.form()
    if not auth.check_csrf(
        request, form.get("csrf") if isinstance(form.get("csrf"), str) else None
    ):
        raise Problem(
            403,
            "csrf",
            "Le formulaire a expiré ou ne vient pas de ce site. Rechargez la page et recommencez.",
        )
    return form


# -- home, login --------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "accueil.html.j2", title="Accueil")


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request, suite: str | None = None) -> HTMLResponse:
    return render(request, "connexion.html.j2", title="Connexion", suite=_local(suite))


@router.post("/connexion", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await _form(request)
    token = form.get("cle")
    suite = _local(form.get("suite") if isinstance(form.get("suite"), str) else None)
    org = (
        request.app.state.config.organisation_for_token(token)
        if isinstance(token, str) and token.strip()
        else None
    )
    if org is None:
        return render(
            request,
            "connexion.html.j2",
            status=401,
            title="Connexion",
            suite=suite,
            erreur="Cette clé d'accès n'est pas reconnue. Vérifiez-la ou demandez-en une à "
            "l'administrateur du service.",
        )
    response = RedirectResponse(suite, status_code=303)
    auth.set_session(response, request, org)
    return response


@router.post("/deconnexion")
async def logout(request: Request) -> Response:
    await _form(request)
    response = RedirectResponse("/", status_code=303)
    auth.clear_session(response)
    return response


# -- batch ----------------------------------------------------------------------------------
@router.get("/lot", response_class=HTMLResponse)
def batch_page(request: Request) -> HTMLResponse:
    org = require_login(request)
    return _batch_form(request, org)


def _batch_form(
    request: Request, org: Organisation, status: int = 200, **extra: Any
) -> HTMLResponse:
    runner = request.app.state.runner
    jobs = [runner.status(org.id, s.id) or s for s in request.app.state.store.list(org.id)]
    limits = request.app.state.config.limits
    return render(
        request,
        "lot.html.j2",
        status=status,
        title="Lot",
        jobs=jobs,
        today=date.today().isoformat(),
        max_mb=f"{limits.upload_max_bytes / (1024 * 1024):.3g}".replace(".", ","),
        max_files=limits.upload_max_files,
        retention_days=request.app.state.config.retention.days,
        **extra,
    )


@router.post("/lot", response_class=HTMLResponse)
async def batch_submit(request: Request) -> Response:
    org = require_login(request)
    form = await _form(request)
    files = [f for f in form.getlist("fichiers") if not isinstance(f, str)]
    state = request.app.state
    try:
        formats = [f for f in form.getlist("formats") if isinstance(f, str)]
        status = accept_job(
            config=state.config,
            catalog=state.catalog,
            store=state.store,
            runner=state.runner,
            organisation=org.id,
            uploads=await read_uploads(files),
            run_date=parse_date(form.get("date") if isinstance(form.get("date"), str) else None),
            formats=parse_formats(formats or ["pdf"]),
        )
    except Problem as problem:
        return _batch_form(request, org, status=problem.status, probleme=problem)
    return RedirectResponse(f"/lot/{status.id}", status_code=303)


def _page_job(request: Request, org: Organisation, job_id: str) -> JobStatus:
    status = request.app.state.runner.status(org.id, job_id)
    if status is None or status.organisation != org.id:
        raise Problem(
            404,
            "no_such_job",
            "Ce lot n'existe pas, ou plus (les lots sont effacés "
            "après la durée de conservation), ou il appartient à une autre organisation.",
        )
    return status


@router.get("/lot/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str) -> HTMLResponse:
    org = require_login(request)
    status = _page_job(request, org, job_id)
    rejects: list[list[str]] = []
    more = 0
    if status.state == DONE:
        rejects, more = _first_rejects(request, org, job_id)
    return render(
        request,
        "lot_suivi.html.j2",
        title=f"Lot du {status.created_at[8:10]}/{status.created_at[5:7]}/{status.created_at[:4]}",
        job=status,
        running=status.state in ACTIVE,
        rejects=rejects,
        more_rejects=more,
        suppression_labels=SUPPRESSION_LABELS,
    )


# Suppression codes (chain/plan.py, output/ledger.py, pipeline.py) in words for the page.
SUPPRESSION_LABELS = {
    "no_letter_due": "aucun courrier du catalogue ne correspond à la situation du ménage",
    "superseded": "une étape plus avancée de la procédure remplace ce courrier",
    "superseded_by_letter": "un autre courrier envoyé au ménage le remplace",
    "exclusive": "ce courrier ne part pas avec un autre courrier du même envoi",
    "already_sent": "déjà envoyé à ce ménage pour le même acte",
    "min_interval": "un courrier a été envoyé il y a trop peu de temps",
    "in_progress": "un autre lot produit ce courrier en ce moment",
    "stale_contact": "un contact à imprimer n'est plus vérifié (document refusé)",
    "render_error": "le document n'a pas pu être produit",
    "address_unprintable": "l'adresse ne tient pas dans la fenêtre de l'enveloppe",
    "cover_refused": "la page de garde de l'envoi groupé n'a pas pu être produite",
}


def _first_rejects(
    request: Request, org: Organisation, job_id: str, limit: int = 50
) -> tuple[list[list[str]], int]:
    path = request.app.state.store.job_dir(org.id, job_id) / "out" / "rejects.csv"
    if not path.is_file():
        return [], 0
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    body = rows[1:]
    return body[:limit], max(len(body) - limit, 0)


@router.get("/lot/{job_id}/etat")
def job_state(request: Request, job_id: str) -> JSONResponse:
    """For the progress bar's script: the page works without it (it refreshes itself)."""
    org = require_login(request)
    status = _page_job(request, org, job_id)
    return JSONResponse(
        {
            "state": status.state,
            "label": STATES.get(status.state),
            "percent": status.progress.get("percent", 0),
        }
    )


@router.get("/lot/{job_id}/resultat.zip")
def job_zip(request: Request, job_id: str) -> FileResponse:
    org = require_login(request)
    path = _done_file(request, org, job_id, "output.zip")
    return FileResponse(path, media_type="application/zip", filename=f"pexmail-{job_id}.zip")


@router.get("/lot/{job_id}/rejets.csv")
def job_rejects(request: Request, job_id: str) -> FileResponse:
    org = require_login(request)
    path = _done_file(request, org, job_id, "out/rejects.csv")
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"rejets-{job_id}.csv")


def _done_file(request: Request, org: Organisation, job_id: str, relative: str) -> Path:
    status = _page_job(request, org, job_id)
    if status.state != DONE:
        raise Problem(409, "not_done", "Ce lot n'est pas terminé : ses fichiers ne sont pas prêts.")
    path = request.app.state.store.job_dir(org.id, job_id) / relative
    if not path.is_file():
        raise Problem(404, "no_such_file", "Ce fichier n'existe pas dans ce lot.")
    return path


@router.post("/lot/{job_id}/supprimer")
async def job_delete(request: Request, job_id: str) -> Response:
    org = require_login(request)
    await _form(request)
    _page_job(request, org, job_id)
    request.app.state.runner.cancel(org.id, job_id)
    request.app.state.store.delete(org.id, job_id)
    return RedirectResponse("/lot", status_code=303)


# -- catalogue ----------------------------------------------------------------------------
@router.get("/catalogue", response_class=HTMLResponse)
def catalogue_page(request: Request) -> HTMLResponse:
    require_login(request)
    today = date.today()
    catalog = request.app.state.catalog
    listing = catalog_listing(catalog, today)
    contacts = contacts_listing(catalog, today)
    senders = {k: v.name for k, v in catalog.document.senders.items()}
    stages = {s.id: s.label for s in catalog.stages}
    territories = {t.id: t.name for t in catalog.territories}
    return render(
        request,
        "catalogue.html.j2",
        title="Catalogue",
        listing=listing,
        contacts=contacts,
        senders=senders,
        stages=stages,
        territories=territories,
        groups=_contact_groups(contacts["entries"], territories),
    )


def _contact_groups(
    entries: list[dict[str, Any]], territories: dict[str, str]
) -> list[dict[str, Any]]:
    """Contacts per territory (national first), stale ones first, then those to review."""
    order = {None: 0, **{t: i + 1 for i, t in enumerate(territories)}}
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry["territory"], []).append(entry)
    result = []
    for territory in sorted(groups, key=lambda t: order.get(t, len(order))):
        items = sorted(
            groups[territory], key=lambda e: (not e["stale"], not e["review"], e["name"])
        )
        result.append(
            {
                "id": territory or "national",
                "name": territories.get(territory, "National") if territory else "National",
                "entries": items,
                "stale": sum(1 for e in items if e["stale"]),
                "review": sum(1 for e in items if e["review"]),
                "current": sum(1 for e in items if not e["stale"] and not e["review"]),
            }
        )
    return result


# -- errors -------------------------------------------------------------------------------
def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def install_error_pages(app: FastAPI) -> None:
    """JSON ``{"error": {...}}`` under /api, a French page elsewhere; a login page on 401."""

    @app.exception_handler(Problem)
    async def problem_handler(request: Request, exc: Problem) -> Response:
        if _is_api(request):
            return JSONResponse({"error": exc.as_dict()}, status_code=exc.status)
        return render(request, "erreur.html.j2", status=exc.status, title="Erreur", probleme=exc)

    @app.exception_handler(LoginRequired)
    async def login_handler(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/connexion?suite={quote(request.url.path)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_handler(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"error": {"code": f"http_{exc.status_code}", "message": str(exc.detail)}},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        problem = Problem(
            exc.status_code,
            f"http_{exc.status_code}",
            "Cette page n'existe pas." if exc.status_code == 404 else str(exc.detail),
        )
        return render(
            request, "erreur.html.j2", status=exc.status_code, title="Erreur", probleme=problem
        )

    @app.exception_handler(RequestValidationError)
    async def validation_handler(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's default echoes the input: it may be a case file's content. Fields only.
        details = [
            {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return JSONResponse(
            {"error": {"code": "bad_request", "message": message, "details": details}},
            status_code=422,
        )


__all__ = ["HTTPException", "install_error_pages", "router"]
