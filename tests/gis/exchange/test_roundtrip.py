"""Export → import → export gives identical features, in every format; history is kept."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from gis.exchange.export import ExportQuery, read_layer
from tests.gis.exchange.conftest import COMMUNITY

FORMATS = ["geojson", "gpkg", "shp", "csv", "xlsx"]
KEEP = ["code", "name", "community_code", "kind", "households", "population", "boundary_source"]


def _current(db, community: str = COMMUNITY) -> gpd.GeoDataFrame:
    return read_layer(session=db, query=ExportQuery(layer="grids", community=community))


def _same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    assert len(a) == len(b) > 0
    a, b = (
        a.sort_values("code").reset_index(drop=True),
        b.sort_values("code").reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(pd.DataFrame(a[KEEP]), pd.DataFrame(b[KEEP]), check_dtype=False)
    assert all(shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=1e-9))


@pytest.mark.parametrize("fmt", FORMATS)
def test_grids_round_trip_identical_and_new_generation(db, do_import, do_export, fmt) -> None:
    db.execute(
        sa.text("UPDATE grids SET valid_from = '2025-01-01' WHERE community_code = :c"),
        {"c": COMMUNITY},
    )
    before = _current(db)
    path = do_export("grids", fmt, community=COMMUNITY)
    report = do_import("grids", path)
    assert report.ok and report.committed, report.to_dict()
    assert report.written == {
        "retired": len(before),
        "replaced_same_day": 0,
        "inserted": len(before),
    }
    after = _current(db)
    _same(before, after)
    # history: the old generation is closed today, the new one starts today
    rows = db.execute(
        sa.text(
            "SELECT valid_from, valid_to FROM grids WHERE community_code = :c ORDER BY valid_from"
        ),
        {"c": COMMUNITY},
    ).all()
    assert len(rows) == 2 * len(before)
    assert {r.valid_to for r in rows[: len(before)]} == {date.today()}
    assert {r.valid_from for r in rows[len(before) :]} == {date.today()}
    logged = db.execute(
        sa.text("SELECT layer, rows_read, inserted FROM import_runs WHERE id = :i"),
        {"i": report.import_id},
    ).one()
    assert tuple(logged) == ("grids", len(before), len(before))


def test_dry_run_writes_nothing(db, do_import, do_export) -> None:
    from tests.gis.exchange.conftest import fingerprint

    path = do_export("grids", "gpkg", community=COMMUNITY)
    before = fingerprint(db)
    report = do_import("grids", path, dry_run=True)
    assert report.ok and not report.committed and report.written == {}
    assert fingerprint(db) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_facilities_round_trip(db, do_import, do_export, fmt) -> None:
    query = ExportQuery(layer="facilities", community=COMMUNITY)
    before = read_layer(session=db, query=query)
    path = do_export("facilities", fmt, community=COMMUNITY)
    report = do_import("facilities", path)
    assert report.ok and report.written == {"inserted": len(before)}, report.to_dict()
    after = read_layer(session=db, query=query)
    new = after[~after["id"].isin(before["id"])]
    cols = ["name", "kind", "status", "community_code", "floor_area_m2"]
    a = before.sort_values(cols).reset_index(drop=True)
    b = new.sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.DataFrame(a[cols]), pd.DataFrame(b[cols]), check_dtype=False)
    assert all(shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=1e-9))


def test_communities_generation_keeps_history(db, do_import, do_export) -> None:
    db.execute(
        sa.text("UPDATE admin_units SET valid_from = '2024-06-01' WHERE code = :c"),
        {"c": COMMUNITY},
    )
    path = do_export("communities", "gpkg", bbox=None)
    # only the one community: filter the file through geopandas
    gdf = gpd.read_file(path)
    one = gdf[gdf["code"] == COMMUNITY].copy()
    old_name = one["name"].iloc[0]
    one["name"] = "朝阳山社区(新)"
    p = path.with_name("one.gpkg")
    one.to_file(p, layer="communities")
    report = do_import("communities", p)
    assert report.ok, report.to_dict()
    rows = db.execute(
        sa.text(
            "SELECT name, valid_from, valid_to FROM admin_units WHERE code = :c ORDER BY valid_from"
        ),
        {"c": COMMUNITY},
    ).all()
    assert [r.name for r in rows] == [old_name, "朝阳山社区(新)"]
    assert rows[0].valid_to == date.today() and rows[1].valid_to is None
    # the export as of the old date shows the old name
    old = read_layer(
        session=db,
        query=ExportQuery(
            layer="communities",
            start=pd.Timestamp("2025-01-01").to_pydatetime(),
            end=pd.Timestamp("2025-01-01").to_pydatetime(),
        ),
    )
    assert old.loc[old["code"] == COMMUNITY, "name"].tolist() == [old_name]
