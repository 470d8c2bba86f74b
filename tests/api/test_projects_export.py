"""Export of the register round-trips through geopandas: same geometries, Chinese text intact."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import sqlalchemy as sa
from fastapi.testclient import TestClient
from shapely import wkt
from sqlalchemy.engine import Engine

ADMIN = {"X-Gridmap-User": "root", "X-Gridmap-Role": "admin"}
VIEWER = {"X-Gridmap-User": "v1", "X-Gridmap-Role": "viewer"}
BASE = "/api/v1/projects"


def _db(engine: Engine) -> dict[int, tuple[str, str, str | None, str]]:
    with engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT p.id, p.name, ST_AsText(p.site), ST_AsText(p.site_polygon), c.name "
                "FROM projects p JOIN admin_units c ON c.code = p.community_code "
                "AND c.valid_to IS NULL"
            )
        ).all()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def test_geopackage_round_trip(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    r = client.get(
        f"{BASE}/export", params={"format": "gpkg", "as_of": "2026-11-26"}, headers=ADMIN
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geopackage+sqlite3"
    assert 'filename="projects_20261126.gpkg"' in r.headers["content-disposition"]
    path = tmp_path / "p.gpkg"
    path.write_bytes(r.content)
    assert {name for name, _ in pyogrio.list_layers(path)} == {"projects", "project_sites"}
    pts = gpd.read_file(path, layer="projects", engine="pyogrio")
    assert pts.crs.to_epsg() == 4326
    want = _db(engine)
    assert sorted(pts["id"]) == sorted(want)
    for _, row in pts.iterrows():
        name, site, poly, community = want[row["id"]]
        assert row["name"] == name  # Chinese text intact
        assert row["community_name"] == community
        assert row.geometry.equals_exact(wkt.loads(site), tolerance=1e-9)
    assert set(pts["status_label"]) <= {"未开工", "正常推进", "存在风险", "滞后", "已完成"}
    assert "contact_phone" in pts.columns  # admin sees personal data
    polys = gpd.read_file(path, layer="project_sites", engine="pyogrio")
    with_poly = {i for i, v in want.items() if v[2] is not None}
    assert set(polys["id"]) == with_poly and len(polys) >= 9
    for _, row in polys.iterrows():
        assert row.geometry.equals_exact(wkt.loads(want[row["id"]][2]), tolerance=1e-9)


def test_csv_has_bom_and_reads_back(client: TestClient, engine: Engine) -> None:
    r = client.get(
        f"{BASE}/export", params={"format": "csv", "as_of": "2026-11-26"}, headers=VIEWER
    )
    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig")
    assert list(df.columns[:3]) == ["id", "lon", "lat"]
    assert "contact_phone" not in df.columns  # a viewer does not see personal data
    pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
    want = _db(engine)
    assert sorted(pts["id"]) == sorted(want)
    for _, row in pts.iterrows():
        name, site, _, _ = want[row["id"]]
        assert row["name"] == name
        assert row.geometry.distance(wkt.loads(site)) < 1e-6
    jhj = df[df["name"].str.startswith("九哈家")].iloc[0]
    assert jhj["status"] == "late" and jhj["status_label"] == "滞后"
    assert jhj["construction_start_actual"] > jhj["construction_start_planned"]
    assert jhj["funding_budget"] + jhj["funding_lottery"] == jhj["budget_total"]


def test_unknown_format_is_refused(client: TestClient) -> None:
    r = client.get(f"{BASE}/export", params={"format": "xls"}, headers=VIEWER)
    assert r.status_code == 400 and r.json()["field"] == "format"
