"""The construction-sites map layer reads the derived status; its tiles follow day and data."""

from __future__ import annotations

import mapbox_vector_tile
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from layers.mvt import tile_of

VIEWER = {"X-Gridmap-User": "v1", "X-Gridmap-Role": "viewer"}


def _site(engine: Engine, name: str) -> tuple[int, float, float]:
    with engine.connect() as c:
        pid, x, y = c.execute(
            sa.text("SELECT id, ST_X(site), ST_Y(site) FROM projects WHERE name LIKE :n || '%'"),
            {"n": name},
        ).one()
    return int(pid), float(x), float(y)


def _features(client: TestClient, x: int, y: int) -> tuple[list[dict], str]:  # type: ignore[type-arg]
    r = client.get(f"/tiles/construction_sites/16/{x}/{y}.pbf")
    assert r.status_code == 200, r.text
    tile = mapbox_vector_tile.decode(r.content)
    feats = [f["properties"] for f in tile["construction_sites"]["features"]]
    return feats, r.headers["x-cache"]


def test_catalogue_styles_sites_by_status(client: TestClient) -> None:
    layers = {la["id"]: la for la in client.get("/api/v1/layers").json()["layers"]}
    cs = layers["construction_sites"]
    assert cs["style"]["by"] == "status"
    assert set(cs["style"]["symbols"]) == {
        "not_started",
        "on_track",
        "at_risk",
        "late",
        "completed",
    }
    assert [e["label"] for e in cs["legend"]] == [
        "未开工",
        "正常推进",
        "存在风险",
        "滞后",
        "已完成",
    ]


def test_tile_carries_the_view_status_and_reach(client: TestClient, engine: Engine) -> None:
    pid, lon, lat = _site(engine, "九哈家")
    x, y = tile_of(lon, lat, 16)
    feats, _ = _features(client, x, y)
    with engine.connect() as c:
        want = c.execute(
            sa.text("SELECT status, progress FROM project_overview WHERE id = :i"), {"i": pid}
        ).one()
    props = next(p for p in feats if p["name"].startswith("九哈家"))
    assert props["status"] == want[0]
    assert abs(props["progress"] - float(want[1])) < 1e-9
    assert props["service_reach_m"] == 500
    assert "contact_phone" not in props  # personal, and not carried in tiles anyway


def test_a_new_day_and_a_milestone_refresh_cached_tiles(client: TestClient, engine: Engine) -> None:
    pid, lon, lat = _site(engine, "九哈家")
    x, y = tile_of(lon, lat, 16)
    _features(client, x, y)
    assert _features(client, x, y)[1] == "hit"
    with engine.begin() as c:  # pretend the last bump was yesterday
        c.execute(
            sa.text(
                "UPDATE layer_data_versions SET changed_at = changed_at - interval '1 day' "
                "WHERE source = 'project_status_day'"
            )
        )
        assert c.execute(sa.text("SELECT project_status_day_bump()")).scalar() is True
        assert c.execute(sa.text("SELECT project_status_day_bump()")).scalar() is None
    assert _features(client, x, y)[1] == "miss"
    with engine.begin() as c:
        old = c.execute(
            sa.text(
                "SELECT actual_date FROM project_milestones WHERE project_id = :p "
                "AND kind = 'structure_complete'"
            ),
            {"p": pid},
        ).scalar()
        c.execute(
            sa.text(
                "UPDATE project_milestones SET actual_date = CURRENT_DATE - 1 "
                "WHERE project_id = :p AND kind = 'structure_complete'"
            ),
            {"p": pid},
        )
    try:
        feats, cache = _features(client, x, y)
        with engine.connect() as c:
            now = c.execute(
                sa.text("SELECT status FROM project_overview WHERE id = :i"), {"i": pid}
            ).scalar()
        assert cache == "miss"
        assert next(p for p in feats if p["name"].startswith("九哈家"))["status"] == now
    finally:
        with engine.begin() as c:
            c.execute(
                sa.text(
                    "UPDATE project_milestones SET actual_date = :d "
                    "WHERE project_id = :p AND kind = 'structure_complete'"
                ),
                {"p": pid, "d": old},
            )
