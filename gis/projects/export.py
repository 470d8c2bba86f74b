"""Export of the project register with locations: GeoPackage and CSV.

The GeoPackage has two layers: ``projects`` (site points with every register column) and
``project_sites`` (site polygons, where drawn). The CSV has the same columns plus ``lon`` and
``lat`` and is written as UTF-8 with a byte-order mark so that Excel shows Chinese text.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from shapely import wkb
from sqlalchemy.orm import Session

from gis.models.facilities import FACILITY_KINDS
from gis.models.projects import FUNDING_SOURCES, MILESTONES

COLUMNS = (
    "id, name, facility_kind, plan_group, community_code, community_name, township_code, "
    "township_name, responsible_unit, planned_floor_area, budget_total, spent_to_date, "
    "funded_total, status, status_label, progress, progress_derived, spent_pct, "
    "next_milestone, next_due, days_late"
)


def register_frame(*, session: Session, today: date, personal: bool) -> gpd.GeoDataFrame:
    """The register on ``today`` as a GeoDataFrame of site points (EPSG:4326).

    Parameters
    ----------
    today
        The day statuses are judged on.
    personal
        Whether to include the contact name and phone.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per project: register columns, funding per source (``funding_<source>``),
        planned and actual date per milestone (``<kind>_planned``, ``<kind>_actual``) and
        ``site_polygon_wkt``.
    """
    result = session.execute(
        sa.text(
            f"SELECT {COLUMNS}, ST_AsBinary(geom) AS geom_wkb, ST_AsText(site_polygon) AS "
            "site_polygon_wkt FROM project_overview_at(:today) ORDER BY id"
        ),
        {"today": today},
    )
    df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    geoms = [wkb.loads(bytes(b)) for b in df.pop("geom_wkb")]
    df.insert(3, "facility_kind_label", df["facility_kind"].map(FACILITY_KINDS))
    df["next_milestone_label"] = df["next_milestone"].map(MILESTONES)
    for c in ("planned_floor_area", "budget_total", "spent_to_date", "funded_total", "progress",
              "progress_derived", "spent_pct"):  # fmt: skip
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["days_late"] = pd.to_numeric(df["days_late"], errors="coerce").astype("Int64")
    ids = [int(i) for i in df["id"]]
    funding = session.execute(
        sa.text(
            "SELECT project_id, source, amount FROM project_funding WHERE project_id = ANY(:i)"
        ),
        {"i": ids},
    ).all()
    by_source: dict[str, dict[int, float]] = {s: {} for s in FUNDING_SOURCES}
    for pid, s, amount in funding:
        by_source[s][pid] = by_source[s].get(pid, 0.0) + float(amount)
    for s in FUNDING_SOURCES:
        df[f"funding_{s}"] = df["id"].map(by_source[s]).fillna(0.0).astype("float64")
    ms = session.execute(
        sa.text(
            "SELECT project_id, kind, planned_date, actual_date FROM project_milestones "
            "WHERE project_id = ANY(:i)"
        ),
        {"i": ids},
    ).all()
    planned: dict[str, dict[int, str]] = {k: {} for k in MILESTONES}
    actual: dict[str, dict[int, str]] = {k: {} for k in MILESTONES}
    for pid, k, p, a in ms:
        if p:
            planned[k][pid] = p.isoformat()
        if a and a <= today:
            actual[k][pid] = a.isoformat()
    for k in MILESTONES:
        df[f"{k}_planned"] = df["id"].map(planned[k])
        df[f"{k}_actual"] = df["id"].map(actual[k])
    if personal:
        contacts = dict(
            (pid, (n, p))
            for pid, n, p in session.execute(
                sa.text("SELECT id, contact_name, contact_phone FROM projects WHERE id = ANY(:i)"),
                {"i": ids},
            )
        )
        df["contact_name"] = df["id"].map({i: c[0] for i, c in contacts.items()})
        df["contact_phone"] = df["id"].map({i: c[1] for i, c in contacts.items()})
    df["next_due"] = df["next_due"].map(lambda d: d.isoformat() if d else None)
    df["as_of"] = today.isoformat()
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326)


def export_register(
    *, session: Session, today: date, fmt: str, personal: bool
) -> tuple[bytes, str, str]:
    """The register as a file: (content, media type, file name).

    Parameters
    ----------
    fmt
        ``gpkg`` (GeoPackage, layers ``projects`` and ``project_sites``) or ``csv``
        (UTF-8 with BOM, ``lon``/``lat`` columns).

    Examples
    --------
    >>> data, media, name = export_register(session=s, today=date(2026, 11, 26),
    ...                                     fmt="csv", personal=False)  # doctest: +SKIP
    >>> data[:3] == b"\\xef\\xbb\\xbf"  # doctest: +SKIP
    True
    """
    gdf = register_frame(session=session, today=today, personal=personal)
    stem = f"projects_{today:%Y%m%d}"
    if fmt == "csv":
        df = pd.DataFrame(gdf.drop(columns="geometry"))
        df.insert(1, "lon", gdf.geometry.x.round(7))
        df.insert(2, "lat", gdf.geometry.y.round(7))
        return df.to_csv(index=False).encode("utf-8-sig"), "text/csv; charset=utf-8", f"{stem}.csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.gpkg"
        gdf.drop(columns="site_polygon_wkt").to_file(
            path, layer="projects", driver="GPKG", engine="pyogrio"
        )
        sites = gdf[gdf["site_polygon_wkt"].notna()][["id", "name", "status", "site_polygon_wkt"]]
        if len(sites):
            poly = gpd.GeoDataFrame(
                sites.drop(columns="site_polygon_wkt"),
                geometry=gpd.GeoSeries.from_wkt(sites["site_polygon_wkt"], crs=4326),
                crs=4326,
            )
            poly.to_file(path, layer="project_sites", driver="GPKG", engine="pyogrio")
        return path.read_bytes(), "application/geopackage+sqlite3", f"{stem}.gpkg"
