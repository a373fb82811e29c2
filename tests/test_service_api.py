"""The HTTP API through FastAPI's TestClient: every endpoint, bad uploads, two organisations."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient

from pexmail.service.app import create_app
from pexmail.service.jobs import JobStatus, JobStore

from .conftest import pdf_words
from .service_helpers import AUTH_A, AUTH_B, SAMPLES, TOKEN_A, make_config, sample_files, wait_job

PREVIEW_FIELDS = {
    "case_id": "EXP-TEST-1",
    "civility": "MME",
    "family_name": "NAVARRO",
    "given_name": "Lucie",
    "street": "3 bd de Belleville",
    "postcode": "75020",
    "commune": "Paris",
    "landlord_type": "Bailleur social",
    "landlord_name": "Paris Habitat",
    "debt": "1 200,00",
    "act_date": "04/10/2026",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory, catalog):
    """One service for the module, with one finished batch of the samples for organisation A."""
    data_dir = tmp_path_factory.mktemp("service")
    app = create_app(make_config(data_dir), catalog=catalog)
    with TestClient(app) as client:
        response = client.post(
            "/api/jobs",
            headers=AUTH_A,
            files=sample_files(),
            data={"date": "2026-11-23", "formats": "pdf"},
        )
        assert response.status_code == 202, response.text
        job = wait_job(client, response.json()["id"], AUTH_A)
        assert job["state"] == "done", job
        client.job = job
        client.data_dir = data_dir
        yield client


def test_health_needs_no_token_and_says_nothing(service):
    response = service.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/jobs"),
        ("post", "/api/jobs"),
        ("get", "/api/jobs/0123456789abcdef01234567"),
        ("get", "/api/jobs/0123456789abcdef01234567/output.zip"),
        ("get", "/api/jobs/0123456789abcdef01234567/rejects.csv"),
        ("delete", "/api/jobs/0123456789abcdef01234567"),
        ("post", "/api/preview"),
        ("get", "/api/catalog"),
        ("get", "/api/contacts"),
    ],
)
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer pxm_wrong"}, {"Authorization": TOKEN_A}]
)
def test_no_valid_token_no_access(service, method, path, headers):
    response = getattr(service, method)(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "token" in response.json()["error"]["message"]


def test_batch_job_summary_adds_up_and_matches_the_cli(service, sample_run):
    job = service.job
    assert job["organisation"] == "drihl-75"
    assert job["files"] == [p.name for p in SAMPLES]
    assert job["progress"]["percent"] == 100
    rows = job["summary"]["rows"]
    assert rows["read"] == rows["rendered"] + rows["suppressed"] + rows["rejected"]
    cli_summary = json.loads((sample_run / "summary.json").read_text(encoding="utf-8"))
    assert rows == cli_summary["rows"]
    assert job["summary"]["by_letter"] == cli_summary["documents"]["by_letter"]
    assert job["summary"]["rejections"]["by_code"] == cli_summary["rejections"]["by_code"]
    assert job["links"]["output"] == f"/api/jobs/{job['id']}/output.zip"


def test_output_zip_holds_the_whole_output_folder(service, tmp_path):
    job = service.job
    response = service.get(job["links"]["output"], headers=AUTH_A)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    for required in ("manifest.csv", "summary.json", "rejects.csv", "households.csv"):
        assert required in names
    assert any(n.startswith("print/") and n.endswith(".pdf") for n in names)
    # Every PDF of the summary is in the archive: the letters and the envelopes.
    documents = [
        n for n in names if n.startswith(("letters/", "envelopes/")) and n.endswith(".pdf")
    ]
    assert len(documents) == job["summary"]["documents"]["pdf"] > 0
    manifest = archive.read("manifest.csv").decode("utf-8-sig").splitlines()
    assert sum(1 for line in manifest[1:] if ";pdf;" in line) == len(documents)
    letters = [n for n in documents if n.startswith("letters/")]
    assert letters
    summary = json.loads(archive.read("summary.json"))
    assert summary["rows"] == job["summary"]["rows"]
    # The uploaded files are named as the user named them, not by the server's folders.
    assert {f["file"] for f in summary["files"]} == {p.name for p in SAMPLES}
    pdf = tmp_path / "letter.pdf"
    # A letter after a commandement de payer (the DRIHL's), read back from the archive.
    pdf.write_bytes(
        archive.read(sorted(n for n in letters if n.startswith("letters/drihl-cdp-"))[0])
    )
    assert "commandement de payer" in pdf_words(pdf) or "Caf" in pdf_words(pdf)
    # Built once: the same bytes on a second download.
    assert service.get(job["links"]["output"], headers=AUTH_A).content == response.content


def test_a_job_with_the_typst_engine(service, tmp_path):
    paris = [p for p in SAMPLES if "exploc" in p.name]
    response = service.post(
        "/api/jobs",
        headers=AUTH_A,
        files=sample_files(*paris),
        data={"date": "2026-11-23", "formats": "pdf", "engine": "typst"},
    )
    assert response.status_code == 202, response.text
    job = wait_job(service, response.json()["id"], AUTH_A)
    assert job["state"] == "done", job
    archive = zipfile.ZipFile(
        io.BytesIO(service.get(job["links"]["output"], headers=AUTH_A).content)
    )
    assert json.loads(archive.read("summary.json"))["options"]["engine"] == "typst"
    letter = sorted(
        n for n in archive.namelist() if n.startswith("letters/") and n.endswith(".pdf")
    )[0]
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(archive.read(letter))
    assert pypdf.PdfReader(pdf).metadata["/Creator"].startswith("Typst")
    response = service.post(
        "/api/jobs",
        headers=AUTH_A,
        files=sample_files(*paris),
        data={"date": "2026-11-23", "engine": "libreoffice"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bad_engine"


def test_rejects_csv_lists_file_row_column_and_reason(service):
    job = service.job
    response = service.get(job["links"]["rejects"], headers=AUTH_A)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "file;row;column;code;reason"
    assert len(lines) - 1 >= job["summary"]["rows"]["rejected"]
    assert any(line.startswith("caf-impayes-2026-11.csv;") for line in lines[1:])


def test_list_jobs_shows_only_the_organisations_own(service):
    mine = service.get("/api/jobs", headers=AUTH_A).json()["jobs"]
    theirs = service.get("/api/jobs", headers=AUTH_B).json()["jobs"]
    assert service.job["id"] in [j["id"] for j in mine]
    assert service.job["id"] not in [j["id"] for j in theirs]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "/output.zip"), ("get", "/rejects.csv"), ("delete", "")],
)
def test_another_organisation_cannot_see_download_or_delete_a_job(service, method, suffix):
    path = f"/api/jobs/{service.job['id']}{suffix}"
    response = getattr(service, method)(path, headers=AUTH_B)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_such_job"
    # Still there for its owner.
    assert service.get(f"/api/jobs/{service.job['id']}", headers=AUTH_A).status_code == 200


def test_one_ledger_and_one_job_folder_per_organisation(service):
    orgs = service.data_dir / "orgs"
    assert (orgs / "drihl-75" / "ledger.sqlite").is_file()
    assert (orgs / "drihl-75" / "jobs" / service.job["id"] / "output.zip").is_file()
    assert not (orgs / "clil-93" / "jobs" / service.job["id"]).exists()


def test_a_job_id_cannot_walk_out_of_its_folder(service):
    for job_id in ("..", "..%2F..%2Fclil-93", "not-a-job"):
        response = service.get(f"/api/jobs/{job_id}", headers=AUTH_A)
        assert response.status_code == 404


def test_delete_removes_the_job_and_its_files(service):
    response = service.post(
        "/api/jobs",
        headers=AUTH_B,
        files=sample_files(SAMPLES[1]),
        data={"date": "2026-11-23", "formats": "pdf"},
    )
    assert response.status_code == 202
    job_id = response.json()["id"]
    job_dir = service.data_dir / "orgs" / "clil-93" / "jobs" / job_id
    assert job_dir.is_dir()
    assert service.delete(f"/api/jobs/{job_id}", headers=AUTH_B).json() == {"deleted": job_id}
    assert not job_dir.exists()
    assert service.get(f"/api/jobs/{job_id}", headers=AUTH_B).status_code == 404


# -- bad uploads ------------------------------------------------------------------------------
def _post(client, files, **data):
    return client.post("/api/jobs", headers=AUTH_A, files=files, data=data or None)


def test_unknown_header_is_a_422_with_the_clis_message(service):
    response = _post(service, [("files", ("mois.csv", b"nom;ville\nX;Y\n", "text/csv"))])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "bad_file"
    assert error["file"] == "mois.csv"
    assert error["message"].startswith("mois.csv: the header does not match any source")
    assert "missing:" in error["message"] and "hint" in error


def test_empty_file_is_a_422(service):
    response = _post(service, [("files", ("vide.csv", b"", "text/csv"))])
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "vide.csv: the file is empty (no header line)"


def test_a_workbook_is_not_a_csv(service):
    response = _post(
        service,
        [("files", ("export.xlsx", b"PK\x03\x04" + b"\x00" * 64, "application/octet-stream"))],
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "not_csv"
    assert "Excel workbook" in error["message"] and "CSV" in error["hint"]


def test_binary_file_is_a_422(service):
    response = _post(
        service, [("files", ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "text/csv"))]
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bad_file"


def test_no_file_is_a_422(service):
    response = service.post("/api/jobs", headers=AUTH_A, data={"date": "2026-11-23"})
    assert response.status_code == 422
    assert "files" in response.json()["error"]["message"]


def test_one_bad_file_refuses_the_whole_job_and_keeps_nothing(service):
    before = {j["id"] for j in service.get("/api/jobs", headers=AUTH_A).json()["jobs"]}
    files = [*sample_files(SAMPLES[0]), ("files", ("autre.csv", b"a;b\n1;2\n", "text/csv"))]
    response = _post(service, files)
    assert response.status_code == 422
    assert response.json()["error"]["file"] == "autre.csv"
    after = {j["id"] for j in service.get("/api/jobs", headers=AUTH_A).json()["jobs"]}
    assert after == before
    jobs_dir = service.data_dir / "orgs" / "drihl-75" / "jobs"
    assert {p.name for p in jobs_dir.iterdir()} == before


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"date": "23/11/2026"}, "bad_date"),
        ({"formats": "pdf,odt"}, "bad_formats"),
        ({"pdf_variant": "pdf/x"}, "bad_pdf_variant"),
    ],
)
def test_bad_options_are_422(service, data, code):
    response = _post(service, sample_files(SAMPLES[0]), **data)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_too_big_upload_is_a_413_before_anything_is_kept(tmp_path, catalog):
    app = create_app(make_config(tmp_path, limits={"upload_max_bytes": 4096}), catalog=catalog)
    with TestClient(app) as client:
        big = b"N\xb0 dossier EXPLOC;Nom\n" + b"x;y\n" * 5000
        response = client.post(
            "/api/jobs", headers=AUTH_A, files=[("files", ("gros.csv", big, "text/csv"))]
        )
        assert response.status_code == 413
        assert "limit" in response.json()["error"]["message"]
        assert not any((tmp_path / "orgs").rglob("gros.csv"))


def test_too_many_files_is_a_422(tmp_path, catalog):
    app = create_app(make_config(tmp_path, limits={"upload_max_files": 1}), catalog=catalog)
    with TestClient(app) as client:
        response = client.post("/api/jobs", headers=AUTH_A, files=sample_files(*SAMPLES[:2]))
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "too_many_files"


# -- preview --------------------------------------------------------------------------------
def test_preview_from_json_fields_is_the_letter_as_a_batch_writes_it(service, tmp_path):
    response = service.post(
        "/api/preview",
        headers=AUTH_A,
        json={"fields": PREVIEW_FIELDS, "date": "2026-11-23"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-pexmail-letter"] == "drihl-cdp-social v1.0"
    pdf = tmp_path / "apercu.pdf"
    pdf.write_bytes(response.content)
    text = pdf_words(pdf)
    assert "NAVARRO" in text
    assert "Paris Habitat" in text
    assert "votre dette est de 1 200 €" in text
    assert "Le 4 octobre 2026, un commissaire de justice" in text


def test_preview_from_a_one_row_csv_with_a_chosen_letter(service, tmp_path):
    # The DRIHL's file: its first row is a social landlord's (Paris Habitat).
    drihl = next(p for p in SAMPLES if p.name.startswith("drihl-"))
    lines = drihl.read_bytes().splitlines(keepends=True)
    response = service.post(
        "/api/preview",
        headers=AUTH_A,
        files={"file": ("une-ligne.csv", b"".join(lines[:2]), "text/csv")},
        data={"letter_id": "drihl-cdp-social", "date": "2026-11-23"},
    )
    assert response.status_code == 200, response.text
    pdf = tmp_path / "apercu.pdf"
    pdf.write_bytes(response.content)
    assert "DUPONT-MARTIN" in pdf_words(pdf)


def test_preview_as_docx(service):
    response = service.post(
        "/api/preview",
        headers=AUTH_A,
        json={"fields": PREVIEW_FIELDS, "date": "2026-11-23", "format": "docx"},
    )
    assert response.status_code == 200
    assert response.content.startswith(b"PK")
    assert "wordprocessingml" in response.headers["content-type"]


def test_preview_of_a_row_the_batch_would_reject_names_the_column_not_the_value(service):
    fields = {**PREVIEW_FIELDS, "debt": "-99 999,99", "postcode": "13001"}
    response = service.post("/api/preview", headers=AUTH_A, json={"fields": fields})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "row_rejected"
    columns = {d["column"] for d in error["details"]}
    assert {"Montant de la dette", "Code postal"} <= columns
    assert "99 999" not in response.text and "13001" not in response.text


def test_preview_of_a_letter_that_does_not_apply_says_which_do(service):
    response = service.post(
        "/api/preview",
        headers=AUTH_A,
        json={
            "fields": PREVIEW_FIELDS,
            "letter_id": "drihl-cdp-private-adil",
            "date": "2026-11-23",
        },
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "does not apply" in message and "drihl-cdp-social" in message


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"fields": {"nom": "X"}}, "no_source"),
        ({"fields": PREVIEW_FIELDS, "letter_id": "nope"}, "unknown_letter"),
        ({"fields": PREVIEW_FIELDS, "source": "nope"}, "unknown_source"),
        ({"fields": {}}, "no_fields"),
    ],
)
def test_preview_bad_requests(service, body, code):
    response = service.post("/api/preview", headers=AUTH_A, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_preview_csv_with_two_rows_is_refused(service):
    response = service.post(
        "/api/preview",
        headers=AUTH_A,
        files={"file": ("deux.csv", SAMPLES[2].read_bytes(), "text/csv")},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "one_row"


# -- catalogue and contacts -----------------------------------------------------------------
def test_catalog_lists_letters_versions_and_validity(service, catalog):
    body = service.get("/api/catalog?on=2026-11-23", headers=AUTH_A).json()
    assert body["catalog"]["version"] == catalog.document.catalog.version
    letters = {(x["id"], x["version"]): x for x in body["letters"]}
    assert set(letters) == {(x.id, x.version) for x in catalog.letters}
    social = letters[("drihl-cdp-social", "1.0")]
    assert social["in_force"] is True
    assert social["valid_from"] and "valid_until" in social
    assert social["conditions"]["landlord_types"] == ["social"]
    assert {s["id"] for s in body["sources"]} == {s.id for s in catalog.sources}


def test_contacts_carry_verified_on_and_freshness(service, catalog):
    body = service.get("/api/contacts?on=2026-11-23", headers=AUTH_A).json()
    entries = {e["id"]: e for e in body["entries"]}
    assert set(entries) == {e.id for _, e in catalog.directories.entries()}
    for entry in entries.values():
        assert entry["freshness"] in ("current", "review", "stale")
        assert entry["stale"] == (entry["freshness"] == "stale")
        assert entry["source"]
    # A 2025-07-01 check is due for review after 12 months; 2022-01-01 is past 24: stale.
    assert any(e["verified_on"] == "2025-07-01" and e["review"] for e in entries.values())
    assert any(e["verified_on"] == "2022-01-01" and e["stale"] for e in entries.values())
    earlier = service.get("/api/contacts?on=2025-08-01", headers=AUTH_A).json()
    assert all(
        e["freshness"] == "current" for e in earlier["entries"] if e["verified_on"] == "2025-07-01"
    )


def test_openapi_schema_documents_every_endpoint(service):
    schema = service.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/jobs",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/output.zip",
        "/api/jobs/{job_id}/rejects.csv",
        "/api/preview",
        "/api/catalog",
        "/api/contacts",
        "/api/notice",
        "/api/notice/acts",
        "/api/places",
        "/api/diff",
    ):
        assert path in paths, path
    assert "delete" in paths["/api/jobs/{job_id}"]
    assert set(paths["/api/preview"]["post"]["requestBody"]["content"]) == {
        "multipart/form-data",
        "application/json",
    }
    assert not any(p.startswith("/lot") for p in paths)


def test_security_headers(service):
    response = service.get("/api/catalog", headers=AUTH_A)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


# -- personal data stays out of the logs ----------------------------------------------------
def test_nothing_personal_is_logged(tmp_path, catalog, caplog):
    sentinel_name = "ZZSENTINELNAMEZZ"
    sentinel_street = "ZZSENTINELSTREETZZ"
    header = SAMPLES[1].read_text(encoding="utf-8-sig").splitlines()[0]
    rows = [
        f"REF-1;Mme;{sentinel_name};Alice;12 rue {sentinel_street};;93100;Montreuil;Privé;;9900,00;984,68;CDP;11/09/2026;;non",
        f"REF-2;Mme;{sentinel_name};Alice;12 rue {sentinel_street};;93100;Montreuil;Privé;;-12,00;984,68;CDP;11/09/2026;;non",
    ]
    data = ("\n".join([header, *rows]) + "\n").encode()
    caplog.set_level(logging.DEBUG)
    app = create_app(make_config(tmp_path), catalog=catalog)
    with TestClient(app) as client:
        response = client.post(
            f"/api/jobs?nom={sentinel_name}",
            headers=AUTH_A,
            files=[("files", ("seance.csv", data, "text/csv"))],
            data={"date": "2026-11-23", "formats": "pdf"},
        )
        assert response.status_code == 202
        job = wait_job(client, response.json()["id"], AUTH_A)
        assert job["state"] == "done"
        assert job["summary"]["rows"]["rejected"] == 1
        client.post(
            "/api/preview",
            headers=AUTH_A,
            json={"fields": {**PREVIEW_FIELDS, "family_name": sentinel_name, "debt": "-1"}},
        )
        client.get(f"/api/catalog?q={sentinel_street}", headers=AUTH_A)
    # httpx is the test's client, not the service: its log lines are the test's own requests.
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "POST /api/jobs 202" in text  # the access log is there...
    assert sentinel_name not in text and sentinel_street not in text  # ...without personal data
    assert TOKEN_A not in text
    assert sentinel_name not in json.dumps(job)


# -- retention and restarts -----------------------------------------------------------------
def _fake_job(store: JobStore, org: str, state: str, finished_days_ago: float | None) -> str:
    job_id, path = store.create(org)
    finished = None
    if finished_days_ago is not None:
        finished = (datetime.now(UTC) - timedelta(days=finished_days_ago)).isoformat()
    created = (datetime.now(UTC) - timedelta(days=(finished_days_ago or 0) + 1)).isoformat()
    (path / "input" / "01-x.csv").write_bytes(b"data")
    store.write(
        JobStatus(
            job_id, org, state, created, "2026-11-23", ["pdf"], ["x.csv"], finished_at=finished
        )
    )
    return job_id


def test_retention_sweep_deletes_old_job_folders_only(tmp_path):
    store = JobStore(tmp_path)
    old = _fake_job(store, "drihl-75", "done", 31)
    old_other = _fake_job(store, "clil-93", "failed", 45)
    recent = _fake_job(store, "drihl-75", "done", 2)
    running = _fake_job(store, "drihl-75", "running", None)
    (store.org_dir("drihl-75") / "jobs" / running / "job.json").touch()
    removed = store.sweep(30, active=lambda org, job: job == running)
    assert removed == 2
    assert store.job_dir("drihl-75", old) is not None
    assert not store.job_dir("drihl-75", old).exists()
    assert not store.job_dir("clil-93", old_other).exists()
    assert store.job_dir("drihl-75", recent).is_dir()
    assert store.job_dir("drihl-75", running).is_dir()


def test_start_up_sweeps_and_marks_interrupted_jobs(tmp_path, catalog):
    store = JobStore(tmp_path)
    old = _fake_job(store, "drihl-75", "done", 10)
    left = _fake_job(store, "drihl-75", "running", None)
    app = create_app(make_config(tmp_path, retention={"days": 5}), catalog=catalog)
    with TestClient(app) as client:
        assert client.get(f"/api/jobs/{old}", headers=AUTH_A).status_code == 404
        status = client.get(f"/api/jobs/{left}", headers=AUTH_A).json()
        assert status["state"] == "failed"
        assert "submit the files again" in status["error"]
    assert not (Path(tmp_path) / "orgs" / "drihl-75" / "jobs" / old).exists()


def test_cancel_a_running_job(tmp_path, catalog):
    app = create_app(make_config(tmp_path, limits={"workers": 1}), catalog=catalog)
    with TestClient(app) as client:
        first = client.post(
            "/api/jobs", headers=AUTH_A, files=sample_files(), data={"formats": "pdf"}
        ).json()
        second = client.post(
            "/api/jobs", headers=AUTH_A, files=sample_files(), data={"formats": "pdf"}
        ).json()
        runner = app.state.runner
        # The second waits for the only worker: cancelled before it starts.
        cancelled = runner.cancel("drihl-75", second["id"])
        assert cancelled.state == "cancelled"
        runner.cancel("drihl-75", first["id"])
        status = wait_job(client, first["id"], AUTH_A, timeout=120)
        assert status["state"] == "cancelled"
        assert client.get(f"/api/jobs/{first['id']}/output.zip", headers=AUTH_A).status_code == 409


def test_too_many_active_jobs_is_a_429(tmp_path, catalog):
    app = create_app(
        make_config(tmp_path, limits={"workers": 1, "active_jobs_per_organisation": 1}),
        catalog=catalog,
    )
    with TestClient(app) as client:
        first = client.post(
            "/api/jobs", headers=AUTH_A, files=sample_files(SAMPLES[1]), data={"formats": "pdf"}
        )
        assert first.status_code == 202
        second = client.post(
            "/api/jobs", headers=AUTH_A, files=sample_files(SAMPLES[1]), data={"formats": "pdf"}
        )
        assert second.status_code == 429
        # Another organisation is not held back by it.
        other = client.post(
            "/api/jobs", headers=AUTH_B, files=sample_files(SAMPLES[1]), data={"formats": "pdf"}
        )
        assert other.status_code == 202
        for job_id, auth in ((first.json()["id"], AUTH_A), (other.json()["id"], AUTH_B)):
            client.delete(f"/api/jobs/{job_id}", headers=auth)
