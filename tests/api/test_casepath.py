"""JSON case reports answered in front of the framework (api/casepath.py): the same answers
and errors as the route, the route for everything else, rate limit, gzip, metrics."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import api.casepath
from gis.cases.workers import IntakeWorkers
from gis.db import make_engine

SEAT = (102.40041, 36.48023)
FIELD = {"X-Gridmap-User": "wg_tester", "X-Gridmap-Role": "field_staff"}
VARYING = {"case_no", "reported_at", "updated_at", "client_id"}  # differ between two reports
SAME_HEADERS = ("content-type", "x-content-type-options", "content-security-policy", "vary")


@pytest.fixture
def answered(monkeypatch):  # type: ignore[no-untyped-def]
    """The statuses of the reports the fast path answered itself."""
    seen: list[int] = []
    real = api.casepath.report_answer

    def spy(res):  # type: ignore[no-untyped-def]
        status, body = real(res)
        seen.append(status)
        return status, body

    monkeypatch.setattr(api.casepath, "report_answer", spy)
    return seen


def _body(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "client_id": str(uuid.uuid4()),
        "lon": SEAT[0],
        "lat": SEAT[1],
        "category": "0102",
        "description": "路边有暴露垃圾",
    }
    body.update(over)
    return body


def _post(client: TestClient, body: dict[str, object], *, routed: bool = False, **headers: str):  # type: ignore[no-untyped-def]
    """POST as JSON (the fast path) or as text/plain JSON, which only the route takes."""
    ctype = "text/plain" if routed else "application/json"
    return client.post(
        "/api/v1/cases",
        content=json.dumps(body).encode(),
        headers={**FIELD, "Content-Type": ctype, "Accept-Encoding": "identity", **headers},
    )


def test_report_is_stored_as_the_route_stores_it(client, answered) -> None:
    fast = _post(client, _body())
    assert answered == [201]
    routed = _post(client, _body(), routed=True)
    assert answered == [201]  # the route answered that one
    assert fast.status_code == routed.status_code == 201
    a, b = fast.json(), routed.json()
    assert a.keys() == b.keys() and a["created"] is True
    assert {k: v for k, v in a["case"].items() if k not in VARYING} == {
        k: v for k, v in b["case"].items() if k not in VARYING
    }
    assert a["case"]["grid"]["code"] and a["case"]["case_no"] != b["case"]["case_no"]
    for h in SAME_HEADERS:
        assert fast.headers.get(h) == routed.headers.get(h), h
    assert len(fast.headers["x-request-id"]) == 16


def test_resent_client_id_is_the_same_case(client, answered, engine) -> None:
    body = _body()
    first, again = _post(client, body), _post(client, body)
    assert answered == [201, 200]
    assert again.json()["case"]["case_no"] == first.json()["case"]["case_no"]
    with engine.connect() as conn:
        n = conn.execute(
            sa.text("SELECT count(*) FROM cases WHERE client_id = :c"), {"c": body["client_id"]}
        ).scalar_one()
    assert n == 1


@pytest.mark.parametrize(
    ("over", "status", "field"),
    [
        ({"category": "9999"}, 400, "category"),
        ({"lon": 100.0, "lat": 30.0}, 422, "lon"),  # outside the district
        ({"lon": SEAT[1], "lat": SEAT[0]}, 422, "lon"),  # swapped
        ({"description": "   "}, 400, "description"),
    ],
)
def test_refusals_after_parsing_equal_the_routes(
    client, answered, engine, over, status, field
) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
    fast = _post(client, _body(**over))
    routed = _post(client, _body(**over), routed=True)
    assert fast.status_code == routed.status_code == status
    assert fast.json() == routed.json()
    assert fast.json().get("field") == field
    assert answered == []  # refused before an answer was built
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == before


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b'{"lon": 102.4}', {}, 400),  # the model refuses it: the route names the field
        (b"", {}, 400),
        (json.dumps(_body()).encode(), {"X-Gridmap-Role": "viewer"}, 403),
        (json.dumps(_body()).encode(), {"X-Gridmap-User": ""}, 401),
    ],
)
def test_everything_else_goes_to_the_route(client, answered, content, headers, status) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/cases",
        content=content,
        headers={**FIELD, "Content-Type": "application/json", **headers},
    )
    assert r.status_code == status, r.text
    assert r.json()["message"] and answered == []


def test_a_body_read_for_nothing_reaches_the_route_whole(client, answered) -> None:
    """The fast path read the body, refused to parse it, and the route still gets all of it."""
    r = _post(client, _body(lon="east"))
    assert r.status_code == 400 and r.json()["field"] == "lon" and answered == []


def test_gzip_and_metrics(client, answered) -> None:
    before = client.get("/metrics").text
    long = "井盖缺失，" * 120  # an answer well over the gzip threshold
    r = _post(
        client, _body(description=long), **{"Accept-Encoding": "gzip", "X-Request-ID": "rid-7"}
    )
    assert answered == [201]
    assert r.headers["content-encoding"] == "gzip" and "Accept-Encoding" in r.headers["vary"]
    assert r.json()["case"]["description"] == long  # httpx decoded it
    assert r.headers["x-request-id"] == "rid-7"
    after = client.get("/metrics").text
    line = 'gridmap_http_requests_total{method="POST",route="/api/v1/cases",status="201"}'

    def count(text: str) -> float:
        found = [ln for ln in text.splitlines() if ln.startswith(line)]
        return float(found[0].split()[-1]) if found else 0.0

    assert count(after) == count(before) + 1


def test_database_down_is_503(client, app, answered) -> None:
    """The intake pointed at a port nothing listens on: 503 with Retry-After, nothing stored."""
    real = getattr(app.state, "intake_workers", None)
    dead = make_engine("postgresql://nobody:x@127.0.0.1:9/none", pool_size=1)
    app.state.intake_workers = IntakeWorkers(dead, connections=1, compact_every_s=0)
    try:
        r = _post(client, _body())
    finally:
        app.state.intake_workers = real
        dead.dispose()
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json()["error"] == "unavailable" and answered == []


def test_rate_limit_counts_fast_and_routed_reports_once(pg_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from api.main import create_app
    from gis.settings import Settings

    monkeypatch.setenv("GRIDMAP_HTTP_RATE_LIMITS", "true")
    monkeypatch.setenv("GRIDMAP_HTTP_REPORTS_PER_MINUTE", "3")
    app = create_app(Settings(env="test"), database_url=pg_url)
    with TestClient(app) as c:
        bad = _post(c, _body(lon="east"))  # the route's: counted by the middleware
        ok = [_post(c, _body()).status_code for _ in range(2)]  # the fast path's
        refused = _post(c, _body())
    assert bad.status_code == 400 and ok == [201, 201]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"] == "rate_limited" and refused.headers["x-request-id"]
