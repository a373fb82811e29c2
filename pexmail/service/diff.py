"""``POST /api/diff``: what changes for a tenant between two versions of a letter's template.

The same comparison as ``pexmail diff LETTER --templates A B``: the service's
catalogue twice, the letter's template replaced by each version, both rendered
for a sample household at the same date. Templates run in the letters' sandbox.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from pexmail.catalog.load import Catalog
from pexmail.errors import PexmailError
from pexmail.service.api import Org
from pexmail.service.intake import Problem, parse_date

router = APIRouter(prefix="/api", tags=["letters"])

MAX_TEMPLATE_BYTES = 256 * 1024


async def _template(upload: UploadFile | None, name: str) -> bytes | None:
    if upload is None:
        return None
    data = await upload.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise Problem(
            413, "too_large", f"{name}: a template is at most {MAX_TEMPLATE_BYTES // 1024} KiB"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(
            422, "not_utf8", f"{name}: a template is UTF-8 text (a .html.j2 file)"
        ) from None
    return data


@router.post(
    "/diff",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
async def post_diff(
    request: Request,
    org: Org,
    letter_id: Annotated[
        str, Form(description="The letter whose template the files are versions of.")
    ],
    after: Annotated[UploadFile, File(description="The proposed template (.html.j2).")],
    before: Annotated[
        UploadFile | None, File(description="The template before; default: the current one.")
    ] = None,
    run_date: Annotated[
        str | None, Form(alias="date", description="YYYY-MM-DD; default today.")
    ] = None,
    territory: Annotated[str | None, Form(description="Territory of the sample household.")] = None,
    report: Annotated[
        Literal["json", "html"], Form(description="json, or the HTML report.")
    ] = "json",
) -> Response:
    """Compare two versions of a letter's template: catalogue changes, a word-level diff of the
    text a tenant reads, page counts and the pages that changed. ``report=html`` returns the
    self-contained HTML report (page images embedded) as a download."""
    catalog: Catalog = request.app.state.catalog
    on = parse_date(run_date)
    after_text = await _template(after, "after")
    before_text = await _template(before, "before")
    letters = [x for x in catalog.letters if x.id == letter_id]
    if not letters:
        known = ", ".join(dict.fromkeys(x.id for x in catalog.letters))
        raise Problem(
            422, "unknown_letter", f"letter_id: no letter {letter_id!r}; letters: {known}"
        )
    if before_text is None:
        before_text = (catalog.template_root / letters[-1].templates.html).read_bytes()
    result = await run_in_threadpool(
        _compare, catalog, letter_id, before_text, after_text, on, territory, report
    )
    if report == "html":
        return Response(
            result,
            media_type="text/html; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="diff-{letter_id}.html"'},
        )
    return JSONResponse(result)


def _compare(
    catalog: Catalog,
    letter_id: str,
    before: bytes,
    after: bytes,
    on: Any,
    territory: str | None,
    report: str,
) -> Any:
    from pexmail.diff.compare import compare
    from pexmail.diff.report import html_report, summary
    from pexmail.diff.versions import template_versions

    with tempfile.TemporaryDirectory(prefix="pexmail-service-diff-") as folder:
        files = []
        for name, data in (("before", before), ("after", after)):
            path = Path(folder) / f"{name}.html.j2"
            path.write_bytes(data)
            files.append(path)
        try:
            with template_versions(catalog.path, files[0], files[1], letter_id) as versions:
                first, second = versions.pair
                comparison = compare(
                    first, second, run_date=on, letter_id=letter_id, territory=territory
                )
                # Name the versions as the caller did, not by the service's temporary folder.
                labels = {str(files[0]): "before", str(files[1]): "after"}
                if report == "html":
                    return _relabel(html_report(comparison), labels).encode("utf-8")
                return comparison_json(comparison, _relabel(summary(comparison), labels))
        except PexmailError as exc:
            raise Problem(422, "diff_error", exc.format_message()) from None


def _relabel(text: str, labels: dict[str, str]) -> str:
    for path, label in labels.items():
        text = text.replace(path, label)
    return text


def comparison_json(comparison: Any, text: str) -> dict[str, Any]:
    return {
        "letter_id": comparison.letter_id,
        "run_date": comparison.run_date.isoformat(),
        "changed": comparison.changed,
        "catalog_changes": [str(c) for c in comparison.catalog],
        "letters": [
            {
                "id": diff.letter_id,
                "title": diff.title,
                "status": diff.status,
                "changes": [str(c) for c in diff.changes],
                "households": [
                    {
                        "label": h.label,
                        "changed": h.changed,
                        "pages": {"before": h.page_counts[0], "after": h.page_counts[1]},
                        "changed_pages": h.visual.changed_pages if h.visual else [],
                        "inserted_words": h.text.inserted_words,
                        "deleted_words": h.text.deleted_words,
                        "paragraphs": [
                            [{"op": p.op.value, "text": p.text} for p in row.pieces]
                            for row in h.text.changed_rows
                        ],
                        "refused": {
                            "before": h.before.refused if h.before else None,
                            "after": h.after.refused if h.after else None,
                        },
                    }
                    for h in diff.households
                ],
            }
            for diff in comparison.letters
        ],
        "notes": comparison.notes,
        "summary": text,
    }
