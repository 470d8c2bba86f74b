"""Spatial lookups over HTTP: locate, nearest, nearby, within, convert — and bad input."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from gis import crs

SEAT = (102.40041, 36.48023)
COMMANDER = {"X-Gridmap-User": "c1", "X-Gridmap-Role": "commander"}
VIEWER = {"X-Gridmap-User": "v1", "X-Gridmap-Role": "viewer"}
BOX = {
    "type": "Polygon",
    "coordinates": [
        [[102.39, 36.47], [102.41, 36.47], [102.41, 36.49], [102.39, 36.49], [102.39, 36.47]]
    ],
}


def test_locate_with_staff_only_for_personal_roles(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/locate", params={"lon": SEAT[0], "lat": SEAT[1]}, headers=COMMANDER)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["township_code"] == "630202001000" and len(body["grid_code"]) == 15
    assert body["staff"] and all(s["phone"] for s in body["staff"])
    anon = client.get("/api/v1/locate", params={"lon": SEAT[0], "lat": SEAT[1]}).json()
    assert anon["grid_code"] == body["grid_code"]
    assert anon["staff"] and all("phone" not in s and "name" not in s for s in anon["staff"])
    v = client.get("/api/v1/locate", params={"lon": SEAT[0], "lat": SEAT[1]}, headers=VIEWER)
    assert all("phone" not in s for s in v.json()["staff"])


def test_locate_bd09_and_swapped(client) -> None:  # type: ignore[no-untyped-def]
    bx, by = crs.wgs84_to_bd09(*SEAT)
    r = client.get("/api/v1/locate", params={"lon": bx, "lat": by, "crs": "bd09"})
    assert r.status_code == 200 and abs(r.json()["lon"] - SEAT[0]) < 1e-7
    r = client.get("/api/v1/locate", params={"lon": SEAT[1], "lat": SEAT[0]})
    assert r.status_code == 422
    assert r.json()["detail"]["swapped"] is True and "swapped" in r.json()["message"]
    r = client.get("/api/v1/locate", params={"lon": 101.78, "lat": 36.62})
    assert r.status_code == 422 and r.json()["detail"]["swapped"] is False


@pytest.mark.parametrize(
    "params,field",
    [
        ({"lon": "abc", "lat": 36.4}, "lon"),
        ({"lon": 102.4, "lat": "north"}, "lat"),
        ({"lon": 102.4}, "lat"),
        ({"lon": "nan", "lat": 36.4}, "lon"),
        ({"lon": 102.4, "lat": -91}, "lat"),
        ({"lon": 190, "lat": 36.4}, "lon"),
        ({"lon": 102.4, "lat": 36.4, "crs": "mars"}, "crs"),
    ],
)
def test_locate_bad_input(client, params: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/locate", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


def test_batch_locate(client) -> None:  # type: ignore[no-untyped-def]
    pts = [list(SEAT), [SEAT[1], SEAT[0]], [101.78, 36.62]] * 3
    r = client.post("/api/v1/locate", json={"points": pts}, headers=COMMANDER)
    assert r.status_code == 200, r.text
    b = r.json()
    assert (b["count"], b["found"], b["outside"]) == (9, 3, 6)
    assert [x["i"] for x in b["results"]] == list(range(9))
    assert b["results"][1]["swapped"] is True and b["results"][2]["swapped"] is False
    assert b["results"][0]["grid_code"] in b["staff"]
    assert client.post("/api/v1/locate", json={"points": pts}).status_code == 401
    v = client.post("/api/v1/locate", json={"points": pts}, headers=VIEWER).json()
    assert all("phone" not in s for ss in v["staff"].values() for s in ss)


def test_batch_locate_answers_as_the_single_route(client, db) -> None:  # type: ignore[no-untyped-def]
    rows = db.execute(
        sa.text("SELECT ST_X(geom), ST_Y(geom) FROM residences ORDER BY id DESC LIMIT 40")
    ).all()
    pts = [[float(x) + 0.0004, float(y) - 0.0003] for x, y in rows]
    pts[7] = [101.78, 36.62]  # outside
    pts[11] = [SEAT[1], SEAT[0]]  # swapped
    b = client.post("/api/v1/locate", json={"points": pts}, headers=COMMANDER).json()
    assert b["count"] == len(pts) and b["outside"] >= 2
    for i, (x, y) in enumerate(pts):
        one = client.get("/api/v1/locate", params={"lon": x, "lat": y}, headers=COMMANDER)
        got = b["results"][i]
        assert got["i"] == i
        if one.status_code == 422:
            assert got["error"] == "outside"
            assert got["message"] == one.json()["message"]
            assert got["swapped"] == one.json()["detail"]["swapped"]
            continue
        single = one.json()
        assert one.headers["server-timing"].startswith("locate;dur=")
        assert {"i": i, **{k: v for k, v in single.items() if k != "staff"}} == got
        assert b["staff"][got["grid_code"]] == single["staff"]


@pytest.mark.parametrize(
    "body,status,field",
    [
        ({"points": []}, 400, "points"),
        ({"points": [[102.4, 36.4], [102.4]]}, 400, "points[1]"),
        ({"points": [[102.4, 36.4], [102.4, 100.0]]}, 400, "points[1].lat"),
        ({"points": [["x", 36.4]]}, 400, "points.0.0"),
        ({"points": [[102.4, 36.4]], "crs": "mars"}, 400, "crs"),
        ({"points": [[102.4, 36.4]] * 10_001}, 413, "points"),
    ],
)
def test_batch_locate_bad_input(client, body: dict, status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/locate", json=body, headers=COMMANDER)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field


def test_nearest_and_nearby(client) -> None:  # type: ignore[no-untyped-def]
    p = {"lon": SEAT[0], "lat": SEAT[1]}
    r = client.get("/api/v1/nearest", params={**p, "kind": "police_room", "k": 3})
    assert r.status_code == 200, r.text
    d = [f["distance_m"] for f in r.json()["features"]]
    assert len(d) == 3 and d == sorted(d)
    r = client.get("/api/v1/nearby", params={**p, "radius": 800, "kind": "health_station"})
    assert r.status_code == 200
    assert all(f["distance_m"] <= 800 for f in r.json()["features"])


@pytest.mark.parametrize(
    "path,params,field",
    [
        ("/api/v1/nearest", {"k": 0}, "k"),
        ("/api/v1/nearest", {"k": 100000}, "k"),
        ("/api/v1/nearest", {"k": "many"}, "k"),
        ("/api/v1/nearest", {"kind": "casino"}, "kind"),
        ("/api/v1/nearest", {"status": "gone"}, "status"),
        ("/api/v1/nearest", {"crs": "nope"}, "crs"),
        ("/api/v1/nearby", {"radius": 0}, "radius"),
        ("/api/v1/nearby", {"radius": -1}, "radius"),
        ("/api/v1/nearby", {"radius": 50_001}, "radius"),
        ("/api/v1/nearby", {}, "radius"),
        ("/api/v1/nearby", {"radius": 100, "kind": "casino"}, "kind"),
        ("/api/v1/nearby", {"radius": 100, "limit": 0}, "limit"),
    ],
)
def test_nearby_bad_input(client, path: str, params: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path, params={"lon": SEAT[0], "lat": SEAT[1], **params})
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


def test_within_counts_cases_facilities_grids(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/within",
        json={"geometry": BOX, "start": "2025-11-01", "limit": 5},
        headers=COMMANDER,
    )
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["cases"]["total"] == sum(b["cases"]["by_state"].values()) > 5
    assert len(b["cases"]["items"]) == 5 and b["cases"]["truncated"]
    assert "reporter_phone" not in b["cases"]["items"][0]
    assert b["grids"]["total"] > 0 and all(0 < g["share_inside"] <= 1 for g in b["grids"]["items"])
    assert b["facilities"]["total"] == sum(b["facilities"]["by_kind"].values())


def _ring(*pts: tuple[float, float]) -> dict:
    return {"type": "Polygon", "coordinates": [[list(p) for p in pts]]}


@pytest.mark.parametrize(
    "geometry,status,needle",
    [
        (
            _ring((102.39, 36.47), (102.41, 36.47), (102.41, 36.49), (102.39, 36.49)),
            400,
            "not closed",
        ),
        (
            _ring(
                (102.39, 36.47), (102.41, 36.49), (102.41, 36.47), (102.39, 36.49), (102.39, 36.47)
            ),
            400,
            "Self-intersection",
        ),
        ({"type": "Polygon", "coordinates": []}, 400, "empty"),
        ({"type": "Point", "coordinates": [102.4, 36.4]}, 400, "Polygon"),
        (
            _ring((102.39, 36.47), (102.41, 36.47), (102.39, 36.47), (102.39, 36.47)),
            400,
            "invalid polygon",
        ),
        (
            _ring(
                *[(102.39 + i * 1e-5, 36.47 + (i % 2) * 1e-5) for i in range(5001)], (102.39, 36.47)
            ),
            400,
            "too many vertices",
        ),
        (
            _ring((100.0, 35.0), (104.0, 35.0), (104.0, 38.0), (100.0, 38.0), (100.0, 35.0)),
            422,
            "larger than the district",
        ),
    ],
)
def test_within_bad_polygons(client, geometry: dict, status: int, needle: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/within", json={"geometry": geometry}, headers=COMMANDER)
    assert r.status_code == status, r.text
    assert r.json()["field"] == "geometry" and needle in r.json()["message"]


def test_within_window_and_limit_checked(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/within",
        json={"geometry": BOX, "start": "2026-05-02", "end": "2026-05-01"},
        headers=COMMANDER,
    )
    assert r.status_code == 400 and r.json()["field"] == "end"
    r = client.post("/api/v1/within", json={"geometry": BOX, "limit": 0}, headers=COMMANDER)
    assert r.status_code == 400 and r.json()["field"] == "limit"
    assert client.post("/api/v1/within", json={"geometry": BOX}).status_code == 401


def test_convert_round_trips(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/api/v1/convert", params={"x": SEAT[0], "y": SEAT[1], "from": "wgs84", "to": "gcj02"}
    )
    assert r.status_code == 200, r.text
    g = r.json()
    back = client.get(
        "/api/v1/convert", params={"x": g["x"], "y": g["y"], "from": "gcj02", "to": "wgs84"}
    ).json()
    assert abs(back["x"] - SEAT[0]) < 1e-7 and abs(back["y"] - SEAT[1]) < 1e-7
    r = client.post(
        "/api/v1/convert",
        json={"points": [list(SEAT)], "from": "wgs84", "to": "epsg:4543"},
    )
    e, n = r.json()["points"][0]
    assert 535_000 < e < 537_000 and 4_038_000 < n < 4_040_000
    bd = client.post(
        "/api/v1/convert", json={"points": [[e, n]], "from": "epsg:4543", "to": "bd09"}
    ).json()["points"][0]
    assert max(abs(a - b) for a, b in zip(bd, crs.wgs84_to_bd09(*SEAT), strict=True)) < 1e-7


@pytest.mark.parametrize(
    "params,field",
    [
        ({"x": 1, "y": 2, "from": "mars", "to": "wgs84"}, "from"),
        ({"x": 1, "y": 2, "from": "wgs84", "to": "epsg:99999999"}, "to"),
        ({"x": 1, "y": 200, "from": "wgs84", "to": "gcj02"}, "points[0]"),
        ({"x": "a", "y": 2, "from": "wgs84", "to": "gcj02"}, "x"),
        ({"y": 2, "from": "wgs84", "to": "gcj02"}, "x"),
    ],
)
def test_convert_bad_input(client, params: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/convert", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


def test_openapi_documents_the_routes(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/api/v1/locate",
        "/api/v1/nearest",
        "/api/v1/nearby",
        "/api/v1/within",
        "/api/v1/convert",
        "/api/v1/stats/kpis",
        "/api/v1/stats/series",
        "/api/v1/stats/choropleth",
    ):
        assert p in paths


def _terminate_locate_connections(engine) -> int:  # type: ignore[no-untyped-def]
    """Terminate the lookup pool's backends and wait until they are gone; how many there were.

    A connection of its own: in a transaction ``pg_stat_activity`` is a snapshot.
    """
    find = sa.text(
        "SELECT pid FROM pg_stat_activity "
        "WHERE application_name = 'gridmap-locate' AND datname = current_database()"
    )
    with engine.connect() as conn:
        pids = conn.execute(find).scalars().all()
        conn.execute(sa.text("SELECT pg_terminate_backend(p) FROM unnest(:p) p"), {"p": pids})
        conn.commit()
    for _ in range(200):
        with engine.connect() as conn:
            if not set(conn.execute(find).scalars()) & set(pids):
                return len(pids)
        time.sleep(0.01)
    raise AssertionError(f"backends {pids} still there")


def test_locate_after_lost_connections(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gis.cluster import free_port
    from gis.pg import dsn_of

    params = {"lon": SEAT[0], "lat": SEAT[1]}
    first = client.get("/api/v1/locate", params=params, headers=COMMANDER)
    assert first.status_code == 200 and first.json()["staff"][0]["phone"]
    assert _terminate_locate_connections(client.app.state.engine) >= 1
    # the idle connection is dead: it is replaced and the answer is the same
    again = client.get("/api/v1/locate", params=params, headers=COMMANDER)
    assert again.status_code == 200 and again.json() == first.json()
    # lost, and no new connection can be opened: 503 naming the database, not a 500
    assert _terminate_locate_connections(client.app.state.engine) >= 1
    pool = client.app.state.locate_pool
    monkeypatch.setattr(pool, "dsn", dsn_of(client.app.state.engine.url.set(port=free_port())))
    down = client.get("/api/v1/locate", params=params, headers=COMMANDER)
    assert down.status_code == 503, down.text
    assert down.json()["error"] == "unavailable" and down.json()["field"] == "database"
    monkeypatch.undo()
    back = client.get("/api/v1/locate", params=params, headers=COMMANDER)
    assert back.status_code == 200 and back.json() == first.json()


def test_locate_route_answers_as_the_lookup(client, db) -> None:  # type: ignore[no-untyped-def]
    from gis.spatial.lookup import locate_point

    rows = db.execute(
        sa.text("SELECT ST_X(geom), ST_Y(geom) FROM residences ORDER BY id LIMIT 5")
    ).all()
    for x, y in [SEAT, *((float(a) + 0.0002, float(b)) for a, b in rows)]:
        for headers, personal in ((COMMANDER, True), (VIEWER, False), ({}, False)):
            r = client.get("/api/v1/locate", params={"lon": x, "lat": y}, headers=headers)
            assert r.status_code == 200, r.text
            want = locate_point(db, lon=x, lat=y, crs="wgs84", personal=personal)
            assert list(r.json()) == list(want) and r.json() == want
