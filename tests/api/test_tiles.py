"""XYZ vector tiles, TileJSON and the layer catalogue, decoded with mapbox_vector_tile."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import sqlalchemy as sa

from layers.mvt import tile_of

TOWN = (102.402, 36.483)  # 碾伯
COMMANDER = {"X-Gridmap-User": "zhang", "X-Gridmap-Role": "commander"}
LAYER_IDS = {
    "townships",
    "communities",
    "grids",
    "facilities",
    "construction_sites",
    "incidents",
    "incident_density",
}


def _grid_centre(engine) -> tuple[str, float, float]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) "
                "FROM grids g WHERE g.valid_to IS NULL ORDER BY (SELECT count(*) FROM cases c "
                "WHERE c.grid_code = g.code AND c.state <> 'closed') DESC, g.code LIMIT 1"
            )
        ).one()
    return row[0], row[1], row[2]


def test_catalogue_lists_every_layer_with_style_legend_and_tile_url(client):
    r = client.get("/api/v1/layers")
    assert r.status_code == 200
    body = r.json()
    by_id = {layer["id"]: layer for layer in body["layers"]}
    assert set(by_id) == LAYER_IDS
    grids = by_id["grids"]
    assert grids["title"] == "网格" and grids["geometry_type"] == "MultiPolygon"
    assert grids["boundary_source"] == "illustrative" and "示意" in grids["boundary_note"]
    assert grids["style"]["stroke"].startswith("#") and grids["legend"]
    assert grids["tiles"].endswith("/tiles/grids/{z}/{x}/{y}.pbf")
    assert by_id["incident_density"]["items"] is None
    # anonymous callers are not told about personal properties
    names = {p["name"] for p in by_id["incidents"]["properties"]}
    assert "reporter_phone" not in names and "category_name" in names
    r = client.get("/api/v1/layers", headers=COMMANDER)
    names = {p["name"] for p in {x["id"]: x for x in r.json()["layers"]}["incidents"]["properties"]}
    assert "reporter_phone" in names


def test_tilejson_describes_a_layer_set(client):
    r = client.get("/tiles/grids,communities/tilejson.json")
    assert r.status_code == 200
    tj = r.json()
    assert tj["tiles"][0].endswith("/tiles/grids,communities/{z}/{x}/{y}.pbf")
    assert [v["id"] for v in tj["vector_layers"]] == ["grids", "communities"]


def test_xyz_tile_carries_one_layer_per_requested_layer(client, engine):
    code, lon, lat = _grid_centre(engine)
    x, y = tile_of(lon, lat, 14)
    r = client.get(f"/tiles/grids,communities,townships/14/{x}/{y}.pbf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    tile = mapbox_vector_tile.decode(r.content)
    assert set(tile) == {"grids", "communities", "townships"}
    codes = {f["properties"]["code"] for f in tile["grids"]["features"]}
    assert code in codes
    props = tile["grids"]["features"][0]["properties"]
    assert {"households", "open_cases", "name"} <= set(props)


def test_grid_tile_open_case_counts_match_the_cases_table(client, engine):
    code, lon, lat = _grid_centre(engine)
    x, y = tile_of(lon, lat, 13)
    tile = mapbox_vector_tile.decode(client.get(f"/tiles/grids/13/{x}/{y}.pbf").content)
    got = {
        f["properties"]["code"]: f["properties"]["open_cases"] for f in tile["grids"]["features"]
    }
    with engine.connect() as conn:
        want = dict(
            conn.execute(
                sa.text(
                    "SELECT grid_code, count(*) FROM cases WHERE grid_code = ANY(:c) AND state IN "
                    "('reported','registered','dispatched','processing','responded','suspended') "
                    "GROUP BY 1"
                ),
                {"c": list(got)},
            ).all()
        )
    assert any(want.values())
    assert got == {c: want.get(c, 0) for c in got}


def test_empty_tile_is_204(client):
    r = client.get("/tiles/grids,incidents/14/0/0.pbf")
    assert r.status_code == 204 and not r.content


def test_etag_gives_304(client):
    x, y = tile_of(*TOWN, 12)
    r = client.get(f"/tiles/communities/12/{x}/{y}.pbf")
    assert r.status_code == 200 and r.headers["etag"]
    again = client.get(
        f"/tiles/communities/12/{x}/{y}.pbf", headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304 and not again.content
    assert "no-cache" in r.headers["cache-control"]


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/tiles/grids/25/0/0.pbf", 400, "z"),
        ("/tiles/grids/-1/0/0.pbf", 400, "z"),
        ("/tiles/grids/3/8/0.pbf", 404, "x"),
        ("/tiles/grids/3/0/8.pbf", 404, "y"),
        ("/tiles/grids/3/-1/0.pbf", 404, "x"),
        ("/tiles/grids/abc/0/0.pbf", 400, "z"),
        ("/tiles/grids/3/0/1e3.pbf", 400, "y"),
        ("/tiles/nope/3/0/0.pbf", 404, "layers"),
        ("/tiles/grids,,townships/3/0/0.pbf", 400, "layers"),
        ("/tiles/grids,grids/3/0/0.pbf", 400, "layers"),
        ("/tiles/grids;DROP TABLE grids/3/0/0.pbf", 404, "layers"),
        ("/tiles/nope/tilejson.json", 404, "layers"),
        ("/api/v1/layers/nope", 404, "layer_id"),
    ],
)
def test_bad_tile_requests_name_the_parameter(client, path, status, field):
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field


def test_next_tile_after_a_commit_is_fresh(client, engine):
    """A write through another connection shows in the very next request of a cached tile."""
    code, lon, lat = _grid_centre(engine)
    x, y = tile_of(lon, lat, 15)
    url = f"/tiles/grids/15/{x}/{y}.pbf"

    def props() -> dict:
        tile = mapbox_vector_tile.decode(client.get(url).content)
        return {f["properties"]["code"]: f["properties"] for f in tile["grids"]["features"]}

    before = props()[code]
    assert client.get(url).headers["x-cache"] == "hit"
    with engine.begin() as conn:
        old = conn.execute(sa.text("SELECT name FROM grids WHERE code = :c"), {"c": code}).scalar()
        conn.execute(sa.text("UPDATE grids SET name = '改名网格' WHERE code = :c"), {"c": code})
    try:
        assert props()[code]["name"] == "改名网格"
        # a new case in the grid raises its open count in the next tile
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO cases (case_no, category_code, description, geom, grid_code, "
                    "state, source) VALUES ('T-FRESH-1', '0101', 'x', "
                    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :c, 'reported', 'test')"
                ),
                {"lon": lon, "lat": lat, "c": code},
            )
        assert props()[code]["open_cases"] == before["open_cases"] + 1
    finally:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE grids SET name = :n WHERE code = :c"), {"n": old, "c": code}
            )
            conn.execute(sa.text("DELETE FROM cases WHERE case_no = 'T-FRESH-1'"))
    assert props()[code] == before
