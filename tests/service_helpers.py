"""Shared by the service's tests: two organisations, an app, waiting for a job."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pexmail.service.config import Organisation, ServiceConfig, hash_token

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.csv"))
TOKEN_A = "pxm_test-token-organisation-a"
TOKEN_B = "pxm_test-token-organisation-b"
AUTH_A = {"Authorization": f"Bearer {TOKEN_A}"}
AUTH_B = {"Authorization": f"Bearer {TOKEN_B}"}


def make_config(data_dir: Path, **overrides: Any) -> ServiceConfig:
    settings: dict[str, Any] = {
        "data_dir": data_dir,
        "catalog": ROOT / "catalog.yaml",
        "organisations": [
            Organisation(id="drihl-75", name="DRIHL Paris", token_hashes=[hash_token(TOKEN_A)]),
            Organisation(
                id="clil-93", name="CLIL Aubervilliers", token_hashes=[hash_token(TOKEN_B)]
            ),
        ],
    }
    settings.update(overrides)
    return ServiceConfig(**settings)


def sample_files(*paths: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (p.name, p.read_bytes(), "text/csv")) for p in (paths or SAMPLES)]


def wait_job(client: Any, job_id: str, headers: dict[str, str], timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if status["state"] not in ("queued", "running") or time.monotonic() > deadline:
            return status
        time.sleep(0.3)
