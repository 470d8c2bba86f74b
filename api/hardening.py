"""HTTP hardening: security headers, request size limits, rate limits, CORS.

Upload type sniffing lives in :mod:`gis.sniff` (re-exported here); every upload route uses it.

Installed by ``api.main.create_app`` with ``hardening.install(app)``. Settings come from the
environment with the prefix ``GRIDMAP_HTTP_``:

- ``MAX_JSON_BYTES`` (1 MiB) for JSON and form bodies, ``MAX_UPLOAD_BYTES`` (25 MiB) for other
  types (multipart, zip, images …); a route may declare a smaller ``max_body_size=`` (FastAPI).
- ``LOGIN_PER_MINUTE`` (10, per client address) on ``POST /auth/token``;
  ``REPORTS_PER_MINUTE`` (60, per user or address) on report submission (``POST /api/v1/cases``,
  ``POST /open311/v2/requests``); ``RATE_LIMITS`` (on, except when ``env == "test"``).
- ``CORS_ORIGINS``: a JSON list of origins; empty (the default) means no CORS at all.

The app refuses to start with the default secret key unless ``GRIDMAP_ENV`` is ``demo`` or
``test``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Iterable

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis.errors import SetupError
from gis.settings import DEFAULT_SECRET, Settings
from gis.sniff import require_media_type, sniff_media_type

__all__ = ["HardeningSettings", "check_secret", "install", "require_media_type", "sniff_media_type"]

log = logging.getLogger("gridmap.hardening")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# Map reports (/reports/*.html) are self-contained pages with their scripts inlined (they must
# open offline as files too): inline code may run, but nothing may be loaded or sent anywhere.
REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src data:; connect-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
REPORT_PAGES = re.compile(r"^/reports/.*\.html$")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
LOGIN_PATHS = re.compile(r"^/auth/token/?$")
REPORT_PATHS = re.compile(r"^(/api/v1)?/(cases|open311/v2/requests(\.json)?)/?$")
JSON_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain", "")


class HardeningSettings(BaseSettings):
    """Limits and switches of the HTTP layer (prefix ``GRIDMAP_HTTP_``)."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_HTTP_", extra="ignore")

    max_json_bytes: int = Field(default=1 << 20, ge=1024)
    max_upload_bytes: int = Field(default=25 << 20, ge=1024)
    login_per_minute: int = Field(default=10, ge=1)
    reports_per_minute: int = Field(default=60, ge=1)
    rate_limits: bool | None = None  # None: on, except in the test environment
    cors_origins: list[str] = Field(default_factory=list)


def check_secret(settings: Settings) -> None:
    """Refuse the default secret key outside explicit demo mode (and tests).

    Raises
    ------
    SetupError
        ``GRIDMAP_SECRET_KEY`` is the default and ``GRIDMAP_ENV`` is not ``demo``/``test``.
    """
    if settings.secret_key == DEFAULT_SECRET and settings.env not in ("demo", "test"):
        raise SetupError(
            "GRIDMAP_SECRET_KEY 是默认值 (the secret key is the default): set a long random "
            "value (python -c 'import secrets;print(secrets.token_urlsafe(48))'), or run the "
            "demo explicitly with GRIDMAP_ENV=demo"
        )
    if settings.env == "demo" and settings.secret_key == DEFAULT_SECRET:
        log.warning("demo mode: the default secret key signs tokens; never expose this server")
    if settings.env == "production" and len(settings.secret_key) < 32:
        raise SetupError("GRIDMAP_SECRET_KEY 太短 (secret key shorter than 32 characters)")


def _json_error(status: int, code: str, message: str, **extra: object) -> tuple[bytes, bytes]:
    body = {"error": code, "message": message, **extra}
    return json.dumps(body, ensure_ascii=False).encode(), b"application/json"


