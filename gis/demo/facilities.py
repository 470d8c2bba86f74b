"""Demo facilities: office and service sites (with the nine plan sites), stations, centres."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from gis.demo import seeds as S
from gis.demo.seeds import label
from gis.demo.shapes import CRS, _rng, _sample_inside, _xy_lonlat, to_metric  # noqa: F401


def _facility_plan(
    c, n_grids: int, seat_of: str | None, rng
) -> list[tuple[str, str, str, tuple[int, int]]]:
    """(kind, name, status, floor-area range) of the facilities of one community."""
    lab = label(c.name, c.type)
    status = S.PLAN_SITES.get(c.code, (None, "in_service"))[1]
    plan = [
        (
            "office_service_site",
            lab + "办公和服务场所",
            status,
            (300, 800) if c.is_urban else (120, 400),
        )
    ]
    for kind, suffix, p, (lo, hi), area in (
        S.URBAN_FACILITIES if c.is_urban else S.VILLAGE_FACILITIES
    ):
        if rng.random() >= p:
            continue
        k = (
            int(np.clip(n_grids // 3, lo, hi))
            if kind == "service_station"
            else int(rng.integers(lo, hi + 1))
        )
        plan += [
            (kind, lab + suffix + (f"({i})" if k > 1 else ""), "in_service", area)
            for i in range(1, k + 1)
        ]
    if seat_of:
        plan += [
            (kind, seat_of + suffix, "in_service", area) for kind, suffix, area in S.SEAT_FACILITIES
        ]
    return plan


def build_facilities(
    communities_gdf: gpd.GeoDataFrame,
    grids_gdf: gpd.GeoDataFrame | None = None,
    seed: int = S.DEFAULT_SEED,
) -> gpd.GeoDataFrame:
    """Community service facilities (points strictly inside their community).

    Every community has an ``office_service_site`` (the nine plan sites of
    :data:`gis.demo.seeds.PLAN_SITES` are ``under_construction`` / ``planned``, all others
    ``in_service``).  Urban communities get 1–3 service stations (one per three grids),
    a mediation centre (85 %), elderly care, culture/sports and 2–5 commercial outlets;
    the seat community of each township (its first 居委会, else its first village) gets
    the township's service centre, health centre and police room; villages get some
    service stations, clinics, elderly care, culture squares and shops
    (see :data:`gis.demo.seeds.VILLAGE_FACILITIES`).

    Parameters
    ----------
    communities_gdf : geopandas.GeoDataFrame
        Output of :func:`build_communities`.
    grids_gdf : geopandas.GeoDataFrame, optional
        Output of :func:`build_grids` (sizes the number of service stations).
    seed : int
        Random seed.

    Returns
    -------
    geopandas.GeoDataFrame
        ``kind, name, community_code, status, floor_area_m2, geometry`` (Point).
    """
    n_grids = (
        grids_gdf.groupby("community_code").size()
        if grids_gdf is not None
        else pd.Series(dtype=int)
    )
    seat_of = {}
    for _, grp in communities_gdf.sort_values("code").groupby("township_code"):
        urb = grp[grp["is_urban"]]
        seat_of[(urb if len(urb) else grp)["code"].iloc[0]] = grp["township_name"].iloc[0]
    recs = []
    for c in communities_gdf.itertuples():
        rng = _rng(seed, 5, int(c.code))
        plan = _facility_plan(c, int(n_grids.get(c.code, 3)), seat_of.get(c.code), rng)
        seat_m = np.array(to_metric(c.seat).coords[0])
        pts = _sample_inside(
            c.geometry, seat_m, len(plan), 250 if c.is_urban else 300, rng, min_dist=25
        )
        for (kind, name, st, (lo, hi)), (x, y) in zip(plan, pts, strict=True):
            recs.append((kind, name, c.code, st, int(rng.integers(lo, hi + 1)), Point(x, y)))
    df = pd.DataFrame(
        recs, columns=["kind", "name", "community_code", "status", "floor_area_m2", "geometry"]
    )
    return gpd.GeoDataFrame(df, geometry="geometry", crs=CRS)
