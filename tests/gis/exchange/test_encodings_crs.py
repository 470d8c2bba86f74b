"""Shapefile encodings, explicit source CRSs and spreadsheets with Chinese headers."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from gis import crs as crs_mod
from gis.exchange.export import ExportQuery, read_layer
from tests.gis.exchange.conftest import COMMUNITY


def _zip_shapefile(gdf: gpd.GeoDataFrame, tmp: Path, *, encoding: str, cpg: bool) -> Path:
    folder = tmp / f"shp-{encoding}-{cpg}"
    folder.mkdir()
    gdf.to_file(folder / "grids.shp", encoding=encoding)
    out = tmp / f"grids-{encoding}-{cpg}.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for p in folder.iterdir():
            if p.suffix == ".cpg" and not cpg:
                continue
            zf.write(p, p.name)
    return out


@pytest.mark.parametrize(("encoding", "cpg"), [("GBK", True), ("GBK", False), ("UTF-8", False)])
def test_shapefile_encodings(db, do_import, tmp_path, encoding, cpg) -> None:
    grids = read_layer(session=db, query=ExportQuery(layer="grids", community=COMMUNITY))
    grids = grids[["code", "name", "geometry"]]
    grids["name"] = grids["name"] + "·乐都"  # more non-ASCII text than the codes carry
    path = _zip_shapefile(grids, tmp_path, encoding=encoding, cpg=cpg)
    raw = zipfile.ZipFile(path).read("grids.dbf")
    assert ("·乐都".encode("gbk") in raw) == (encoding == "GBK")
    report = do_import("grids", path)
    assert report.ok, report.to_dict()
    assert report.encoding == ("gbk" if encoding == "GBK" else "utf-8")
    names = (
        db.execute(
            sa.text(
                "SELECT name FROM grids WHERE community_code = :c AND valid_to IS NULL ORDER BY code"
            ),
            {"c": COMMUNITY},
        )
        .scalars()
        .all()
    )
    assert sorted(names) == sorted(grids["name"])
    assert all(n.endswith("·乐都") for n in names)


@pytest.mark.parametrize("crs", ["gcj02", "epsg:4543", "epsg:4490", "bd09"])
def test_explicit_source_crs(db, do_import, tmp_path, crs) -> None:
    fac = read_layer(session=db, query=ExportQuery(layer="facilities", community=COMMUNITY))
    x, y = crs_mod.from_wgs84(fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy(), crs)
    sheet = pd.DataFrame({"名称": fac["name"], "类型": fac["kind"], "经度": x, "纬度": y})
    path = tmp_path / "fac.xlsx"
    sheet.to_excel(path, index=False)
    if crs == "epsg:4543":  # metres read as degrees are refused unless the CRS is given
        with pytest.raises(Exception, match="look like metres"):
            do_import("facilities", path)
    report = do_import("facilities", path, crs=crs)
    assert report.ok, report.to_dict()
    got = db.execute(
        sa.text(
            "SELECT ST_X(geom), ST_Y(geom) FROM facilities WHERE name = ANY(:n) ORDER BY id DESC "
            "LIMIT :k"
        ),
        {"n": list(fac["name"]), "k": len(fac)},
    ).all()
    got_pts = shapely.points(np.array(got)[::-1])
    # within 1 m of where they were (degrees: ~1e-5)
    assert np.max(shapely.distance(got_pts, fac.geometry.values)) < 1e-5


def test_gpkg_in_4543_reprojected(db, do_import, do_export, tmp_path) -> None:
    path = do_export("grids", "gpkg", community=COMMUNITY)
    gk = gpd.read_file(path).to_crs(4543)
    p = tmp_path / "gk.gpkg"
    gk.to_file(p, layer="grids")
    before = read_layer(session=db, query=ExportQuery(layer="grids", community=COMMUNITY))
    report = do_import("grids", p)
    assert report.ok and report.source_crs.startswith("EPSG:4543"), report.to_dict()
    after = read_layer(session=db, query=ExportQuery(layer="grids", community=COMMUNITY))
    assert after["code"].tolist() == before["code"].tolist()
    assert np.max(shapely.hausdorff_distance(after.geometry.values, before.geometry.values)) < 1e-7


def test_historic_cases_from_chinese_spreadsheet(db, do_import, tmp_path) -> None:
    sheet = pd.DataFrame(
        {
            "案卷号": ["H-2023-0001", "H-2023-0002"],
            "小类": ["暴露垃圾", "0101"],
            "问题描述": ["河道旁垃圾", "私搭乱建"],
            "地址": ["碾伯街道", "碾伯街道"],
            "上报时间": ["2023-04-01 09:30", "2023-04-02 10:00"],
            "结案时间": ["2023-04-02 17:00", ""],
            "经度": [102.4004, 102.4010],
            "纬度": [36.4802, 36.4810],
        }
    )
    path = tmp_path / "历史案卷.xlsx"
    sheet.to_excel(path, index=False)
    report = do_import("cases", path)
    assert report.ok and report.written == {"inserted": 2}, report.to_dict()
    rows = (
        db.execute(
            sa.text(
                "SELECT case_no, category_code, state, grid_code, source, "
                "(SELECT count(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'import') ev "
                "FROM cases c WHERE case_no LIKE 'H-2023-%' ORDER BY case_no"
            )
        )
        .mappings()
        .all()
    )
    assert [r["state"] for r in rows] == ["closed", "reported"]
    assert rows[1]["category_code"] == "0101" and rows[0]["category_code"] == "0102"
    assert all(r["grid_code"] and r["source"] == "import" and r["ev"] == 1 for r in rows)
    again = do_import("cases", path)  # same numbers again → refused, nothing written
    assert not again.ok and "already exists" in again.errors[0].problem


def test_export_filters_and_personal_fields(db) -> None:
    everything = read_layer(session=db, query=ExportQuery(layer="cases", sees_personal=True))
    assert "reporter_phone" in everything.columns
    public = read_layer(session=db, query=ExportQuery(layer="cases"))
    assert "reporter_phone" not in public.columns and len(public) < len(everything)
    box = (102.38, 36.46, 102.42, 36.50)
    inside = read_layer(session=db, query=ExportQuery(layer="cases", bbox=box, sees_personal=True))
    assert 0 < len(inside) < len(everything)
    assert inside.geometry.within(shapely.box(*box)).all()
    t0 = pd.to_datetime(everything["reported_at"], format="ISO8601").min() + pd.Timedelta(days=30)
    later = read_layer(
        session=db, query=ExportQuery(layer="cases", start=t0.to_pydatetime(), sees_personal=True)
    )
    assert 0 < len(later) < len(everything)
    assert (pd.to_datetime(later["reported_at"], format="ISO8601") >= t0).all()


def test_export_shapefile_keeps_chinese(db, do_export) -> None:
    path = do_export("grids", "shp", community=COMMUNITY)
    zf = zipfile.ZipFile(path)
    assert zf.read("grids.cpg").strip().upper() in (b"UTF-8", b"UTF8")
    back = gpd.read_file(io.BytesIO(path.read_bytes()))
    assert back["name"].str.contains("网格").all()
