"""Answers sent in front of the framework (:mod:`api.tilepath`, :mod:`api.casepath`).

They carry what the middleware would have added to a routed answer: the security headers,
the request id, ``Strict-Transport-Security`` over HTTPS, and gzip as ``GZipMiddleware``
negotiates it (``Vary: Accept-Encoding`` on every body big enough to be compressed).
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.hardening import SECURITY_HEADERS
from gis.logs import request_id

GZIP_MIN = 1000  # as the app's GZipMiddleware
GZIP_LEVEL = 6

RawHeaders = list[tuple[bytes, bytes]]


def encoded(
    request: Headers,
    raw: RawHeaders,
    body: bytes,
    compress: Callable[[], bytes] | None = None,
) -> tuple[RawHeaders, bytes]:
    """``raw`` and ``body`` with the encoding negotiated and ``Content-Length`` set.

    ``compress`` gives the gzip bytes of ``body`` (a cache, say); by default they are made
    here. ``raw`` must not carry a ``Content-Length``.
    """
    if len(body) >= GZIP_MIN:  # the encoding is negotiated: say so either way
        if any(k == b"vary" for k, _ in raw):
            raw = [(k, v + b", Accept-Encoding" if k == b"vary" else v) for k, v in raw]
        else:
            raw = [*raw, (b"vary", b"Accept-Encoding")]
        if "gzip" in request.get("accept-encoding", ""):
            body = compress() if compress else gzip.compress(body, GZIP_LEVEL, mtime=0)
            raw.append((b"content-encoding", b"gzip"))
    return [*raw, (b"content-length", str(len(body)).encode())], body


class Exchange:
    """One request answered in front of the framework, as a ``with`` block.

    Inside, the request id (the caller's ``X-Request-ID`` or a new one) is in the logging
    context; :meth:`send` sends the whole answer with the security headers and the id; at
    the end the request goes to the app's :class:`api.routes.ops.RequestLog` (metrics and
    access log) under ``route``, with status 500 if nothing was sent.
    """

    def __init__(self, request: Request, method: str, route: str, started: float) -> None:
        self.state = request.app.state
        self.method, self.route, self.started = method, route, started
        self.rid = request.headers.get("x-request-id") or os.urandom(8).hex()
        self.status = 500

    def __enter__(self) -> Exchange:
        self._token = request_id.set(self.rid)
        return self

    def __exit__(self, *exc: object) -> None:
        request_id.reset(self._token)
        log = getattr(self.state, "request_log", None)
        if log is not None:
            elapsed = time.perf_counter() - self.started
            log.record(
                method=self.method,
                route=self.route,
                status=self.status,
                elapsed=elapsed,
                request_id=self.rid,
            )

    async def send(
        self, scope: Scope, send: Send, status: int, headers: RawHeaders, body: bytes
    ) -> None:
        """Send one whole answer with the security headers and the request id."""
        rid = self.rid.encode("latin-1")
        headers = [*headers, *SECURITY_HEADERS, (b"x-request-id", rid)]
        if scope.get("scheme") == "https":
            headers.append((b"strict-transport-security", b"max-age=31536000"))
        self.status = status
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class FrontDoor:
    """Plain ASGI middleware that answers some requests itself, in front of the framework.

    Requests of ``method`` under one of ``prefixes`` without a query string go to
    :meth:`serve`, which answers and returns None, or returns how the app receives the
    request's body (``receive`` itself if it read nothing) having sent nothing.
    """

    method = "GET"
    prefixes: tuple[str, ...] = ()

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == self.method
            and not scope.get("query_string")
            and scope["path"].startswith(self.prefixes)
        ):
            found = await self.serve(scope, receive, send)
            if found is None:
                return
            receive = found
        await self.app(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        raise NotImplementedError
