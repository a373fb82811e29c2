"""The HTTP API under ``/api``, documented by its OpenAPI schema (``/api/openapi.json``).

Every route but ``/api/health`` (and the notice when configured public) needs a
bearer token; a job is looked up in the caller's organisation only, so another
organisation's job is "not found", never "forbidden".
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response

from pexmail.catalog.contacts import freshness
from pexmail.catalog.load import Catalog
from pexmail.service.auth import api_organisation
from pexmail.service.config import Organisation
from pexmail.service.intake import (
    Problem,
    Upload,
    accept_job,
    parse_date,
    parse_engine,
    parse_formats,
    parse_variant,
    preview_letter,
    read_one_case,
    rows_to_csv,
)
from pexmail.service.jobs import DONE, JobStatus

router = APIRouter(prefix="/api")
Org = Annotated[Organisation, Depends(api_organisation)]

# Read uploads in chunks: the size limit is enforced on the request body upstream.
CHUNK = 1 << 20


def error_body(code: str, message: str, **extra: Any) -> str:
    return json.dumps({"error": {"code": code, "message": message, **extra}}, ensure_ascii=False)


def job_json(status: JobStatus) -> dict[str, Any]:
    data = asdict(status)
    base = f"/api/jobs/{status.id}"
    data["links"] = {"self": base}
    if status.state == DONE:
        data["links"].update({"output": f"{base}/output.zip", "rejects": f"{base}/rejects.csv"})
    return data


async def read_uploads(files: list[UploadFile]) -> list[Upload]:
    uploads = []
    for item in files:
        chunks = []
        while chunk := await item.read(CHUNK):
            chunks.append(chunk)
        uploads.append(Upload(item.filename or "", b"".join(chunks)))
    return uploads


def _job(request: Request, org: Organisation, job_id: str) -> JobStatus:
    status = request.app.state.runner.status(org.id, job_id)
    if status is None or status.organisation != org.id:
        raise Problem(404, "no_such_job", "no such job for your organisation")
    return status


def _job_file(request: Request, org: Organisation, job_id: str, relative: str) -> Path:
    status = _job(request, org, job_id)
    if status.state != DONE:
        raise Problem(409, "not_done", f"the job is {status.state}: its files are not ready")
    job_dir = request.app.state.store.job_dir(org.id, job_id)
    path = job_dir / relative
    if not path.is_file():
        raise Problem(404, "no_such_file", "this file is not in the job's output")
    return path


@router.get("/health", tags=["service"])
def health() -> dict[str, str]:
    """Liveness: no token needed, nothing about any organisation."""
    return {"status": "ok"}


@router.post("/jobs", status_code=202, tags=["jobs"])
async def create_job(
    request: Request,
    org: Org,
    files: Annotated[list[UploadFile], File(description="One or more case CSV files.")],
    run_date: Annotated[
        str | None, Form(alias="date", description="YYYY-MM-DD; default today.")
    ] = None,
    formats: Annotated[str, Form(description="pdf, docx or pdf,docx")] = "pdf,docx",
    pdf_variant: Annotated[str | None, Form(description="pdf/a-3b, pdf/ua-1...")] = None,
    engine: Annotated[
        str | None, Form(description="PDF engine: weasyprint (default) or typst (faster)")
    ] = None,
) -> JSONResponse:
    """Start a batch: the files' headers are matched to sources now (422 otherwise), the
    letters are rendered in the background. Poll the job, then download ``output.zip``."""
    state = request.app.state
    status = accept_job(
        config=state.config,
        catalog=state.catalog,
        store=state.store,
        runner=state.runner,
        organisation=org.id,
        uploads=await read_uploads(files),
        run_date=parse_date(run_date),
        formats=parse_formats(formats),
        pdf_variant=parse_variant(pdf_variant),
        engine=parse_engine(engine),
    )
    return JSONResponse(
        job_json(status), status_code=202, headers={"Location": f"/api/jobs/{status.id}"}
    )


@router.get("/jobs", tags=["jobs"])
def list_jobs(request: Request, org: Org) -> dict[str, Any]:
    """Your organisation's jobs, newest first."""
    store = request.app.state.store
    runner = request.app.state.runner
    jobs = [runner.status(org.id, s.id) or s for s in store.list(org.id)]
    return {"jobs": [job_json(s) for s in jobs]}


@router.get("/jobs/{job_id}", tags=["jobs"])
def get_job(request: Request, org: Org, job_id: str) -> dict[str, Any]:
    """State (queued, running, done, failed, cancelled), progress and, once done, the summary:
    rows read = rendered + suppressed + rejected, letters, rejects by code."""
    return job_json(_job(request, org, job_id))


