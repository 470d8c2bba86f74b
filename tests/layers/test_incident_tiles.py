"""Incident tiles: clusters that count every point, privacy for the public, exact aggregates."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import sqlalchemy as sa

from layers import registry
from layers.mvt import render_layer, tiles_covering

LEDU_BBOX = (102.0993, 36.2055, 102.7932, 36.8524)
VISIBLE = "state NOT IN ('cancelled', 'merged')"
PUBLIC = (
    f"{VISIBLE} AND NOT coalesce((SELECT sensitive FROM categories k "
    "WHERE k.code = c.category_code), false)"
)
INCIDENTS = registry.get("incidents")


def _total(conn, where: str) -> int:
    return int(conn.execute(sa.text(f"SELECT count(*) FROM cases c WHERE {where}")).scalar_one())


def _tile_count(conn, z: int, personal: bool) -> tuple[int, int]:
    """(points counted over the district's tiles at ``z``, number of cluster features).

    Clusters add their counts; single points (repeated in the buffers of neighbouring
    tiles) are counted once by feature id.
    """
    total = clusters = 0
    ids: set[int] = set()
    for x, y in tiles_covering(LEDU_BBOX, z):
        data = render_layer(conn=conn, spec=INCIDENTS, z=z, x=x, y=y, personal=personal)
        if not data:
            continue
        for f in mapbox_vector_tile.decode(data)["incidents"]["features"]:
            if f["properties"]["cluster"]:
                total += f["properties"]["count"]
                clusters += 1
            else:
                ids.add(f["id"])
    return total + len(ids), clusters


@pytest.mark.parametrize("z", [6, 9, 11])
def test_low_zoom_clusters_count_every_point(engine, z):
    with engine.connect() as conn:
        total, clusters = _tile_count(conn, z, True)
        assert total == _total(conn, VISIBLE) and clusters > 0
        assert _tile_count(conn, z, False)[0] == _total(conn, PUBLIC)


def test_crowded_tiles_cluster_and_sparse_tiles_show_points(engine, monkeypatch):
    import dataclasses

    with engine.connect() as conn:
        want = _total(conn, VISIBLE)
        # a tiny point budget forces clusters at z13 and z16 (from the table), z17 (computed live)
        spec = dataclasses.replace(INCIDENTS, max_points=5)
        for z in (13, 16, 17):
            total = 0
            kinds = set()
            for x, y in tiles_covering((102.38, 36.47, 102.42, 36.50), z):
                data = render_layer(conn=conn, spec=spec, z=z, x=x, y=y, personal=True)
                for f in mapbox_vector_tile.decode(data).get("incidents", {}).get("features", []):
                    total += f["properties"]["count"]
                    kinds.add(f["properties"]["cluster"])
            inside = _total(
                conn,
                f"{VISIBLE} AND c.geom && ST_Transform(ST_Transform("
                f"ST_MakeEnvelope(102.38, 36.47, 102.42, 36.50, 4326), 3857), 4326)",
            )
            assert True in kinds and 0 < inside <= total <= want
        # with the default budget, z13 tiles carry the points themselves
        total, clusters = _tile_count(conn, 13, True)
        assert total == want and clusters == 0


def test_public_points_are_coarse_and_carry_no_personal_fields(engine):
    with engine.connect() as conn:
        x, y = conn.execute(
            sa.text(
                "SELECT ST_X(geom), ST_Y(geom) FROM cases WHERE state <> 'cancelled' "
                "ORDER BY id LIMIT 1"
            )
        ).one()
        from layers.mvt import tile_of

        tx, ty = tile_of(x, y, 15)
        personal = mapbox_vector_tile.decode(
            render_layer(conn=conn, spec=INCIDENTS, z=15, x=tx, y=ty, personal=True)
        )["incidents"]["features"]
        public = mapbox_vector_tile.decode(
            render_layer(conn=conn, spec=INCIDENTS, z=15, x=tx, y=ty, personal=False)
        )["incidents"]["features"]
    assert any("department_code" in f["properties"] for f in personal)
    assert public and all("department_code" not in f["properties"] for f in public)
    assert all(not f["properties"]["category_code"].startswith("08") for f in public)

    # 0.001° snapping puts public points on a ~100 m lattice: far fewer distinct positions
    def positions(fs):
        return {tuple(f["geometry"]["coordinates"]) for f in fs}

    assert len(positions(public)) < len(positions(personal))


def _cells_from_cases(conn, level: int) -> dict:
    rows = conn.execute(
        sa.text(
            "SELECT floor((ST_X(p) + 20037508.342789244) / (40075016.68557849 / 2 ^ :l))::int, "
            "floor((20037508.342789244 - ST_Y(p)) / (40075016.68557849 / 2 ^ :l))::int, count(*) "
            f"FROM (SELECT ST_Transform(geom, 3857) p FROM cases c WHERE {VISIBLE}) q GROUP BY 1, 2"
        ),
        {"l": level},
    ).all()
    return {(a, b): n for a, b, n in rows}


def _cells_from_table(conn, level: int) -> dict:
    rows = conn.execute(
        sa.text("SELECT cx, cy, n FROM layer_incident_cells WHERE level = :l AND n <> 0"),
        {"l": level},
    ).all()
    return {(a, b): n for a, b, n in rows}


def test_aggregates_follow_inserts_updates_and_deletes(db):
    """Triggers keep the cell table equal to a fresh aggregate of the cases table."""
    db.execute(
        sa.text(
            "INSERT INTO cases (case_no, category_code, description, geom, state, source) "
            "SELECT 'AGG-' || i, '0101', 'x', ST_SetSRID(ST_MakePoint(102.40 + i * 0.001, "
            "36.48), 4326), 'reported', 'test' FROM generate_series(1, 20) i"
        )
    )
    db.execute(sa.text("UPDATE cases SET state = 'closed' WHERE case_no IN ('AGG-1', 'AGG-2')"))
    db.execute(
        sa.text(
            "UPDATE cases SET geom = ST_SetSRID(ST_MakePoint(102.6, 36.6), 4326) "
            "WHERE case_no = 'AGG-3'"
        )
    )
    db.execute(sa.text("UPDATE cases SET state = 'cancelled' WHERE case_no = 'AGG-4'"))
    db.execute(sa.text("DELETE FROM cases WHERE case_no = 'AGG-5'"))
    conn = db.connection()
    for level in (8, 14, 19):
        assert _cells_from_table(conn, level) == _cells_from_cases(conn, level)
    n_open = conn.execute(
        sa.text("SELECT sum(n_open) FROM layer_incident_cells WHERE level = 12")
    ).scalar_one()
    assert n_open == _total(
        conn,
        "state IN ('reported','registered','dispatched','processing','responded','suspended')",
    )
