"""OGC API – Features and Tiles under /ogc: documents, paging, filters, privacy, caching."""

from __future__ import annotations

import mapbox_vector_tile
import sqlalchemy as sa

from layers.mvt import tile_of

COMMANDER = {"X-Gridmap-User": "zhang", "X-Gridmap-Role": "commander"}
TOWN_BBOX = "102.38,36.47,102.42,36.50"


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def test_landing_conformance_and_collections(client):
    landing = client.get("/ogc").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"conformance", "data", "service-desc"} <= rels
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    assert any(c.endswith("ogcapi-features-1/1.0/conf/geojson") for c in conf)
    assert any(c.endswith("ogcapi-features-3/1.0/conf/filter") for c in conf)
    cols = client.get("/ogc/collections").json()["collections"]
    assert {c["id"] for c in cols} >= {"grids", "incidents", "incident_density"}
    grids = client.get("/ogc/collections/grids").json()
    assert grids["extent"]["spatial"]["bbox"][0][0] > 102
    assert any(link["rel"] == "items" for link in grids["links"])
    assert client.get("/ogc/api").json()["openapi"].startswith("3.")


def test_items_page_through_every_feature(client, engine):
    total = _count(engine, "SELECT count(*) FROM admin_units WHERE level = 5 AND valid_to IS NULL")
    url = "/ogc/collections/communities/items?limit=100&properties=code,name"
    seen: list[str] = []
    pages = 0
    while url:
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
        body = r.json()
        assert body["numberReturned"] == len(body["features"])
        if "numberMatched" in body:
            assert body["numberMatched"] == total
        seen += [f["properties"]["code"] for f in body["features"]]
        assert set(body["features"][0]["properties"]) == {"code", "name"}
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://testserver", "") if nxt else ""
        pages += 1
    assert pages == -(-total // 100) and len(seen) == total == len(set(seen))
    last = client.get(f"/ogc/collections/communities/items?limit=100&offset={total - 5}").json()
    assert any(link["rel"] == "prev" for link in last["links"])


def test_bbox_datetime_property_filter_and_sortby(client, engine):
    r = client.get(f"/ogc/collections/grids/items?bbox={TOWN_BBOX}&limit=1000")
    body = r.json()
    want = _count(
        engine,
        "SELECT count(*) FROM grids WHERE valid_to IS NULL AND ST_Intersects(geom, "
        "ST_MakeEnvelope(102.38, 36.47, 102.42, 36.50, 4326))",
    )
    assert len(body["features"]) == want > 0
    code = body["features"][0]["properties"]["community_code"]
    r = client.get(f"/ogc/collections/grids/items?community_code={code}&sortby=-households")
    hh = [f["properties"]["households"] for f in r.json()["features"]]
    assert {f["properties"]["community_code"] for f in r.json()["features"]} == {code}
    assert hh == sorted(hh, reverse=True) and len(hh) > 1
    r = client.get(
        "/ogc/collections/incidents/items?datetime=2000-01-01T00:00:00Z/..&limit=1",
        headers=COMMANDER,
    )
    assert r.status_code == 200 and r.json()["numberReturned"] == 1
    r = client.get("/ogc/collections/incidents/items?datetime=../2000-01-01T00:00:00Z")
    assert r.json()["numberReturned"] == 0


def test_cql2_text_and_json_filters(client, engine):
    r = client.get(
        "/ogc/collections/grids/items",
        params={"filter": "households > 300 AND kind = 'basic'", "limit": 10000},
    )
    assert r.status_code == 200, r.text
    want = _count(engine, "SELECT count(*) FROM grids WHERE valid_to IS NULL AND households > 300")
    assert r.json()["numberReturned"] == want
    r = client.get(
        "/ogc/collections/grids/items",
        params={
            "filter": "S_INTERSECTS(geometry, POLYGON((102.38 36.47, 102.42 36.47, "
            "102.42 36.50, 102.38 36.50, 102.38 36.47)))",
            "limit": 1000,
        },
    )
    assert r.status_code == 200, r.text
    inside = client.get(f"/ogc/collections/grids/items?bbox={TOWN_BBOX}&limit=1000").json()
    assert r.json()["numberReturned"] == inside["numberReturned"]
    r = client.get(
        "/ogc/collections/facilities/items",
        params={
            "filter": '{"op": "=", "args": [{"property": "kind"}, "service_station"]}',
            "filter-lang": "cql2-json",
        },
    )
    assert r.status_code == 200, r.text
    kinds = {f["properties"]["kind"] for f in r.json()["features"]}
    assert kinds == {"service_station"}
    q = client.get("/ogc/collections/grids/queryables").json()
    assert q["properties"]["households"]["type"] == "integer" and "geometry" in q["properties"]


def test_cql2_in_lists_expand_to_one_parameter_per_value(client, engine):
    with engine.connect() as conn:
        codes = list(
            conn.execute(
                sa.text("SELECT code FROM grids WHERE valid_to IS NULL ORDER BY code LIMIT 3")
            ).scalars()
        )
    listed = ", ".join(f"'{c}'" for c in codes)
    r = client.get(
        "/ogc/collections/grids/items",
        params={"filter": f"code IN ({listed}) AND households IN (0, 1, 2, 3, 300, 400, 500)"},
    )
    assert r.status_code == 200, r.text
    want = _count(
        engine,
        "SELECT count(*) FROM grids WHERE valid_to IS NULL AND code IN "
        f"({listed}) AND households IN (0, 1, 2, 3, 300, 400, 500)",
    )
    assert r.json()["numberReturned"] == want
    r = client.get("/ogc/collections/grids/items", params={"filter": f"code IN ({listed})"})
    assert sorted(f["properties"]["code"] for f in r.json()["features"]) == codes


def test_single_item_and_missing_item(client):
    first = client.get("/ogc/collections/facilities/items?limit=1").json()["features"][0]
    r = client.get(f"/ogc/collections/facilities/items/{first['id']}")
    assert r.status_code == 200 and r.json()["properties"]["name"] == first["properties"]["name"]
    for bad in ("999999999", "abc", "1;DROP TABLE facilities"):
        r = client.get(f"/ogc/collections/facilities/items/{bad}")
        assert r.status_code == 404 and r.json()["field"] == "featureId"


def test_incident_items_hide_personal_data_from_the_public(client, engine):
    public = client.get("/ogc/collections/incidents/items?limit=10000").json()["features"]
    personal = client.get("/ogc/collections/incidents/items?limit=10000", headers=COMMANDER).json()
    assert all("reporter_phone" not in f["properties"] for f in public)
    assert all(not f["properties"]["category_code"].startswith("08") for f in public)
    assert any("reporter_phone" in f["properties"] for f in personal["features"])
    sensitive = _count(
        engine,
        "SELECT count(*) FROM cases c JOIN categories k ON k.code = c.category_code "
        "WHERE k.sensitive AND c.state NOT IN ('cancelled', 'merged')",
    )
    assert len(personal["features"]) - len(public) == sensitive > 0
    # public coordinates are rounded to 0.001°
    for f in public[:50]:
        lon, lat = f["geometry"]["coordinates"]
        assert abs(lon * 1000 - round(lon * 1000)) < 1e-6
    # a filter on a personal property is refused to the public
    r = client.get("/ogc/collections/incidents/items", params={"filter": "reporter_name = 'x'"})
    assert r.status_code == 400 and r.json()["field"] == "filter"


def test_items_etag_and_304(client):
    r = client.get("/ogc/collections/townships/items")
    assert r.status_code == 200 and r.headers["etag"]
    again = client.get(
        "/ogc/collections/townships/items", headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304


def test_ogc_tiles_documents_and_tile_order(client):
    sets = client.get("/ogc/collections/grids/tiles").json()["tilesets"]
    assert sets[0]["tileMatrixSetURI"].endswith("WebMercatorQuad")
    meta = client.get("/ogc/collections/grids/tiles/WebMercatorQuad").json()
    assert meta["layers"][0]["id"] == "grids"
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["tileMatrices"][3]["matrixWidth"] == 8
    assert client.get("/ogc/tileMatrixSets").json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"
    x, y = tile_of(102.40, 36.485, 13)
    ogc = client.get(f"/ogc/collections/grids/tiles/WebMercatorQuad/13/{y}/{x}")
    xyz = client.get(f"/tiles/grids/13/{x}/{y}.pbf")
    assert ogc.status_code == 200 and ogc.content == xyz.content
    assert mapbox_vector_tile.decode(ogc.content)["grids"]["features"]
    bad = client.get(f"/ogc/collections/grids/tiles/WebMercatorQuad/13/{x}/99999")
    assert bad.status_code == 404 and bad.json()["field"] == "tileCol"
