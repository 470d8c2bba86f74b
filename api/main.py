"""The FastAPI application: wiring only. Each resource has its router in ``api/routes``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from api import docs, errors, hardening
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

    @app.middleware("http")
    async def _request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        try:
            response = await call_next(request)
        finally:
            request_id.reset(token)
        response.headers["X-Request-ID"] = rid
        return response

    errors.install(app)
    hardening.install(app)
    docs.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)
    return app