async def _send_json(
    send: Send, status: int, body: bytes, extra: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.extend(extra)
    headers.extend(SECURITY_HEADERS)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds the security headers to every HTTP response (keeping any a route set itself)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        report = bool(REPORT_PAGES.match(scope.get("path", "")))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                if report and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", REPORT_CSP.encode()))
                    present.add(b"content-security-policy")
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                if https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuses request bodies over the limit for their type with a JSON 413.

    A declared ``Content-Length`` over the limit is refused before the app runs; a body without
    one (chunked) is read here up to the limit and then handed on, so the app never sees a body
    cut short.
    """

    def __init__(self, app: ASGIApp, *, json_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.json_bytes = json_bytes
        self.upload_bytes = upload_bytes

    async def _refuse(self, send: Send, limit: int) -> None:
        body, _ = _json_error(
            413, "too_large", f"请求体超过 {limit:,} 字节 (request body too large)", limit=limit
        )
        await _send_json(send, 413, body, [(b"connection", b"close")])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        small = ctype in JSON_TYPES or (ctype.endswith("+json") and ctype != "application/geo+json")
        limit = self.json_bytes if small else self.upload_bytes
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(send, limit)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        total = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            total += len(message.get("body", b""))
            if total > limit:
                await self._refuse(send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds per key (in this process)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Count one event; returns 0 if allowed, else seconds until the next is allowed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return q[0] + self.window - now
            q.append(now)
            if len(self._hits) > 50_000:  # forget idle keys
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[k]
            return 0.0


def _caller_key(scope: Scope) -> str:
    headers = Headers(scope=scope)
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        import hashlib

        return "t:" + hashlib.sha256(auth[7:].encode()).hexdigest()[:32]
    key = headers.get("x-api-key")
    if key:
        return "k:" + key[:16]
    client = scope.get("client")
    return "a:" + (client[0] if client else "?")


def rate_refusal(wait: float) -> tuple[bytes, tuple[bytes, bytes]]:
    """The 429 JSON body and ``Retry-After`` for a caller who may send again in ``wait`` s."""
    seconds = int(wait) + 1
    body, _ = _json_error(
        429,
        "rate_limited",
        f"请求过于频繁，请 {seconds} 秒后再试 (too many requests; retry later)",
        retry_after=seconds,
    )
    return body, (b"retry-after", str(seconds).encode())


def report_wait(windows: RateWindows | None, scope: Scope) -> float:
    """Count one report submission; seconds to wait if it is one too many, else 0."""
    return windows.reports.hit(_caller_key(scope)) if windows is not None else 0.0


class RateWindows:
    """The rate limits of one app: sign-ins per address, report submissions per caller."""

    def __init__(self, *, login_per_minute: int, reports_per_minute: int) -> None:
        self.login = SlidingWindow(login_per_minute)
        self.reports = SlidingWindow(reports_per_minute)


class RateLimit:
    """429 with ``Retry-After`` when sign-in or report submission comes too fast.

    The windows live on ``app.state.rate_windows`` so that the report fast path
    (:mod:`api.casepath`) counts in the same ones.
    """

    def __init__(self, app: ASGIApp, *, windows: RateWindows) -> None:
        self.app = app
        self.windows = windows

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            wait = 0.0
            if LOGIN_PATHS.match(path):
                client = scope.get("client")
                wait = self.windows.login.hit("a:" + (client[0] if client else "?"))
            elif REPORT_PATHS.match(path):
                wait = report_wait(self.windows, scope)
            if wait > 0:
                body, retry_after = rate_refusal(wait)
                await _send_json(send, 429, body, [retry_after])
                return
        await self.app(scope, receive, send)


def install(app: FastAPI, hardening: HardeningSettings | None = None) -> None:
    """Check the secret and add the middleware (outermost last)."""
    settings: Settings = app.state.settings
    check_secret(settings)
    h = hardening or HardeningSettings()
    app.state.hardening = h
    app.debug = False
    if h.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=h.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
            max_age=600,
        )
    rate_limits = h.rate_limits if h.rate_limits is not None else settings.env != "test"
    app.state.rate_windows = None
    if rate_limits:
        app.state.rate_windows = RateWindows(
            login_per_minute=h.login_per_minute, reports_per_minute=h.reports_per_minute
        )
        app.add_middleware(RateLimit, windows=app.state.rate_windows)
    app.add_middleware(BodyLimit, json_bytes=h.max_json_bytes, upload_bytes=h.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