@router.get(
    "/jobs/{job_id}/output.zip",
    tags=["jobs"],
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def job_output(request: Request, org: Org, job_id: str) -> FileResponse:
    """The whole output folder (letters, mailings, print files, manifest, summary), zipped once."""
    path = _job_file(request, org, job_id, "output.zip")
    return FileResponse(path, media_type="application/zip", filename=f"pexmail-{job_id}.zip")


@router.get(
    "/jobs/{job_id}/rejects.csv",
    tags=["jobs"],
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def job_rejects(request: Request, org: Org, job_id: str) -> FileResponse:
    """One row per problem: file, row, column, code, reason (no values of the file)."""
    path = _job_file(request, org, job_id, "out/rejects.csv")
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"rejets-{job_id}.csv")


@router.delete("/jobs/{job_id}", tags=["jobs"])
def delete_job(request: Request, org: Org, job_id: str) -> dict[str, Any]:
    """Cancel the job if it runs, and delete its files. Letters already issued stay in the ledger."""
    _job(request, org, job_id)
    cancel(request, org, job_id)
    return {"deleted": job_id}


def cancel(request: Request, org: Organisation, job_id: str) -> None:
    runner = request.app.state.runner
    runner.cancel(org.id, job_id)
    request.app.state.store.delete(org.id, job_id)


_PREVIEW_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A CSV with a header and one row.",
                        },
                        "letter_id": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "format": {"type": "string", "enum": ["pdf", "docx"]},
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["fields"],
                    "properties": {
                        "fields": {
                            "type": "object",
                            "description": "Canonical case fields: case_id, family_name, street, postcode, commune, stage, debt...",
                        },
                        "source": {
                            "type": "string",
                            "description": "Source id; default: the first with all the fields.",
                        },
                        "letter_id": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "format": {"type": "string", "enum": ["pdf", "docx"]},
                    },
                }
            },
        },
    },
    "responses": {200: {"content": {"application/pdf": {}}}},
}


@router.post("/preview", tags=["letters"], openapi_extra=_PREVIEW_BODY, response_class=Response)
async def preview(request: Request, org: Org) -> Response:
    """One letter for one row, as a batch would write it (nothing goes to the ledger).

    Send a CSV with one row (multipart ``file``) or JSON ``fields``; ``letter_id`` picks the
    letter (default: the first due). A row the batch would reject is a 422 with its reasons."""
    catalog: Catalog = request.app.state.catalog
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise Problem(422, "bad_json", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Problem(422, "bad_json", "expected a JSON object with `fields`")
        on = parse_date(body.get("date"))
        data, source = rows_to_csv(catalog, body.get("fields"), body.get("source"))
        display, letter_id, fmt = "fields", body.get("letter_id"), body.get("format") or "pdf"
    elif content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Problem(422, "no_file", "file: attach a CSV with a header and one row")
        data = await upload.read()
        display = (upload.filename or "preview.csv").rsplit("/", 1)[-1][:120]
        on = parse_date(_text(form.get("date")))
        letter_id, fmt, source = (
            _text(form.get("letter_id")),
            _text(form.get("format")) or "pdf",
            None,
        )
    else:
        raise Problem(
            415, "bad_content_type", "send multipart/form-data (file) or application/json (fields)"
        )
    case = read_one_case(catalog, data, display, on, source)
    result = await _in_thread(preview_letter, catalog, case, on, letter_id, fmt)
    return Response(
        result.data,
        media_type=result.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{result.filename}"',
            "X-Pexmail-Letter": f"{result.letter.id} v{result.letter.version}",
        },
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


async def _in_thread(function: Any, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(function, *args)


def catalog_listing(catalog: Catalog, on: date) -> dict[str, Any]:
    info = catalog.document.catalog
    return {
        "catalog": {"name": info.name, "version": info.version, "sha256": catalog.sha256},
        "on": on.isoformat(),
        "letters": [
            {
                "id": x.id,
                "version": x.version,
                "kind": x.kind,
                "title": x.title,
                "sender": x.sender,
                "stage": x.stage,
                "valid_from": x.valid_from.isoformat(),
                "valid_until": x.valid_until.isoformat() if x.valid_until else None,
                "in_force": x.in_force(on),
                "conditions": x.conditions.model_dump(mode="json", exclude_none=True),
                "contacts": list(x.contacts),
                "legal_basis": [b.model_dump(mode="json") for b in x.legal_basis],
            }
            for x in catalog.letters
        ],
        "sources": [
            {"id": s.id, "title": s.title, "columns": s.columns, "optional": s.optional}
            for s in catalog.sources
        ],
        "territories": [
            {"id": t.id, "name": t.name, "postcode_prefixes": t.postcode_prefixes}
            for t in catalog.territories
        ],
    }


def contacts_listing(catalog: Catalog, on: date) -> dict[str, Any]:
    policy = catalog.document.contacts
    entries = []
    for directory, entry in catalog.directories.entries():
        state = freshness(entry, on, policy.review_after_months, policy.max_age_months)
        entries.append(
            {
                "id": entry.id,
                "territory": directory.territory,
                "kind": entry.kind,
                "kind_label": policy.kinds.get(entry.kind, entry.kind),
                "name": entry.name,
                "phones": [p.model_dump(exclude_none=True) for p in entry.phones],
                "address": entry.address,
                "url": entry.url,
                "serves": entry.serves.model_dump(exclude_none=True),
                "source": entry.source,
                "verified_on": entry.verified_on.isoformat() if entry.verified_on else None,
                "freshness": state.value,
                "review": state.value == "review",
                "stale": state.value == "stale",
            }
        )
    return {
        "on": on.isoformat(),
        "review_after_months": policy.review_after_months,
        "max_age_months": policy.max_age_months,
        "entries": entries,
    }


@router.get("/catalog", tags=["catalogue"])
def get_catalog(
    request: Request,
    org: Org,
    on: Annotated[str | None, Query(description="Date for `in_force`; default today.")] = None,
) -> dict[str, Any]:
    """Letters with their versions, validity and conditions; sources and territories."""
    return catalog_listing(request.app.state.catalog, parse_date(on))


@router.get("/contacts", tags=["catalogue"])
def get_contacts(
    request: Request,
    org: Org,
    on: Annotated[str | None, Query(description="Date for freshness; default today.")] = None,
) -> dict[str, Any]:
    """Every directory entry with its source, ``verified_on`` and freshness (current, review,
    stale) by the catalogue's contact policy."""
    return contacts_listing(request.app.state.catalog, parse_date(on))
