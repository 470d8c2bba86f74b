# ruff: noqa: F811  (the scratch fixture is imported from tests.auth_fixtures)
"""Injection attempts are refused: SQL in every string parameter and in CQL2 filters, path
traversal in file names, oversized and absurdly nested JSON. Against a live scratch server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from gis.db import make_engine
from tests.auth_fixtures import Scratch, scratch  # noqa: F401  (fixture)

ADMIN = {"X-Gridmap-User": "inj-admin", "X-Gridmap-Role": "admin"}
SQL = [
    "' OR '1'='1",
    "x'; DROP TABLE users; --",
    "1) UNION SELECT username, password_hash FROM users --",
    "'; SELECT pg_sleep(8); --",
    '"; DELETE FROM audit_log; --',
]
TRAVERSAL = ["../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "....//....//etc/passwd"]
# Signs that an attack worked or an internal error leaked (error messages may quote the input,
# so the attack text itself is not one of them).
LEAKS = ("root:x:0:0", "$argon2", "syntax error at", "psycopg2", "Traceback", "sqlalchemy")


def _string_params(spec: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(method, path, location, name) of every string query/path parameter of a GET."""
    out = []
    for path, item in spec["paths"].items():
        op = item.get("get")
        if not op:
            continue
        for p in op.get("parameters", []):
            schema = p.get("schema", {})
            kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if "string" in kinds and p["in"] in ("query", "path"):
                out.append(("GET", path, p["in"], p["name"]))
    return out


def _path_with(path: str, name: str, value: str) -> str:
    import re

    def fill(m: re.Match[str]) -> str:
        return value if m.group(1) == name else "1"

    return re.sub(r"\{([^}]+)\}", fill, path)


def _db_state(url: str) -> tuple[int, int, bool]:
    eng = make_engine(url, pool_size=1)
    with eng.connect() as conn:
        users = conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
        cases = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
        audit = conn.execute(sa.text("SELECT to_regclass('audit_log') IS NOT NULL")).scalar_one()
    eng.dispose()
    return users, cases, audit


def _check(r: httpx.Response, what: str, problems: list[str]) -> None:
    if "pg_sleep" in what and r.elapsed.total_seconds() >= 8:
        problems.append(f"{what}: took {r.elapsed.total_seconds():.1f} s (the sleep ran?)")
    if r.status_code >= 500:
        problems.append(f"{what}: {r.status_code}")
    text = r.text[:200_000]
    for leak in LEAKS:
        if leak in text:
            problems.append(f"{what}: response contains {leak!r}")


def test_sql_and_traversal_in_every_string_parameter(scratch: Scratch) -> None:
    before = _db_state(scratch.database_url)
    problems: list[str] = []
    with httpx.Client(base_url=scratch.url, headers=ADMIN, timeout=60) as http:
        spec = http.get("/openapi.json").json()
        targets = _string_params(spec)
        assert targets, "no string parameters found"
        for method, path, where, name in targets:
            for payload in SQL + TRAVERSAL:
                what = f"{method} {path} {where}:{name}={payload!r}"
                try:
                    if where == "query":
                        r = http.request(method, _path_with(path, "", ""), params={name: payload})
                    else:
                        quoted = payload.replace("/", "%2F") if "%" not in payload else payload
                        r = http.request(method, _path_with(path, name, quoted))
                except httpx.TimeoutException:
                    problems.append(f"{what}: no answer within 60 s")
                    continue
                _check(r, what, problems)
    assert not problems, "\n".join(problems[:50])
    assert _db_state(scratch.database_url) == before


def test_sql_in_json_bodies_is_data(scratch: Scratch) -> None:
    with httpx.Client(base_url=scratch.url, headers=ADMIN, timeout=10) as http:
        for payload in SQL:
            r = http.post("/users", json={"username": payload, "role": "viewer"})
            assert r.status_code == 400 and r.json()["field"] == "username"
            r = http.get("/audit", params={"actor": payload})
            assert r.status_code == 200 and r.json()["items"] == []
        r = http.post("/apikeys", json={"name": "x'); DROP TABLE api_keys; --"})
        assert r.status_code == 400
    users, _, audit_exists = _db_state(scratch.database_url)
    assert audit_exists and users >= 0


CQL2_TEXT = [
    "name = 'x'' OR ''1''=''1'",
    "name = 'x'); DROP TABLE users; --",
    '"name; DROP TABLE users; --" = 1',
    "pg_sleep(8) = 0",
    "name = 'a' OR 1=1) UNION SELECT password_hash FROM users --",
]
CQL2_JSON = [
    {"op": "=", "args": [{"property": "name) OR (1=1"}, "x"]},
    {"op": "=", "args": [{"property": "name"}, "x' OR '1'='1"]},
    {"op": "pg_sleep", "args": [8]},
]


