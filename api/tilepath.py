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

import re
import time

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from api.answer import Exchange, FrontDoor, encoded
from api.errors import response_for
from api.routes.tiles import MVT, sees_personal, tile_answer
from api.security import known_caller
from gis.errors import GridmapError
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


class TilePath(FrontDoor):
    """Answers well-formed tile requests of callers known without the database."""

    prefixes = ("/tiles/", "/ogc/collections/")

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        started = time.perf_counter()
        path = scope["path"]
        if (m := XYZ.fullmatch(path)) is not None:
            route, fields = XYZ_ROUTE, ("z", "x", "y")
            z, x, y = int(m[2]), int(m[3]), int(m[4])
        elif (m := OGC.fullmatch(path)) is not None:
            route, fields = OGC_ROUTE, ("tileMatrix", "tileCol", "tileRow")
            z, y, x = int(m[2]), int(m[3]), int(m[4])
        else:
            return receive
        request = Request(scope)
        state = request.app.state
        headers = request.headers
        if "origin" in headers and state.hardening.cors_origins:
            return receive
        principal = known_caller(request)
        if principal is None:
            return receive
        try:
            specs = _specs(route, m[1], principal.role)
            check_tile(z, x, y, fields=fields)
        except GridmapError:
            return receive
        personal = sees_personal(request, principal)
        service: TileService = state.tile_service
        with Exchange(request, "GET", route, started) as exchange:
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
                error = response_for(exc)
                await exchange.send(scope, send, error.status_code, error.raw_headers, error.body)
                return None
            status, found = tile_answer(result, personal=personal)
            raw = [(k.lower().encode(), v.encode()) for k, v in found.items()]
            body = b""
            if status == 200 and result.data:
                raw.append((b"content-type", MVT.encode()))
                raw, body = encoded(headers, raw, result.data, lambda: service.gzipped(result))
            await exchange.send(scope, send, status, raw, body)
        return None


def _specs(route: str, names: str, role: str) -> list[LayerSpec]:
    """The requested layers, refused as the routes refuse them."""
    if route == XYZ_ROUTE:
        return parse_layers(names, role=role)
    spec = registry.get(names, field="collectionId")
    check_access(spec, role=role)
    return [spec]
