"""Deterministic generator of *illustrative* Ledu (乐都区, 630202) boundaries and demo data.

Only the district outline is official.  Townships, communities, grids, dwellings and
facilities are synthetic: Voronoi tessellations of hand-placed or seeded points,
clipped so that every level tiles its parent exactly.  All functions are pure (no
database, no I/O except :func:`load_inputs`) and deterministic for a given ``seed``.
Geometries are EPSG:4326; distance work is done in EPSG:4543 (CGCS2000 GK CM 102E).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from gis.demo import seeds as S
from gis.demo.facilities import build_facilities
from gis.demo.grids import build_grids
from gis.demo.residences import build_residences
from gis.demo.seeds import is_urban as _is_urban  # noqa: F401 (re-exported)
from gis.demo.shapes import (  # noqa: F401 (re-exported)
    CRS,
    _rng,
    _sample_inside,
    _voronoi_clip,
    _xy_lonlat,
    _xy_metric,
    as_multipolygon,
    to_lonlat,
    to_metric,
)


# ------------------------------------------------------------------------ townships
def build_townships(
    district, townships: pd.DataFrame, seed: int = S.DEFAULT_SEED
) -> gpd.GeoDataFrame:
    """Tile the district with the 21 township-level units.

    Parameters
    ----------
    district : shapely Polygon or MultiPolygon
        Official district outline, EPSG:4326.
    townships : pandas.DataFrame
        Columns ``code, name, type`` (the 21 level-4 rows of the NBS list).
    seed : int
        Seed for the small jitter of the hand-placed township seeds.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code, name, type, seat, geometry`` (MultiPolygon, EPSG:4326).  The union equals
        the district and the units do not overlap.  碾伯街道/岗沟街道 are the city in the
        Huangshui valley, the industrial park a small unit west of it.
    """
    district = as_multipolygon(district)
    city = shapely.intersection(Polygon(S.CITY_OUTLINE), district)
    west = Polygon(S.CITY_SPLIT + [(102.0, 36.40), (102.0, 36.60)])
    geoms: dict[str, object] = {S.NIANBO: shapely.intersection(city, west)}
    geoms[S.GANGGOU] = shapely.difference(city, geoms[S.NIANBO])
    geoms[S.PARK] = shapely.difference(
        shapely.intersection(Polygon(S.PARK_OUTLINE), district), city
    )
    rest = shapely.difference(district, shapely.union(city, geoms[S.PARK]))
    codes = [c for c in townships["code"].astype(str) if c not in geoms]
    rng = _rng(seed, 1)
    pts = _xy_metric(np.array([S.TOWNSHIP_SEEDS[c] for c in codes]))
    pts = pts + rng.uniform(-800, 800, pts.shape)
    cells = dict(zip(codes, _voronoi_clip(pts, rest), strict=True))
    seats = dict(zip(codes, shapely.points(_xy_lonlat(pts)), strict=True))
    # hand stray fragments (cut off by the city/park) to the neighbour with the longest border
    for c in codes:
        parts = list(shapely.get_parts(cells[c]))
        if len(parts) < 2:
            continue
        keep = max(parts, key=lambda p: (p.contains(seats[c]), p.area))
        for p in parts:
            if p is keep:
                continue
            shared = {
                o: shapely.intersection(p.boundary, cells[o].boundary).length
                for o in codes
                if o != c
            }
            best = max(shared, key=shared.get)
            if shared[best] > 0:
                cells[best] = as_multipolygon(shapely.union(cells[best], p))
                cells[c] = as_multipolygon(shapely.difference(cells[c], p))
    geoms.update(cells)
    seats.update(
        {
            S.NIANBO: Point(S.URBAN_SEEDS["630202001001"]),
            S.GANGGOU: Point(S.URBAN_SEEDS["630202002002"]),
            S.PARK: Point(S.PARK_SEEDS["630202400400"]),
        }
    )
    df = townships[["code", "name", "type"]].copy()
    df["code"] = df["code"].astype(str)
    df["seat"] = [seats[c] for c in df["code"]]
    return gpd.GeoDataFrame(df, geometry=[as_multipolygon(geoms[c]) for c in df["code"]], crs=CRS)


# ---------------------------------------------------------------------- communities
def _community_seeds(code: str, geom_ll, seat_ll: Point, vs: pd.DataFrame, rng) -> np.ndarray:
    """Metric seed points for the communities ``vs`` of township ``code`` (in row order)."""
    geom_m = to_metric(geom_ll)
    seat_m = np.array(to_metric(seat_ll).coords[0])
    urban = vs["type"].map(_is_urban).to_numpy()
    pts = np.zeros((len(vs), 2))
    fixed = {**S.URBAN_SEEDS, **S.PARK_SEEDS}
    for i, (c, u) in enumerate(zip(vs["code"], urban, strict=True)):
        if c in fixed:
            pts[i] = _xy_metric(np.array([fixed[c]]))[0]
        elif u:  # town residents' committee: at the town centre
            pts[i] = seat_m
    n_rural = int((~urban).sum())
    if n_rural:
        inner = geom_m.buffer(-250)
        inner = inner if inner.area > 0.3 * geom_m.area else geom_m
        urban_pts = pts[urban]
        gap = 1150.0 if code in S.STREET_CODES else 1500.0
        d_min = 0.75 * np.sqrt(geom_m.area / max(len(vs), 1))
        x0, y0, x1, y1 = inner.bounds
        chosen: list[np.ndarray] = []
        tries = 0
        while len(chosen) < n_rural:
            cand = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
            tries += 1
            if tries % 400 == 0:
                d_min *= 0.85
                gap *= 0.9
            if not shapely.contains_xy(inner, *cand):
                continue
            if len(urban_pts) and np.min(np.hypot(*(urban_pts - cand).T)) < gap:
                continue
            if chosen and np.min(np.hypot(*(np.array(chosen) - cand).T)) < d_min:
                continue
            chosen.append(cand)
        pts[~urban] = np.array(chosen)
    return pts


def build_communities(
    townships_gdf: gpd.GeoDataFrame, villages: pd.DataFrame, seed: int = S.DEFAULT_SEED
) -> gpd.GeoDataFrame:
    """Tile every township with its village-level units (居委会, 村委会, 园区).

    Parameters
    ----------
    townships_gdf : geopandas.GeoDataFrame
        Output of :func:`build_townships` (needs ``code``, ``seat``, geometry).
    villages : pandas.DataFrame
        Columns ``code, name, type, parent_code`` (the level-5 rows).
    seed : int
        Random seed.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code, name, type, township_code, township_name, is_urban, seat, geometry``: one
        MultiPolygon per unit; the units of a township tile it exactly.  ``seat`` is a
        shapely Point inside.
    """
    rows = []
    vil = villages.assign(
        code=villages["code"].astype(str), parent_code=villages["parent_code"].astype(str)
    )
    for t in townships_gdf.itertuples():
        vs = vil[vil["parent_code"] == t.code].sort_values("code")
        seat = t.seat if t.geometry.contains(t.seat) else t.geometry.point_on_surface()
        pts = _community_seeds(t.code, t.geometry, seat, vs, _rng(seed, 2, int(t.code)))
        cells = _voronoi_clip(pts, t.geometry)
        seats_ll = shapely.points(_xy_lonlat(pts))
        for v, cell, s in zip(vs.itertuples(), cells, seats_ll, strict=True):
            if not cell.contains(s):
                s = cell.point_on_surface()
            rows.append((v.code, v.name, v.type, t.code, t.name, _is_urban(v.type), s, cell))
    df = pd.DataFrame(
        rows,
        columns=[
            "code",
            "name",
            "type",
            "township_code",
            "township_name",
            "is_urban",
            "seat",
            "geometry",
        ],
    )
    return gpd.GeoDataFrame(df, geometry="geometry", crs=CRS)


# ----------------------------------------------------------------------- facilities
# -------------------------------------------------------------------------- driver
@dataclass
class DemoGeometry:
    """All demo layers, EPSG:4326.

    ``district`` is the official outline as a shapely MultiPolygon (see
    :attr:`district_gdf` for a one-row GeoDataFrame with ``boundary_source='official'``);
    every generated layer carries ``boundary_source='illustrative'``.
    """

    district: MultiPolygon
    townships: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    residences: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame

    @property
    def district_gdf(self) -> gpd.GeoDataFrame:
        """The district as a one-row GeoDataFrame (``code, name, boundary_source, geometry``)."""
        return gpd.GeoDataFrame(
            {"code": [S.DISTRICT_CODE], "name": [S.DISTRICT_NAME], "boundary_source": ["official"]},
            geometry=[self.district],
            crs=CRS,
        )


def load_inputs(data_dir: Path) -> tuple[MultiPolygon, pd.DataFrame, pd.DataFrame]:
    """Read ``ledu_630202_wgs84.geojson`` and ``ledu_divisions_nbs2023.csv`` from ``data_dir``.

    Returns ``(district MultiPolygon, township rows, village rows)``; codes are strings.
    """
    data_dir = Path(data_dir)
    gj = json.loads((data_dir / "ledu_630202_wgs84.geojson").read_text(encoding="utf-8"))
    district = as_multipolygon(shapely.geometry.shape(gj["features"][0]["geometry"]))
    div = pd.read_csv(data_dir / "ledu_divisions_nbs2023.csv", dtype=str)
    return (
        district,
        div[div["level"] == "4"].reset_index(drop=True),
        div[div["level"] == "5"].reset_index(drop=True),
    )


def generate(data_dir: Path, seed: int = S.DEFAULT_SEED) -> DemoGeometry:
    """Build every demo layer from the files in ``data_dir`` (see :func:`load_inputs`).

    Parameters
    ----------
    data_dir : pathlib.Path
        Directory holding ``ledu_630202_wgs84.geojson`` and ``ledu_divisions_nbs2023.csv``.
    seed : int
        Master seed; the same seed gives identical output.

    Returns
    -------
    DemoGeometry
    """
    district, tdf, vdf = load_inputs(data_dir)
    t = build_townships(district, tdf, seed)
    c = build_communities(t, vdf, seed)
    r = build_residences(c, seed)
    g = build_grids(c, r, seed=seed)
    f = build_facilities(c, g, seed)
    for layer in (t, c, r, g, f):
        layer["boundary_source"] = "illustrative"
    return DemoGeometry(district, t, c, r, g, f)
