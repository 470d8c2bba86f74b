"""The FastAPI application: wiring only. Each resource has its router in ``api/routes``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import docs, errors, hardening
from api.casepath import CasePath
from api.routes import (
    audit,
    auth,
    cases,
    events,
    exchange,
    health,
    ogc,
    open311,
    ops,
    projects,
    reports,
    resources,
    scorecard,
    spatial,
    tiles,
    users,
    web,
)
from api.tilepath import TilePath
from gis.db import make_engine, make_sessionmaker, resolve_url
from gis.logs import request_id, setup_logging
from gis.settings import Settings, get_settings

ROUTERS = [
    health,
    ops,
    ogc,
    tiles,
    spatial,
    cases,
    events,
    open311,
    projects,
    auth,
    audit,
    users,
    exchange,
    reports,
    resources,
    scorecard,
    web,
]


class RequestId:
    """Pure ASGI middleware: a request id (the caller's ``X-Request-ID`` or a new one) in the
    logging context for the whole request and echoed in the response headers.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware``
    runs the app in a second task with stream plumbing, which costs about a millisecond on
    every request here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = Headers(scope=scope).get("x-request-id") or os.urandom(8).hex()
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", rid.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> FastAPI:
    """Build the app. ``database_url`` overrides the settings (tests pass their own)."""
    settings = settings or get_settings()
    setup_logging(settings.log_level, settings.log_json)
    url = database_url or resolve_url(settings, start=False)
    engine = make_engine(url, pool_size=settings.pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in getattr(app.state, "startup_hooks", []):
            await hook(app)
        yield
        for hook in getattr(app.state, "shutdown_hooks", []):
            await hook(app)
        engine.dispose()

    app = FastAPI(
        title="gridmap 乐都区网格化管理平台",
        version="0.1.0",
        description="PostGIS-backed grid management: map layers, spatial queries, cases.",
        lifespan=lifespan,
        docs_url=None,  # served by api.docs from local assets (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []

    app.add_middleware(RequestId)
    errors.install(app)
    hardening.install(app)
    docs.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)
    app.add_middleware(CasePath)  # JSON case reports skip the framework
    app.add_middleware(TilePath)  # outermost: cached tiles skip the framework
    app.state.startup_hooks.append(_build_openapi)
    return app


async def _build_openapi(app: FastAPI) -> None:
    """Build the OpenAPI document at start-up (about half a second): the dashboard's page
    lists the API routes from it, so otherwise the first visitor of each worker waits."""
    app.openapi()
