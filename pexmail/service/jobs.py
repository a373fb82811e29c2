"""Batch jobs: where their files live, and who runs them.

Each organisation has its own folder under the data directory::

    <data_dir>/orgs/<organisation>/ledger.sqlite     its send ledger
    <data_dir>/orgs/<organisation>/jobs/<job id>/
        job.json      state, progress, summary figures (no personal data)
        input/        the uploaded CSV files
        out/          what `pexmail render` writes
        output.zip    out/ zipped once, when the job is done

A job is only ever looked up inside its organisation's folder, so one
organisation cannot name another's job. :class:`JobRunner` is the interface the
service uses (submit, status, cancel); :class:`EmbeddedRunner` runs jobs in a
bounded thread pool inside the service, and a distributed engine can replace it.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from pexmail.catalog.load import Catalog
from pexmail.errors import PexmailError
from pexmail.log import LOGGER
from pexmail.output.files import ensure_dir, write_atomic
from pexmail.render.engine import DEFAULT_ENGINE

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ACTIVE = (QUEUED, RUNNING)
_JOB_ID = "0123456789abcdef"
CANCEL_WAIT_SECONDS = 60


def new_job_id() -> str:
    return secrets.token_hex(12)


def valid_job_id(job_id: str) -> bool:
    return len(job_id) == 24 and all(c in _JOB_ID for c in job_id)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class JobSpec:
    """What to run: the inputs were already saved and their headers matched to sources."""

    organisation: str
    job_id: str
    inputs: list[tuple[str, str]]  # (file name in input/, name shown in messages)
    run_date: date
    formats: tuple[str, ...]
    pdf_variant: str | None = None
    engine: str = DEFAULT_ENGINE


@dataclass
class JobStatus:
    id: str
    organisation: str
    state: str
    created_at: str
    run_date: str
    formats: list[str]
    files: list[str]
    started_at: str | None = None
    finished_at: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state not in ACTIVE


class JobRunner(Protocol):
    """What the service needs from whatever runs batch jobs."""

    def submit(self, spec: JobSpec) -> JobStatus: ...

    def status(self, organisation: str, job_id: str) -> JobStatus | None: ...

    def cancel(self, organisation: str, job_id: str) -> JobStatus | None: ...

    def shutdown(self) -> None: ...


class JobStore:
    """Job folders and their ``job.json`` on disk, per organisation."""

    def __init__(self, data_dir: Path) -> None:
        self.root = ensure_dir(Path(data_dir).resolve())
        self._lock = threading.Lock()

    def org_dir(self, organisation: str) -> Path:
        return self.root / "orgs" / organisation

    def ledger_path(self, organisation: str) -> Path:
        return ensure_dir(self.org_dir(organisation)) / "ledger.sqlite"

    def job_dir(self, organisation: str, job_id: str) -> Path | None:
        if not valid_job_id(job_id):
            return None
        return self.org_dir(organisation) / "jobs" / job_id

    def create(self, organisation: str) -> tuple[str, Path]:
        job_id = new_job_id()
        path = self.org_dir(organisation) / "jobs" / job_id
        ensure_dir(path / "input")
        return job_id, path

    def write(self, status: JobStatus) -> None:
        path = self.job_dir(status.organisation, status.id)
        if path is None or not path.is_dir():
            return  # deleted meanwhile
        with self._lock:
            write_atomic(path / "job.json", json.dumps(asdict(status), indent=1).encode())

    def read(self, organisation: str, job_id: str) -> JobStatus | None:
        path = self.job_dir(organisation, job_id)
        if path is None:
            return None
        try:
            data = json.loads((path / "job.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return JobStatus(**data)

    def list(self, organisation: str) -> list[JobStatus]:
        jobs_dir = self.org_dir(organisation) / "jobs"
        if not jobs_dir.is_dir():
            return []
        found = [self.read(organisation, p.name) for p in jobs_dir.iterdir() if p.is_dir()]
        return sorted((s for s in found if s), key=lambda s: s.created_at, reverse=True)

    def delete(self, organisation: str, job_id: str) -> bool:
        path = self.job_dir(organisation, job_id)
        if path is None or not path.is_dir():
            return False
        shutil.rmtree(path, ignore_errors=True)
        return True

    def all_jobs(self) -> list[tuple[str, str, Path]]:
        orgs = self.root / "orgs"
        if not orgs.is_dir():
            return []
        return [
            (org.name, job.name, job)
            for org in orgs.iterdir()
            if (org / "jobs").is_dir()
            for job in (org / "jobs").iterdir()
            if job.is_dir() and valid_job_id(job.name)
        ]

    def sweep(self, max_age_days: float, active: Callable[[str, str], bool]) -> int:
        """Delete job folders older than the retention period; returns how many went."""
        limit = time.time() - max_age_days * 86400
        removed = 0
        for organisation, job_id, path in self.all_jobs():
            if active(organisation, job_id):
                continue
            status = self.read(organisation, job_id)
            stamp = status and (status.finished_at or status.created_at)
            try:
                when = datetime.fromisoformat(stamp).timestamp() if stamp else path.stat().st_mtime
            except (OSError, ValueError):
                continue
            if when < limit:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        if removed:
            LOGGER.info("retention: %d job folder(s) deleted", removed)
        return removed

    def interrupted(self, active: Callable[[str, str], bool]) -> int:
        """Jobs left queued or running by a previous process are marked failed."""
        count = 0
        for organisation, job_id, _ in self.all_jobs():
            status = self.read(organisation, job_id)
            if status and not status.finished and not active(organisation, job_id):
                status.state = FAILED
                status.error = "the service stopped during this job: submit the files again"
                status.finished_at = now()
                self.write(status)
                count += 1
        return count


class JobCancelled(Exception):
    """Raised from the progress callback to stop a running batch."""


@dataclass
class _Live:
    status: JobStatus
    future: Future | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    estimated_rows: int = 0


class EmbeddedRunner:
    """Runs ``run_batch`` in a bounded pool of threads inside the service."""

    def __init__(self, store: JobStore, catalog: Catalog, workers: int) -> None:
        self.store = store
        self.catalog = catalog
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pexmail-job")
        self.live: dict[tuple[str, str], _Live] = {}
        self.lock = threading.Lock()

    def active(self, organisation: str, job_id: str) -> bool:
        with self.lock:
            live = self.live.get((organisation, job_id))
            return live is not None and not live.status.finished

    def active_count(self, organisation: str) -> int:
        with self.lock:
            return sum(
                1
                for (org, _), live in self.live.items()
                if org == organisation and not live.status.finished
            )

    def submit(self, spec: JobSpec) -> JobStatus:
        status = JobStatus(
            id=spec.job_id,
            organisation=spec.organisation,
            state=QUEUED,
            created_at=now(),
            run_date=spec.run_date.isoformat(),
            formats=list(spec.formats),
            files=[display for _, display in spec.inputs],
            progress={"step": "queued", "percent": 0},
        )
        live = _Live(status)
        job_dir = self.store.job_dir(spec.organisation, spec.job_id)
        assert job_dir is not None
        live.estimated_rows = sum(_count_lines(job_dir / "input" / name) for name, _ in spec.inputs)
        self.store.write(status)
        with self.lock:
            self.live[(spec.organisation, spec.job_id)] = live
        live.future = self.pool.submit(self._run, spec, live)
        return status

    def status(self, organisation: str, job_id: str) -> JobStatus | None:
        with self.lock:
            live = self.live.get((organisation, job_id))
        if live is not None:
            return live.status
        return self.store.read(organisation, job_id)

    def cancel(self, organisation: str, job_id: str) -> JobStatus | None:
        """Stop a job; returns once it has stopped (or after CANCEL_WAIT_SECONDS)."""
        with self.lock:
            live = self.live.get((organisation, job_id))
        if live is None:
            return self.store.read(organisation, job_id)
        live.cancel.set()
        if live.future is not None:
            if live.future.cancel():
                self._finish(live, CANCELLED, error="cancelled before it started")
            else:
                # A running batch stops at its next row: wait, so that nothing writes after.
                with contextlib.suppress(Exception):
                    live.future.result(timeout=CANCEL_WAIT_SECONDS)
        return live.status

    def shutdown(self) -> None:
        with self.lock:
            lives = list(self.live.values())
        for live in lives:
            live.cancel.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        for live in lives:
            if not live.status.finished:
                self._finish(live, CANCELLED, error="the service stopped")

    # -- in a worker thread -----------------------------------------------------------
    def _run(self, spec: JobSpec, live: _Live) -> None:
        from pexmail.pipeline import BatchOptions, run_batch

        status = live.status
        if live.cancel.is_set():
            self._finish(live, CANCELLED, error="cancelled before it started")
            return
        status.state = RUNNING
        status.started_at = now()
        status.progress = {"step": "starting", "percent": 1}
        self.store.write(status)
        job_dir = self.store.job_dir(spec.organisation, spec.job_id)
        assert job_dir is not None
        options = BatchOptions(
            run_date=spec.run_date,
            formats=spec.formats,
            pdf_variant=spec.pdf_variant,
            engine=spec.engine,
            ledger=self.store.ledger_path(spec.organisation),
            displays=tuple(display for _, display in spec.inputs),
        )
        last_write = [0.0]

        def progress(step: str, done: int, total: int | None) -> None:
            if live.cancel.is_set():
                raise JobCancelled()
            estimate = max(live.estimated_rows, 1)
            if step == "rows":
                percent = 2 + 28 * min(done / estimate, 1)
            else:  # households: at most one per row read
                percent = 30 + 68 * min(done / estimate, 1)
            status.progress = {"step": step, "done": done, "percent": round(percent, 1)}
            if time.monotonic() - last_write[0] > 1:
                last_write[0] = time.monotonic()
                self.store.write(status)

        paths = [job_dir / "input" / name for name, _ in spec.inputs]
        try:
            result = run_batch(paths, self.catalog, job_dir / "out", options, progress)
            status.progress = {"step": "zip", "percent": 99}
            _zip_folder(job_dir / "out", job_dir / "output.zip")
        except JobCancelled:
            self._finish(live, CANCELLED, error="cancelled while running")
            return
        except PexmailError as exc:
            self._finish(live, FAILED, error=exc.format_message())
            return
        except Exception as exc:  # a bug: the job fails, the service goes on
            LOGGER.exception("job %s failed (%s)", spec.job_id, type(exc).__name__)
            self._finish(live, FAILED, error="internal error: the administrator can see the log")
            return
        status.summary = job_summary(result.summary, result.refused)
        self._finish(live, DONE)

    def _finish(self, live: _Live, state: str, error: str | None = None) -> None:
        status = live.status
        status.state = state
        status.error = error
        status.finished_at = now()
        status.progress = {
            "step": state,
            "percent": 100 if state == DONE else status.progress.get("percent", 0),
        }
        self.store.write(status)
        # Finished jobs are read back from job.json: memory holds active jobs only.
        with self.lock:
            self.live.pop((status.organisation, status.id), None)


def job_summary(summary: dict[str, Any], refused: int) -> dict[str, Any]:
    """The figures a job's page and API show: counts and codes, no personal data."""
    return {
        "rows": summary["rows"],
        "files": [
            {k: f[k] for k in ("file", "source", "rows", "rejected", "error")}
            for f in summary["files"]
        ],
        "households": summary["households"]["total"],
        "letters": summary["documents"]["letters"],
        "documents": summary["documents"]["by_format"],
        "by_letter": summary["documents"]["by_letter"],
        "pages": summary["documents"]["pages"],
        "mailings": summary["mailings"]["combined"],
        "rejections": summary["rejections"],
        "suppressions": {
            "total": summary["suppressions"]["total"],
            "by_code": summary["suppressions"]["by_code"],
        },
        "refused_documents": refused,
        "print_files": [p["path"] for p in summary["print_files"]],
        "duration_seconds": summary.get("duration_seconds"),
    }


def _count_lines(path: Path) -> int:
    """Data rows, roughly (quoted line breaks count twice): for the progress bar only."""
    count = 0
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            count += chunk.count(b"\n")
    return max(count - 1, 1)


def _zip_folder(folder: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                archive.write(path, path.relative_to(folder).as_posix())
    temporary.chmod(0o600)
    temporary.replace(target)
