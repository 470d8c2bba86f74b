"""Tile requests answered in front of the framework: the hot path of every map view.

A map session fetches hundreds of tiles, most of them from the tile cache, where routing,
dependency injection and the middleware layers were most of the time spent per tile. This
plain ASGI middleware, outermost, answers a tile request (XYZ ``/tiles/{layers}/{z}/{x}/{y}.pbf``
or OGC ``/ogc/collections/{id}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}``) when the
caller is known without the database (:func:`api.security.known_caller`) and the request is
well-formed. It gives what the routes would: the same layer checks, versioned cache, ETag and
304, the security headers, the request id, metrics and the access log; gzip is compressed
once per tile version, not once per request.

Everything else — an API key, an account not in the cache, a bad token, an unknown or
forbidden layer, a tile out of range, a query string, a cross-origin request when CORS is on —
goes on to the routes in ``api/routes/tiles.py`` and ``api/routes/ogc.py``, which give the
precise answers and errors.
"""

from __future__ import annotations

import os
import re
import time

from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import status_for
from api.hardening import SECURITY_HEADERS
from api.routes.tiles import MVT, sees_personal, tile_answer
from api.security import known_caller
from gis.errors import GridmapError
from gis.logs import request_id
from layers import registry
from layers.mvt import check_tile
from layers.spec import LayerSpec
from layers.tiles import TileService, check_access, parse_layers

XYZ = re.compile(r"/tiles/([^/]+)/(\d{1,3})/(\d{1,10})/(\d{1,10})\.pbf")
OGC = re.compile(r"/ogc/collections/([^/]+)/tiles/WebMercatorQuad/(\d{1,3})/(\d{1,10})/(\d{1,10})")
XYZ_ROUTE = "/tiles/{layers}/{z}/{x}/{y}.pbf"
OGC_ROUTE = (
    "/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"
)
GZIP_MIN = 1000  # as the app's GZipMiddleware


class TilePath:
    """Answers well-formed tile requests of callers known without the database."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope.get("query_string")
            and scope["path"].startswith(("/tiles/", "/ogc/collections/"))
            and await self._serve(scope, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, send: Send) -> bool:
        """Answer the request and return True, or return False having sent nothing."""
        started = time.perf_counter()
        path = scope["path"]
        if (m := XYZ.fullmatch(path)) is not None:
            route, fields = XYZ_ROUTE, ("z", "x", "y")
            z, x, y = int(m[2]), int(m[3]), int(m[4])
        elif (m := OGC.fullmatch(path)) is not None:
            route, fields = OGC_ROUTE, ("tileMatrix", "tileCol", "tileRow")
            z, y, x = int(m[2]), int(m[3]), int(m[4])
        else:
            return False
        request = Request(scope)
        state = request.app.state
        headers = request.headers
        if "origin" in headers and state.hardening.cors_origins:
            return False
        principal = known_caller(request)
        if principal is None:
            return False
        try:
            specs = _specs(route, m[1], principal.role)
            check_tile(z, x, y, fields=fields)
        except GridmapError:
            return False
        personal = sees_personal(request, principal)
        rid = headers.get("x-request-id") or os.urandom(8).hex()
        token = request_id.set(rid)
        status = 500
        try:
            service: TileService = state.tile_service
            try:
                result = await service.tile(
                    specs=specs,
                    z=z,
                    x=x,
                    y=y,
                    personal=personal,
                    if_none_match=headers.get("if-none-match"),
                    fields=fields,
                )
            except GridmapError as exc:
                status = status_for(exc)
                error = JSONResponse(exc.to_dict(), status_code=status)
                await _send(scope, send, status, error.raw_headers, error.body, rid)
                return True
            status, found = tile_answer(result, personal=personal)
            raw = [(k.lower().encode(), v.encode()) for k, v in found.items()]
            body = result.data if status == 200 else b""
            if body:
                raw.append((b"content-type", MVT.encode()))
                if len(body) >= GZIP_MIN:  # the encoding is negotiated: say so either way
                    raw = [(k, v + b", Accept-Encoding" if k == b"vary" else v) for k, v in raw]
                    if "gzip" in headers.get("accept-encoding", ""):
                        body = service.gzipped(result)
                        raw.append((b"content-encoding", b"gzip"))
                raw.append((b"content-length", str(len(body)).encode()))
            await _send(scope, send, status, raw, body, rid)
            return True
        finally:
            request_id.reset(token)
            log = getattr(state, "request_log", None)
            if log is not None:
                elapsed = time.perf_counter() - started
                log.record(
                    method="GET", route=route, status=status, elapsed=elapsed, request_id=rid
                )


def _specs(route: str, names: str, role: str) -> list[LayerSpec]:
    """The requested layers, refused as the routes refuse them."""
    if route == XYZ_ROUTE:
        return parse_layers(names, role=role)
    spec = registry.get(names, field="collectionId")
    check_access(spec, role=role)
    return [spec]


async def _send(
    scope: Scope, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, rid: str
) -> None:
    headers = [*headers, *SECURITY_HEADERS, (b"x-request-id", rid.encode("latin-1"))]
    if scope.get("scheme") == "https":
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
