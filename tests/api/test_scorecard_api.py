"""Scorecard and community-register endpoints over HTTP, against the demo data."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

COMMANDER = {"X-Gridmap-User": "zhihui", "X-Gridmap-Role": "commander"}
VIEWER = {"X-Gridmap-User": "kan", "X-Gridmap-Role": "viewer"}
FIELD = {"X-Gridmap-User": "wg", "X-Gridmap-Role": "field_staff"}


def test_ranking_is_ordered_and_complete(client: TestClient) -> None:
    r = client.get("/api/v1/scorecard", headers=VIEWER)
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 372
    totals = [c["total"] for c in items if c["total"] is not None]
    assert totals == sorted(totals, reverse=True)
    assert [c["rank"] for c in items] == list(range(1, 373))
    assert len({h["code"] for h in r.json()["headings"]}) == 5


def test_one_community_with_definitions_and_report(client: TestClient) -> None:
    r = client.get("/api/v1/scorecard/630202001001", headers=COMMANDER)
    assert r.status_code == 200
    card = r.json()
    assert card["name"] == "朝阳山社区居委会"
    assert {d["code"] for d in card["definitions"]} == set(card["indicators"])
    assert all(d["definition"] and d["source"] for d in card["definitions"])
    html = client.get("/api/v1/scorecard/630202001001/report", headers=COMMANDER)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert '<svg class="radar"' in html.text and "朝阳山社区居委会" in html.text
    assert "leaflet" in html.text.lower()  # the map (drawn in tests/gis/reports)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html.text)
    csp = html.headers["content-security-policy"]
    assert "connect-src 'none'" in csp and "default-src 'none'" in csp


def test_choropleth_and_bad_parameters(client: TestClient) -> None:
    r = client.get("/api/v1/scorecard/geojson?heading=service", headers=VIEWER)
    assert r.status_code == 200
    fc = r.json()
    assert len(fc["features"]) == 372
    assert all(0 <= (f["properties"]["value"] or 0) <= 100 for f in fc["features"])
    bad = client.get("/api/v1/scorecard/geojson?heading=nope", headers=VIEWER)
    assert bad.status_code == 400 and bad.json()["field"] == "heading"
    assert client.get("/api/v1/scorecard/12ab", headers=VIEWER).json()["field"] == "code"
    assert client.get("/api/v1/scorecard/630202999999", headers=VIEWER).status_code == 404
    assert client.get("/api/v1/scorecard").status_code == 401


def test_restricted_population_counts_hidden_from_other_roles(client: TestClient) -> None:
    url = "/api/v1/communities/630202001001/populations"
    full = client.get(url, headers=COMMANDER).json()
    part = client.get(url, headers=VIEWER).json()
    assert "correction" in full["total"]
    assert "correction" not in part["total"] and part["restricted_hidden"] is True
    assert all("correction" not in g for g in part["grids"].values())
    assert part["total"]["retirees"] == full["total"]["retirees"]


def test_roster_hides_names_and_phones_from_viewers(client: TestClient) -> None:
    grid = "630202001001001"
    full = client.get(f"/api/v1/grids/{grid}/roster", headers=COMMANDER).json()
    part = client.get(f"/api/v1/grids/{grid}/roster", headers=VIEWER).json()
    assert any(p.get("phone") for p in full["posts"])
    assert all("phone" not in p and "person_name" not in p for p in part["posts"])
    assert client.get("/api/v1/grids/630202001001999/roster", headers=VIEWER).status_code == 404


def test_register_activity_and_unit(client: TestClient, engine: sa.Engine) -> None:
    body = {
        "kind": "reading",
        "title": "测试读书会",
        "held_on": "2026-01-05",
        "lon": 102.40041,
        "lat": 36.48023,
        "participants": 25,
    }
    r = client.post("/api/v1/activities", json=body, headers=FIELD)
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert r.json()["community_code"].startswith("630202001")
    future = client.post(
        "/api/v1/activities", json={**body, "held_on": "2999-01-01"}, headers=FIELD
    )
    assert future.status_code == 422 and future.json()["field"] == "held_on"
    outside = client.post(
        "/api/v1/activities", json={**body, "lon": 101.78, "lat": 36.62}, headers=FIELD
    )
    assert outside.status_code == 422
    kind = client.post(
        "/api/v1/cobuilding-units",
        headers=FIELD,
        json={"name": "x", "kind": "spaceship", "lon": 102.40041, "lat": 36.48023},
    )
    assert kind.status_code == 400 and kind.json()["field"] == "kind"
    assert client.post("/api/v1/activities", json=body, headers=VIEWER).status_code == 403
    with engine.begin() as conn:
        assert (
            conn.execute(
                sa.text("SELECT title FROM community_activities WHERE id = :i"), {"i": aid}
            ).scalar()
            == "测试读书会"
        )
        conn.execute(sa.text("DELETE FROM community_activities WHERE id = :i"), {"i": aid})
