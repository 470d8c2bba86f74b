"""Hotspots and planning analysis over HTTP, with every parameter's validation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

COMMANDER = {"X-Gridmap-User": "c1", "X-Gridmap-Role": "commander"}
PLANNER = {"X-Gridmap-User": "p1", "X-Gridmap-Role": "planner"}
VIEWER = {"X-Gridmap-User": "v1", "X-Gridmap-Role": "viewer"}


def test_hotspots(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/api/v1/analysis/hotspots",
        params={"start": "2025-12-01", "eps": 300, "min_points": 5},
        headers=COMMANDER,
    )
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["cases"] > 0 and b["clusters"]["type"] == "FeatureCollection"
    assert all(f["properties"]["trend"] for f in b["clusters"]["features"])


def test_coverage_sites_balance(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/api/v1/analysis/coverage",
        params={"kind": "service_station", "level": "township"},
        headers=PLANNER,
    )
    assert r.status_code == 200, r.text
    assert r.json()["reach_m"] == 300 and len(r.json()["units"]) == 21
    r = client.post(
        "/api/v1/analysis/sites", json={"kind": "service_station", "k": 2}, headers=PLANNER
    )
    assert r.status_code == 200 and len(r.json()["sites"]) == 2
    r = client.get("/api/v1/analysis/balance", headers=PLANNER)
    assert r.status_code == 200 and r.json()["summary"]["within"] > 0


def _restore(engine, community: str, day: str) -> None:  # type: ignore[no-untyped-def]
    """Undo an applied partition (the API commits; other tests expect the demo grids)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM grids WHERE community_code = :c AND valid_from = :d"),
            {"c": community, "d": day},
        )
        conn.execute(
            sa.text("UPDATE grids SET valid_to = NULL WHERE community_code = :c AND valid_to = :d"),
            {"c": community, "d": day},
        )
        conn.execute(
            sa.text(
                "UPDATE residences r SET grid_code = g.code FROM grids g "
                "WHERE r.community_code = :c AND g.community_code = :c AND g.valid_to IS NULL "
                "AND ST_Intersects(g.geom, r.geom)"
            ),
            {"c": community},
        )


def test_partition_preview_and_apply(client, engine) -> None:  # type: ignore[no-untyped-def]
    body = {"community": "630202400400", "grids": 2}
    r = client.post("/api/v1/analysis/partition/preview", json=body, headers=VIEWER)
    assert r.status_code == 200, r.text
    prev = r.json()
    assert prev["type"] == "FeatureCollection" and len(prev["features"]) == 2
    r = client.post("/api/v1/analysis/partition/apply", json=body, headers=VIEWER)
    assert r.status_code == 403
    day = (date.today() + timedelta(days=2)).isoformat()
    try:
        r = client.post(
            "/api/v1/analysis/partition/apply",
            json={**body, "valid_from": day, "fingerprint": prev["fingerprint"]},
            headers=PLANNER,
        )
        assert r.status_code == 200, r.text
        assert r.json()["created"] == ["630202400400001", "630202400400002"]
        again = client.post(
            "/api/v1/analysis/partition/apply", json={**body, "valid_from": day}, headers=PLANNER
        )
        assert again.status_code == 409 and again.json()["field"] == "valid_from"
    finally:
        _restore(engine, "630202400400", day)
    with engine.connect() as conn:
        n = conn.execute(
            sa.text(
                "SELECT count(*) FROM grids WHERE community_code = '630202400400' "
                "AND valid_to IS NULL"
            )
        ).scalar_one()
    assert n == 1


@pytest.mark.parametrize(
    "method,path,args,status,field",
    [
        ("get", "hotspots", {"eps": 0}, 400, "eps"),
        ("get", "hotspots", {"eps": "wide"}, 400, "eps"),
        ("get", "hotspots", {"min_points": 1}, 400, "min_points"),
        ("get", "hotspots", {"max_clusters": 501}, 400, "max_clusters"),
        ("get", "hotspots", {"start": "2026-05-02", "end": "2026-05-01"}, 400, "end"),
        ("get", "hotspots", {"category": "99"}, 404, "category"),
        ("get", "coverage", {}, 400, "kind"),
        ("get", "coverage", {"kind": "casino"}, 400, "kind"),
        ("get", "coverage", {"kind": "police_room", "reach": -1}, 400, "reach"),
        ("get", "coverage", {"kind": "police_room", "level": "x"}, 400, "level"),
        ("get", "coverage", {"kind": "police_room", "parent": "630202999999"}, 404, "parent"),
        ("post", "sites", {"kind": "police_room", "k": 0}, 400, "k"),
        ("post", "sites", {"kind": "police_room", "candidates": [[1, 2]]}, 400, "candidates[0]"),
        ("post", "sites", {"k": 2}, 400, "kind"),
        ("get", "balance", {"min_households": 600}, 400, "max_households"),
        ("get", "balance", {"scope": "x"}, 400, "scope"),
        ("post", "partition/preview", {"community": "1"}, 400, "community"),
        ("post", "partition/preview", {"community": "630202400400", "grids": 0}, 400, "grids"),
        (
            "post",
            "partition/apply",
            {"community": "630202400400", "valid_from": "2026-13-40"},
            400,
            "valid_from",
        ),
        (
            "post",
            "partition/apply",
            {"community": "630202400400", "valid_from": "2030-01-01T10:00:00"},
            400,
            "valid_from",
        ),
    ],
)
def test_planning_bad_input(
    client,
    method: str,
    path: str,
    args: dict,
    status: int,  # type: ignore[no-untyped-def]
    field: str,
) -> None:
    url = f"/api/v1/analysis/{path}"
    if method == "get":
        r = client.get(url, params=args, headers=COMMANDER)
    else:
        r = client.post(url, json=args, headers=COMMANDER)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
