# ruff: noqa: F811  (the scratch fixture is imported from tests.auth_fixtures)
"""Authorisation matrix: every route × every role (and anonymous).

The rule of each route is read from its ``allow(...)`` dependency (``check.roles``,
``check.public``) in the FastAPI dependants. A route without one fails this test — add
``dependencies=[Depends(allow(...))]`` to it. Requests go to a live server on a scratch
database; for roles the rule lets through, the answer must be neither 401/403 nor a 5xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from api.security import ROLES
from tests.auth_fixtures import Scratch, scratch  # noqa: F401  (fixture)

ANON = "anonymous"
CALLERS = (*ROLES, ANON)
DEPARTMENT = "cityadmin"


def route_rule(route: Any) -> tuple[bool, frozenset[str]] | None:
    """(public, roles) of a route, or None when it declares no decision."""
    checks: list[Any] = []

    def walk(dependant: Any) -> None:
        for sub in dependant.dependencies:
            if hasattr(sub.call, "roles") and hasattr(sub.call, "public"):
                checks.append(sub.call)
            walk(sub)

    walk(route.dependant)
    if not checks:
        return None
    if all(c.public for c in checks):
        return True, frozenset(CALLERS)
    roles = frozenset(ROLES)
    for c in checks:
        if not c.public:
            roles &= c.roles
    return False, roles


def api_routes(app: Any) -> Iterator[tuple[Any, str]]:
    """Every API route with its effective settings (prefixes and router dependencies applied,
    as FastAPI's OpenAPI generator sees them), once per method."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before effective route contexts
        contexts: Any = app.routes
    else:
        contexts = iter_route_contexts(app.routes)
    for route in contexts:
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute):
            for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
                yield route, method


def _fill(route: Any) -> str:
    types = {f.name: getattr(f.field_info, "annotation", str) for f in route.dependant.path_params}

    def value(m: re.Match[str]) -> str:
        t = types.get(m.group(1), str)
        return "999999" if t is int else "0" if t is float else "zz-no-such"

    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", value, route.path_format)


def _headers(caller: str, grids: str) -> dict[str, str]:
    if caller == ANON:
        return {}
    h = {"X-Gridmap-User": f"matrix-{caller}", "X-Gridmap-Role": caller}
    if caller == "field_staff":
        h["X-Gridmap-Grids"] = grids
    if caller == "handler":
        h["X-Gridmap-Department"] = DEPARTMENT
    return h


def test_every_route_declares_who_may_call_it(scratch: Scratch) -> None:
    undecided = sorted(f"{m} {r.path}" for r, m in api_routes(scratch.app) if route_rule(r) is None)
    assert not undecided, (
        "routes without an access decision (add dependencies=[Depends(allow(...))] or "
        "allow(public=True)):\n  " + "\n  ".join(undecided)
    )


def test_openapi_operations_are_all_covered(scratch: Scratch) -> None:
    spec = httpx.get(f"{scratch.url}/openapi.json", timeout=30).json()
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item if m != "parameters"}
    known = {(m, r.path_format) for r, m in api_routes(scratch.app)}
    assert ops <= known, sorted(ops - known)


def test_matrix(scratch: Scratch) -> None:
    import sqlalchemy as sa

    from gis.db import make_engine

    eng = make_engine(scratch.database_url, pool_size=1)
    with eng.connect() as conn:
        grids = ",".join(
            conn.execute(sa.text("SELECT code FROM grids ORDER BY code LIMIT 3")).scalars()
        )
    eng.dispose()
    wrong: list[str] = []
    errors: list[str] = []
    checked = 0
    with httpx.Client(base_url=scratch.url, timeout=30) as http:
        for route, method in api_routes(scratch.app):
            rule = route_rule(route)
            if rule is None:
                continue  # reported by test_every_route_declares_who_may_call_it
            public, roles = rule
            path = _fill(route)
            body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            for caller in CALLERS:
                with http.stream(method, path, headers=_headers(caller, grids), **body) as r:
                    status = r.status_code
                checked += 1
                if status >= 500:
                    errors.append(f"{method} {route.path} as {caller}: {status}")
                    continue
                if public or caller in roles:
                    expected = "allowed"
                    ok = status not in (401, 403)
                elif caller == ANON:
                    expected, ok = "401", status == 401
                else:
                    expected, ok = "403", status == 403
                if not ok:
                    wrong.append(
                        f"{method} {route.path} as {caller}: {status}, expected {expected}"
                    )
    assert checked > 0
    assert not wrong, "authorisation differs from the declared rule:\n  " + "\n  ".join(wrong)
    assert not errors, "server errors:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize(
    ("path", "method", "allowed"),
    [
        ("/users", "GET", {"admin"}),
        ("/audit", "GET", {"admin"}),
        ("/apikeys", "POST", {"admin"}),
        ("/auth/token", "POST", set(CALLERS)),
    ],
)
def test_rules_of_accounts_routes(
    scratch: Scratch, path: str, method: str, allowed: set[str]
) -> None:
    rules = {(r.path, m): route_rule(r) for r, m in api_routes(scratch.app)}
    public, roles = rules[(path, method)]  # type: ignore[misc]
    assert (set(CALLERS) if public else set(roles)) == allowed
