"""Regenerate the broken-file corpus (run by hand: ``python tests/data/bad/make_bad.py``).

Each file is small and broken in one way; ``manifest.json`` says which layer it is offered
as, with which options, and what the refusal must say. The 50 MB file is made at test time.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

from gis import crs as crs_mod
from gis.demo.geometry import generate
from gis.settings import PROJECT_ROOT

HERE = Path(__file__).resolve().parent
COMMUNITY = "630202001001"


def _png() -> bytes:
    """A 1×1 PNG."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _shp_zip(
    gdf: gpd.GeoDataFrame,
    name: str,
    *,
    drop: tuple[str, ...] = (),
    encoding: str = "UTF-8",
    keep_cpg: bool = True,
) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        gdf.to_file(Path(tmp) / f"{name}.shp", encoding=encoding)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for p in sorted(Path(tmp).iterdir()):
                if p.suffix in drop or (p.suffix == ".cpg" and not keep_cpg):
                    continue
                zf.write(p, p.name)
        return buf.getvalue()


def main() -> None:
    geo = generate(PROJECT_ROOT / "data" / "ledu", seed=630202)
    grids = geo.grids[geo.grids["community_code"] == COMMUNITY][
        ["code", "name", "community_code", "kind", "geometry"]
    ].reset_index(drop=True)
    grids = gpd.GeoDataFrame(grids, geometry="geometry", crs=4326)
    fac = geo.facilities[geo.facilities["community_code"] == COMMUNITY].head(3)
    fac = gpd.GeoDataFrame(
        fac[["name", "kind", "status", "geometry"]], geometry="geometry", crs=4326
    )
    district = gpd.read_file(PROJECT_ROOT / "data" / "ledu" / "ledu_630202_wgs84.geojson").geometry[
        0
    ]
    manifest: dict[str, dict] = {}

    def add(name: str, layer: str, expect: str, **opts: object) -> None:
        manifest[name] = {"layer": layer, "expect": expect, **opts}

    # 1. a zipped shapefile cut in half
    whole = _shp_zip(grids, "grids")
    (HERE / "truncated.zip").write_bytes(whole[: len(whole) // 2])
    add("truncated.zip", "grids", "damaged or truncated")
    # 2. shapefile without .prj
    (HERE / "no_prj.zip").write_bytes(_shp_zip(grids, "grids", drop=(".prj",)))
    add("no_prj.zip", "grids", "declares no CRS")
    # 3. shapefile without .dbf
    (HERE / "missing_dbf.zip").write_bytes(_shp_zip(grids, "grids", drop=(".dbf",)))
    add("missing_dbf.zip", "grids", "missing its .dbf")
    # 4. a zip holding no shapefile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "网格数据见附件")
    (HERE / "no_shp_in_zip.zip").write_bytes(buf.getvalue())
    add("no_shp_in_zip.zip", "grids", "no .shp in the zip")
    # 5. not a zip at all
    (HERE / "not_a_zip.zip").write_text("this is not a zip archive\n")
    add("not_a_zip.zip", "grids", "file content is unknown, expected application/zip")
    # 6. empty file
    (HERE / "empty.geojson").write_bytes(b"")
    add("empty.geojson", "grids", "the file is empty")
    # 7. a feature collection without features
    (HERE / "no_features.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    add("no_features.geojson", "grids", "no features")
    # 8. mixed geometry types
    mixed = grids.head(3).copy()
    mixed.loc[1, "geometry"] = LineString(list(mixed.geometry[1].geoms[0].exterior.coords))
    mixed.loc[2, "geometry"] = mixed.geometry[2].centroid
    mixed.to_file(HERE / "mixed_types.geojson")
    add("mixed_types.geojson", "grids", "wrong geometry type")
    # 9. self-intersecting (bow-tie) polygon
    bow = grids.copy()
    x0, y0, x1, y1 = bow.geometry[0].bounds
    bow.loc[0, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    bow.to_file(HERE / "self_intersecting.geojson")
    add("self_intersecting.geojson", "grids", "repair would change the area")
    # 10. lon/lat columns swapped in a spreadsheet
    pts = pd.DataFrame(
        {"名称": fac["name"], "类型": fac["kind"], "经度": fac.geometry.y, "纬度": fac.geometry.x}
    )
    pts.to_csv(HERE / "swapped_columns.csv", index=False, encoding="utf-8-sig")
    add("swapped_columns.csv", "facilities", "lon/lat look swapped")
    # 11. GBK text without .cpg, and a second error so that nothing is written (bad code)
    gbk = grids.head(2).copy()
    gbk.loc[1, "code"] = "63020200100100X"
    (HERE / "gbk_no_cpg.zip").write_bytes(_shp_zip(gbk, "grids", encoding="GBK", keep_cpg=False))
    add("gbk_no_cpg.zip", "grids", "grid code must be 15 digits", note="read as GBK")
    # 12. metres (CGCS2000 / GK CM 102E) in a file that says WGS84
    metres = grids.to_crs(4543).set_crs(4326, allow_override=True)
    metres.to_file(HERE / "metres_as_degrees.geojson")
    add("metres_as_degrees.geojson", "grids", "coordinates look like metres")
    # 13. degrees in a file that says EPSG:4543
    grids.set_crs(4543, allow_override=True).to_file(HERE / "degrees_as_4543.gpkg", layer="grids")
    add("degrees_as_4543.gpkg", "grids", "coordinates look like degrees")
    # 14. right format, wrong place (Beijing)
    far = fac.copy()
    far["geometry"] = [Point(116.39 + i * 0.01, 39.9) for i in range(len(far))]
    far.to_file(HERE / "far_away.geojson")
    add("far_away.geojson", "facilities", "nowhere near")
    # 15. GCJ-02 points near the border declared as WGS84
    ring = (
        np.asarray(district.geoms[0].exterior.coords)
        if district.geom_type == "MultiPolygon"
        else np.asarray(district.exterior.coords)
    )
    inner = shapely.buffer(district, -0.0008)  # ≈ 80 m inside the real border
    cand = [
        shapely.get_point(
            shapely.get_exterior_ring(
                inner.geoms[0] if inner.geom_type == "MultiPolygon" else inner
            ),
            i,
        )
        for i in range(0, 4000, 7)
    ]
    rows = []
    for p in cand:
        gx, gy = crs_mod.wgs84_to_gcj02(p.x, p.y)
        if not district.covers(Point(gx, gy)):
            rows.append(
                {
                    "名称": f"边界服务点{len(rows) + 1}",
                    "类型": "service_station",
                    "经度": round(gx, 7),
                    "纬度": round(gy, 7),
                }
            )
        if len(rows) == 5:
            break
    assert rows, ring[:2]
    pd.DataFrame(rows).to_csv(HERE / "gcj02_declared_wgs84.csv", index=False, encoding="utf-8-sig")
    add("gcj02_declared_wgs84.csv", "facilities", "inside if read as GCJ-02")
    # 16. a required column missing
    pd.DataFrame({"类型": ["service_station"], "经度": [102.40], "纬度": [36.48]}).to_csv(
        HERE / "missing_name_column.csv", index=False, encoding="utf-8-sig"
    )
    add("missing_name_column.csv", "facilities", "missing required column")
    # 17. duplicate codes
    dup = grids.copy()
    dup.loc[1, "code"] = dup.loc[0, "code"]
    dup.to_file(HERE / "duplicate_codes.geojson")
    add("duplicate_codes.geojson", "grids", "duplicate")
    # 18. malformed codes
    bad = grids.copy()
    bad.loc[0, "code"] = "12345"
    bad.to_file(HERE / "malformed_codes.geojson")
    add("malformed_codes.geojson", "grids", "grid code must be 15 digits")
    # 19. unknown parent: community codes of a township that does not exist
    comm = geo.communities[geo.communities["code"] == COMMUNITY][["code", "name", "geometry"]]
    comm = gpd.GeoDataFrame(comm, geometry="geometry", crs=4326)
    comm["code"] = "630202999001"
    comm.to_file(HERE / "unknown_parent.geojson")
    add("unknown_parent.geojson", "communities", "unknown parent code")
    # 20. overlapping grids
    over = grids.copy()
    over.loc[1, "geometry"] = shapely.buffer(over.geometry[1], 0.002)
    over.to_file(HERE / "overlapping_grids.geojson")
    add("overlapping_grids.geojson", "grids", "overlaps row")
    # 21. a gap: one grid of the community left out of a full replacement
    grids.iloc[1:].to_file(HERE / "grid_gap.geojson")
    add("grid_gap.geojson", "grids", "gap in the community")
    # 22. one point outside the district (but near)
    out = fac.copy()
    minx, miny, _, _ = district.bounds
    out.loc[out.index[0], "geometry"] = Point(minx - 0.02, miny - 0.02)
    out.to_file(HERE / "outside_district.geojson")
    add("outside_district.geojson", "facilities", "outside the district")
    # 23. a spreadsheet without coordinates
    pd.DataFrame({"名称": ["服务站"], "地址": ["碾伯街道"]}).to_csv(
        HERE / "no_coordinates.csv", index=False, encoding="utf-8-sig"
    )
    add("no_coordinates.csv", "facilities", "no lon/lat columns")
    # 24. a GeoPackage that is not one
    (HERE / "corrupt.gpkg").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    add("corrupt.gpkg", "grids", "cannot read the file")
    # 25. bad values: unknown kind, negative area
    pd.DataFrame(
        {
            "名称": ["甲", "乙"],
            "类型": ["spaceport", "service_station"],
            "建筑面积": ["120", "-5"],
            "经度": [102.40, 102.401],
            "纬度": [36.48, 36.481],
        }
    ).to_csv(HERE / "bad_values.csv", index=False, encoding="utf-8-sig")
    add("bad_values.csv", "facilities", "not one of")
    # 26. a file type we do not read
    (HERE / "grids.kml").write_text("<kml/>")
    add("grids.kml", "grids", "unsupported file type")
    # 27. historic cases: closed before reported, unknown category
    cases = pd.DataFrame(
        {
            "案卷号": ["H-2024-0001", "H-2024-0002"],
            "小类": ["暴露垃圾", "不存在的类别"],
            "问题描述": ["垃圾堆放", "未知"],
            "上报时间": ["2024-05-03 09:00", "2024-05-04 10:00"],
            "结案时间": ["2024-05-01 09:00", "2024-05-05 10:00"],
            "经度": [102.40, 102.401],
            "纬度": [36.48, 36.481],
        }
    )
    cases.to_excel(HERE / "cases_bad_rows.xlsx", index=False)
    add("cases_bad_rows.xlsx", "cases", "closed before it was reported")
    # 28. XLSX that is a truncated zip
    data = (HERE / "cases_bad_rows.xlsx").read_bytes()
    (HERE / "truncated.xlsx").write_bytes(data[: len(data) // 3])
    add("truncated.xlsx", "cases", "cannot read the file")
    # 29. a CRS that is not one
    grids.to_file(HERE / "unknown_crs_given.geojson")
    add("unknown_crs_given.geojson", "grids", "invalid crs", crs="epsg:999999")
    # 30. a PNG renamed to .geojson, 31. a GeoPackage renamed to .csv: content, not name
    (HERE / "photo_renamed.geojson").write_bytes(_png())
    add("photo_renamed.geojson", "grids", "file content is image/png")
    shutil.copy(HERE / "degrees_as_4543.gpkg", HERE / "geopackage_renamed.csv")
    add("geopackage_renamed.csv", "facilities", "file content is application/geopackage+sqlite3")
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    print(f"{len(manifest)} files in {HERE}")
    shutil.rmtree(HERE / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
