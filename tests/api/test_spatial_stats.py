"""KPI statistics over HTTP, and each parameter's validation."""

from __future__ import annotations

import pytest

COMMANDER = {"X-Gridmap-User": "c1", "X-Gridmap-Role": "commander"}


def test_kpis_per_township(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/api/v1/stats/kpis",
        params={
            "level": "township",
            "start": "2026-01-01",
            "end": "2026-10-31",
            "sort": "on_time_rate",
        },
        headers=COMMANDER,
    )
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["total"]["due"] == sum(u["due"] for u in b["units"]) > 0
    assert 0 <= b["total"]["on_time_rate"] <= b["total"]["closure_rate"] <= 1
    assert client.get("/api/v1/stats/kpis", params={"level": "grid"}).status_code == 401


def test_series_and_choropleth(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/stats/series", params={"interval": "week"}, headers=COMMANDER)
    assert r.status_code == 200 and len(r.json()["buckets"]) >= 13
    r = client.get(
        "/api/v1/stats/choropleth",
        params={"level": "community", "metric": "closure_rate", "start": "2026-01-01"},
        headers=COMMANDER,
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["metric"] == "closure_rate" and len(fc["features"]) > 300


@pytest.mark.parametrize(
    "path,params,status,field",
    [
        ("kpis", {}, 400, "level"),
        ("kpis", {"level": "county"}, 400, "level"),
        ("kpis", {"level": "grid", "start": "2026-13-01"}, 400, "start"),
        ("kpis", {"level": "grid", "end": "soon"}, 400, "end"),
        ("kpis", {"level": "grid", "start": "2026-05-02", "end": "2026-05-01"}, 400, "end"),
        ("kpis", {"level": "grid", "sort": "joy"}, 400, "sort"),
        ("kpis", {"level": "grid", "order": "up"}, 400, "order"),
        ("kpis", {"level": "grid", "min_due": "x"}, 400, "min_due"),
        ("kpis", {"level": "grid", "category": "99"}, 404, "category"),
        ("kpis", {"level": "grid", "department": "none"}, 404, "department"),
        ("kpis", {"level": "grid", "parent": "12"}, 400, "parent"),
        ("series", {"interval": "hour"}, 400, "interval"),
        (
            "series",
            {"interval": "day", "start": "2024-01-01", "end": "2026-10-01"},
            400,
            "interval",
        ),
        ("series", {"level": "grid"}, 400, "code"),
        ("series", {"level": "galaxy", "code": "1"}, 400, "level"),
        ("series", {"level": "grid", "code": "630202999999999"}, 404, "code"),
        ("choropleth", {"level": "department"}, 400, "level"),
        ("choropleth", {"metric": "joy"}, 400, "metric"),
    ],
)
def test_stats_bad_input(client, path: str, params: dict, status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/stats/{path}", params=params, headers=COMMANDER)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
