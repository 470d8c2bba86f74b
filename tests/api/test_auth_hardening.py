"""Hardening: secret key refusal, dev headers only in tests, security headers, size and rate
limits, CORS off by default, no stack traces."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.hardening import HardeningSettings, SlidingWindow, require_media_type, sniff_media_type
from gis.errors import InvalidInput, SetupError
from gis.settings import Settings

ADMIN = {"X-Gridmap-User": "root", "X-Gridmap-Role": "admin"}


def _app(pg_url: str, hardening: HardeningSettings | None = None, **settings: object):  # type: ignore[no-untyped-def]
    from api.main import create_app

    app = create_app(Settings(log_json=True, **settings), database_url=pg_url)  # type: ignore[arg-type]
    if hardening is not None:  # rebuild the middleware stack with these limits
        from api import hardening as h

        app.user_middleware.clear()
        h.install(app, hardening)
    return app


@pytest.mark.parametrize("env", ["development", "production"])
def test_default_secret_refused_outside_demo(pg_url: str, env: str) -> None:
    with pytest.raises((SetupError, ValueError), match="GRIDMAP_SECRET_KEY"):
        _app(pg_url, env=env)


def test_demo_mode_starts_and_ignores_dev_headers(pg_url: str) -> None:
    with TestClient(_app(pg_url, env="demo")) as c:
        assert c.get("/users", headers=ADMIN).status_code == 401
    with TestClient(_app(pg_url, env="production", secret_key="s" * 48)) as c:
        assert c.get("/users", headers=ADMIN).status_code == 401
        assert c.get("/healthz").status_code == 200


def test_security_headers_and_csp(client: TestClient) -> None:
    r = client.get("/healthz")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert "http" not in csp and "*" not in csp  # nothing from elsewhere
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/no/such/page").headers["x-frame-options"] == "DENY"


def test_report_pages_may_run_inline_code_but_load_nothing() -> None:
    import asyncio

    from api.hardening import SecurityHeaders

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def csp(path: str) -> str:
        sent: list[dict] = []

        async def send(message):  # type: ignore[no-untyped-def]
            sent.append(message)

        scope = {"type": "http", "path": path, "scheme": "http"}
        asyncio.run(SecurityHeaders(app)(scope, None, send))  # type: ignore[arg-type]
        return dict(sent[0]["headers"])[b"content-security-policy"].decode()

    report = csp("/reports/projects.html")
    assert "script-src 'unsafe-inline'" in report and "connect-src 'none'" in report
    assert "http" not in report
    assert "unsafe-inline" not in csp("/").split("script-src")[1].split(";")[0]


def test_cors_is_off_by_default(client: TestClient) -> None:
    r = client.options(
        "/healthz",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_configured(pg_url: str) -> None:
    app = _app(
        pg_url, env="test", hardening=HardeningSettings(cors_origins=["https://gis.example"])
    )
    with TestClient(app) as c:
        ok = c.get("/healthz", headers={"Origin": "https://gis.example"})
        assert ok.headers["access-control-allow-origin"] == "https://gis.example"
        other = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_oversized_json_is_413(client: TestClient) -> None:
    big = '{"refresh_token": "' + "a" * (2 << 20) + '"}'
    r = client.post("/auth/logout", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"] == "too_large"

    def chunks():  # no Content-Length: counted as it streams
        yield b'{"refresh_token": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    r = client.post("/auth/logout", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_sign_in_rate_limit(pg_url: str) -> None:
    app = _app(
        pg_url, env="test", hardening=HardeningSettings(rate_limits=True, login_per_minute=3)
    )
    with TestClient(app) as c:
        codes = [
            c.post("/auth/token", data={"username": "nobody", "password": "x" * 10}).status_code
            for _ in range(5)
        ]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]


def test_sliding_window() -> None:
    w = SlidingWindow(2, window=60)
    assert w.hit("a", now=0) == 0 and w.hit("a", now=1) == 0
    assert w.hit("a", now=2) == pytest.approx(58)
    assert w.hit("b", now=2) == 0
    assert w.hit("a", now=60.5) == 0


def test_no_stack_traces(pg_url: str) -> None:
    app = _app(pg_url, env="test")

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert r.json()["error"] == "internal"


def test_upload_sniffing() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
    assert sniff_media_type(png) == "image/png"
    assert sniff_media_type(b"\xff\xd8\xff\xe0" + b"\0" * 8) == "image/jpeg"
    assert sniff_media_type(b'{"type": "FeatureCollection"}') == "application/json"
    assert sniff_media_type(b"lon,lat,name\n102.4,36.5,a\n") == "text/csv"
    assert sniff_media_type(b"<?php system($_GET['c']); ?>") is None
    with pytest.raises(InvalidInput) as err:
        require_media_type(b"<html><script>", ["image/jpeg", "image/png"], field="photo")
    assert err.value.field == "photo"