def _cql2_targets(http: httpx.Client) -> list[tuple[str, str]]:
    """(items URL, a string property) of every OGC collection, and any other operation that
    declares a ``filter`` parameter."""
    spec = http.get("/openapi.json").json()
    out = [
        (path, "name")
        for path, item in spec["paths"].items()
        if any(p["name"] == "filter" for p in item.get("get", {}).get("parameters", []))
    ]
    if "/ogc/collections/{collectionId}/items" in spec["paths"]:
        for c in http.get("/ogc/collections").json().get("collections", []):
            q = http.get(f"/ogc/collections/{c['id']}/queryables").json()
            props = q.get("properties", {}) if isinstance(q, dict) else {}
            strings = [
                k for k, v in props.items() if isinstance(v, dict) and v.get("type") == "string"
            ]
            out.append((f"/ogc/collections/{c['id']}/items", (strings or ["name"])[0]))
    return out


def test_sql_in_cql2_filters(scratch: Scratch) -> None:
    with httpx.Client(base_url=scratch.url, headers=ADMIN, timeout=60) as http:
        targets = _cql2_targets(http)
        if not targets:
            pytest.skip("no OGC items endpoint or `filter` parameter in /openapi.json yet")
        before = _db_state(scratch.database_url)
        problems: list[str] = []
        for url, prop in targets:
            texts = [t.replace("name", prop) for t in CQL2_TEXT]
            docs = [json.loads(json.dumps(d).replace('"name', f'"{prop}')) for d in CQL2_JSON]
            attempts = [{"filter": t, "filter-lang": "cql2-text"} for t in texts] + [
                {"filter": json.dumps(d), "filter-lang": "cql2-json"} for d in docs
            ]
            for params in attempts:
                what = f"GET {url} filter={params['filter']!r}"
                try:
                    r = http.get(url, params={**params, "limit": 5})
                except httpx.TimeoutException:
                    problems.append(f"{what}: no answer within 60 s")
                    continue
                _check(r, what, problems)
                if r.status_code == 200 and "OR" in params["filter"]:
                    got = r.json().get("features", [])
                    # A quoted literal stays a literal: nothing is named like the attack text.
                    if got:
                        problems.append(f"{what}: returned {len(got)} features")
        assert not problems, "\n".join(problems[:50])
        assert _db_state(scratch.database_url) == before


def test_static_path_traversal(scratch: Scratch) -> None:
    with httpx.Client(base_url=scratch.url, timeout=60) as http:
        for raw in (
            "/static/../../../../etc/passwd",
            "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
            "/static/%252e%252e/%252e%252e/etc/passwd",
            "/static//etc/passwd",
        ):
            r = http.send(http.build_request("GET", httpx.URL(scratch.url + raw)))
            assert r.status_code in (400, 403, 404), (raw, r.status_code)
            assert "root:" not in r.text


def test_uploaded_file_names_cannot_escape(scratch: Scratch) -> None:
    field = {
        "X-Gridmap-User": "inj-field",
        "X-Gridmap-Role": "commander",
    }
    eng = make_engine(scratch.database_url, pool_size=1)
    with eng.connect() as conn:
        lon, lat, cat = conn.execute(
            sa.text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)),"
                " (SELECT code FROM categories WHERE level = 2 ORDER BY code LIMIT 1)"
                " FROM grids ORDER BY code LIMIT 1"
            )
        ).one()
    eng.dispose()
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"
    body = {"lon": lon, "lat": lat, "category": cat, "description": "路面破损 (traversal test)"}
    media = Path(scratch.app.state.settings.media_dir)
    with httpx.Client(base_url=scratch.url, timeout=30) as http:
        r = http.post(
            "/cases",
            headers=field,
            data={"case": json.dumps(body)},
            files=[("photos", ("../../../../../tmp/gridmap-pwn.jpg", jpeg, "image/jpeg"))],
        )
    assert r.status_code < 500, r.text
    escaped = [
        p for p in (Path("/tmp/gridmap-pwn.jpg"), media.parent / "gridmap-pwn.jpg") if p.exists()
    ]
    assert not escaped
    if media.exists():
        for root, _dirs, files in os.walk(media):
            for f in files:
                assert (Path(root) / f).resolve().is_relative_to(media.resolve())
                assert "pwn" not in f


def test_oversized_and_nested_json(scratch: Scratch) -> None:
    huge = json.dumps({"description": "x" * (3 << 20)})
    deep = "[" * 200_000 + "]" * 200_000
    with httpx.Client(base_url=scratch.url, headers=ADMIN, timeout=30) as http:
        spec = http.get("/openapi.json").json()
        posts = [
            (m.upper(), p)
            for p, item in spec["paths"].items()
            for m, op in item.items()
            if m in ("post", "put", "patch")
            and "application/json" in op.get("requestBody", {}).get("content", {})
        ]
        assert posts
        for method, path in posts:
            url = _path_with(path, "", "")
            r = http.request(
                method, url, content=huge, headers={"Content-Type": "application/json"}
            )
            assert r.status_code == 413, (method, path, r.status_code)
            r = http.request(
                method, url, content=deep, headers={"Content-Type": "application/json"}
            )
            assert r.status_code < 500, (method, path, r.status_code, r.text[:200])
