"""The ASGI application: the same library calls as the CLI, behind an API and web pages.

:func:`create_app` wires the configuration, the catalogue, the job store and
runner, the routes (``api.py``, ``pages.py``) and three small ASGI layers:
an upload size limit, an access log without query strings or bodies, and
security headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pexmail import __version__
from pexmail.catalog.load import Catalog, load_catalog
from pexmail.log import LOGGER
from pexmail.service.config import ServiceConfig
from pexmail.service.jobs import EmbeddedRunner, JobRunner, JobStore

ACCESS = logging.getLogger("pexmail.service.access")
HERE = Path(__file__).resolve().parent


def create_app(
    config: ServiceConfig,
    *,
    catalog: Catalog | None = None,
    runner: JobRunner | None = None,
) -> FastAPI:
    """The service for ``config``; ``catalog`` and ``runner`` may be given (tests, other engines)."""
    catalog = catalog or load_catalog(config.catalog)
    store = JobStore(config.data_dir)
    runner = runner or EmbeddedRunner(store, catalog, config.limits.workers)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        active = getattr(runner, "active", lambda org, job: False)
        store.interrupted(active)
        sweeper = asyncio.create_task(_sweep_forever(store, config, active))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await asyncio.to_thread(runner.shutdown)

    app = FastAPI(
        title="pexmail",
        version=__version__,
        description=(
            "Letters and notices for the eviction-prevention chain, from partners' case files. "
            "Every call but the public notice needs `Authorization: Bearer <token>`."
        ),
        # The interactive docs load scripts from a CDN; the schema is served locally.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.catalog = catalog
    app.state.store = store
    app.state.runner = runner

    from pexmail.service import api, clil, diff, notice, pages

    app.include_router(api.router)
    app.include_router(notice.api)
    app.include_router(diff.router)
    app.include_router(pages.router)
    app.include_router(notice.pages)
    app.include_router(clil.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    pages.install_error_pages(app)

    # Outermost last: the access log sees the final status, the limit runs before parsing.
    app.add_middleware(_UploadLimit, max_bytes=config.limits.upload_max_bytes)
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(_AccessLog)
    return app


async def _sweep_forever(store: JobStore, config: ServiceConfig, active: Any) -> None:
    """The retention sweep: at start-up, then every ``retention.sweep_minutes``."""
    while True:
        try:
            await asyncio.to_thread(store.sweep, config.retention.days, active)
        except Exception:  # a sweep that fails must not stop the service
            LOGGER.exception("retention sweep failed")
        await asyncio.sleep(config.retention.sweep_minutes * 60)


class _AccessLog:
    """One line per request: method, path (no query string), status, time, organisation.

    Query strings (postcodes, communes) and bodies (case files) are never logged;
    uvicorn's own access log is turned off by ``pexmail serve``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = [500]

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            ACCESS.info(
                "%s %s %d %.0fms",
                scope["method"],
                scope["path"],
                status[0],
                (time.monotonic() - started) * 1000,
            )


class _SecurityHeaders:
    """No framing, no sniffing, no referrer, no caching of personal data, scripts from here only."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
            b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    )

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in self.HEADERS if n not in names]
                if b"cache-control" not in names and not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


class _UploadLimit:
    """Refuses request bodies over the configured size with 413, before or while reading them.

    Past the limit the app is told the client went away, and whatever it answers is dropped."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = [0]
        state = {"started": False, "refused": False}

        async def counting_receive() -> dict:
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received[0] += len(message.get("body", b""))
                if received[0] > self.max_bytes and not state["started"]:
                    state["refused"] = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def send_wrapper(message: dict) -> None:
            if state["refused"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await self.app(scope, counting_receive, send_wrapper)

    async def _refuse(self, send: Any) -> None:
        from pexmail.service.api import error_body

        limit = self.max_bytes / (1024 * 1024)
        body = error_body(
            "too_large", f"the upload is larger than the limit of {limit:.1f} MB"
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
