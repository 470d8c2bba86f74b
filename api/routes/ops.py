"""Operations: readiness, Prometheus metrics, request metrics and access log, backups.

``setup(app)`` (called by ``api.main``) installs the request-metrics middleware, the
collectors, the personal-data filter on the log handlers and, for the app-owned cluster,
the scheduled backups.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import EngineDep, SettingsDep
from api.security import allow
from gis.ops import redact
from gis.ops.metrics import DatabaseCollector, PoolCollector, StatsCollector, StatsSource
from gis.ops.readiness import readiness
from gis.ops.settings import get_backup_settings

router = APIRouter(tags=["运维 operations"], dependencies=[Depends(allow(public=True))])
access_log = logging.getLogger("gridmap.access")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@router.get("/readyz", summary="就绪检查 (database, PostGIS, migrations at head, disk space)")
async def readyz(engine: EngineDep, settings: SettingsDep) -> JSONResponse:
    body = await run_in_threadpool(
        readiness,
        engine=engine,
        media_dir=settings.media_dir,
        min_free_bytes=get_backup_settings().min_free_mb * 1024 * 1024,
    )
    return JSONResponse(body, status_code=200 if body["ready"] else 503)


@router.get("/metrics", summary="Prometheus 指标 (text exposition format)")
async def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    data = await run_in_threadpool(generate_latest, registry)
    return Response(data, media_type=CONTENT_TYPE_LATEST)


class RequestLog:
    """Counts, times and logs finished requests (the metrics and the access log).

    The label is the route's template (``/api/v1/cases/{case_id}``), never the raw path, so
    ids and query strings neither blow up the label set nor reach the access log.
    Server-sent event streams are counted but kept out of the latency histogram.
    """

    def __init__(self, requests: Counter, latency: Histogram) -> None:
        self.requests = requests
        self.latency = latency

    def record(
        self,
        *,
        method: str,
        route: str,
        status: int,
        elapsed: float,
        request_id: str | None = None,
        stream: bool = False,
    ) -> None:
        self.requests.labels(method, route, str(status)).inc()
        if not stream:
            self.latency.labels(method, route).observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    **({"request_id": request_id} if request_id else {}),
                },
            )


class RequestMetrics:
    """Pure ASGI middleware: every HTTP request goes to the :class:`RequestLog`."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "stream": False, "rid": None}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for k, v in message.get("headers", []):
                    if k == b"content-type" and v.startswith(b"text/event-stream"):
                        seen["stream"] = True
                    elif k == b"x-request-id":
                        seen["rid"] = v.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.log.record(
                method=scope.get("method", "GET"),
                route=getattr(scope.get("route"), "path", None) or "<unmatched>",
                status=int(seen["status"]),
                elapsed=time.perf_counter() - started,
                request_id=seen["rid"],
                stream=seen["stream"],
            )


def _stats_function(module: str, *names: str) -> Callable[[], Callable[[], Any] | None]:
    def resolve() -> Callable[[], Any] | None:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            return None
        for name in names:
            fn = getattr(mod, name, None)
            if callable(fn):
                return fn  # type: ignore[no-any-return]
        return None

    return resolve


def _tile_cache_stats(app: FastAPI) -> Callable[[], Callable[[], Any] | None]:
    """A ``layers.cache.stats()`` if one is published, else the app's tile cache counters."""
    published = _stats_function("layers.cache", "stats", "cache_stats")

    def resolve() -> Callable[[], Any] | None:
        fn = published()
        if fn is not None:
            return fn
        cache = getattr(getattr(app.state, "tile_service", None), "cache", None)
        if cache is None:
            return None
        return lambda: {
            "hits": cache.hits,
            "misses": cache.misses,
            "size_bytes": cache.size_bytes,
            "entries": len(cache),
        }

    return resolve


def _sse_stats(app: FastAPI) -> Callable[[], Callable[[], Any] | None]:
    """An ``api.routes.events.stats()`` if published, else the live feed's subscribers."""
    published = _stats_function("api.routes.events", "stats", "open_clients")

    def resolve() -> Callable[[], Any] | None:
        fn = published()
        if fn is not None:
            return fn
        feed = getattr(app.state, "feed", None)
        if feed is None or not hasattr(feed, "subscribers"):
            return None
        return lambda: {"clients": len(feed.subscribers)}

    return resolve


def setup(app: FastAPI) -> None:
    """Metrics registry and middleware, log redaction, scheduled backups."""
    registry = CollectorRegistry(auto_describe=True)
    app.state.metrics_registry = registry
    requests = Counter(
        "gridmap_http_requests",
        "HTTP requests by method, route template and status",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "gridmap_http_request_duration_seconds",
        "HTTP request latency by method and route template (streams excluded)",
        ["method", "route"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    app.state.request_log = RequestLog(requests, latency)
    app.add_middleware(RequestMetrics, log=app.state.request_log)
    engine = app.state.engine
    registry.register(PoolCollector(engine))
    app.state.metrics_database = DatabaseCollector(engine)
    registry.register(app.state.metrics_database)
    registry.register(
        StatsCollector(
            [
                StatsSource(
                    "tile_cache",
                    _tile_cache_stats(app),
                    counters={
                        "hits": ("gridmap_tile_cache_hits", "Tile cache hits"),
                        "misses": ("gridmap_tile_cache_misses", "Tile cache misses"),
                    },
                    gauges={
                        "size_bytes": ("gridmap_tile_cache_size_bytes", "Tile cache bytes"),
                        "entries": ("gridmap_tile_cache_entries", "Tiles in the cache"),
                    },
                ),
                StatsSource(
                    "sse",
                    _sse_stats(app),
                    gauges={"clients": ("gridmap_sse_clients", "Open server-sent-event streams")},
                ),
            ]
        )
    )
    # No personal data in logs: parameters stay out of SQL error messages, and every
    # handler masks phones, ID numbers and row values.
    engine.hide_parameters = True
    redact.install()
    _schedule_backups(app)


def _schedule_backups(app: FastAPI) -> None:
    from gis.ops.scheduler import BackupScheduler

    settings = app.state.settings
    backup = get_backup_settings()
    if settings.env == "test" or not backup.interval_hours:
        return
    if settings.database_url and not backup.external:
        return  # a managed database has its own backups unless told otherwise

    def target() -> Any:
        from gis.ops.pgtarget import PgTarget

        return PgTarget.from_settings(settings, start=False)

    scheduler = BackupScheduler(
        target=target,
        media_dir=settings.media_dir,
        backup_dir=backup.backup_dir(settings),
        interval_hours=backup.interval_hours,
        keep=backup.keep,
    )
    app.state.backup_scheduler = scheduler

    async def start(_: FastAPI) -> None:
        scheduler.start()

    async def stop(_: FastAPI) -> None:
        scheduler.stop()

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
