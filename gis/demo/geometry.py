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
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gis.demo import seeds as S
from gis.demo.seeds import is_urban as _is_urban  # noqa: F401 (re-exported)
from gis.demo.seeds import label

_FWD = Transformer.from_crs(4326, S.METRIC_EPSG, always_xy=True)
_INV = Transformer.from_crs(S.METRIC_EPSG, 4326, always_xy=True)
CRS = "EPSG:4326"


# --------------------------------------------------------------------------- helpers
def to_metric(geom):
    """Project a lon/lat geometry (or array of them) to EPSG:4543."""
    return shapely.transform(geom, lambda a: np.column_stack(_FWD.transform(a[:, 0], a[:, 1])))


def to_lonlat(geom):
    """Project an EPSG:4543 geometry (or array of them) back to lon/lat."""
    return shapely.transform(geom, lambda a: np.column_stack(_INV.transform(a[:, 0], a[:, 1])))


def _xy_metric(lonlat: np.ndarray) -> np.ndarray:
    return np.column_stack(_FWD.transform(lonlat[:, 0], lonlat[:, 1]))


def _xy_lonlat(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(_INV.transform(xy[:, 0], xy[:, 1]))


def as_multipolygon(geom) -> MultiPolygon:
    """Make ``geom`` valid and return only its polygonal parts as a MultiPolygon."""
    parts = shapely.get_parts(shapely.make_valid(geom))
    while True:
        multi = shapely.get_type_id(parts) >= 4
        if not multi.any():
            break
        parts = np.concatenate([parts[~multi], shapely.get_parts(parts[multi])])
    polys = [p for p in parts if isinstance(p, Polygon) and p.area > 0]
    return MultiPolygon(polys)


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *[int(k) for k in keys]])


def _voronoi_clip(seeds_m: np.ndarray, region_ll) -> list[MultiPolygon]:
    """Voronoi cells of metric ``seeds_m`` (in input order), clipped to lon/lat ``region_ll``.

    Cells are built in EPSG:4543 and transformed vertex-by-vertex, so neighbouring cells
    keep identical shared edges; the clip is done against the untouched lon/lat region.
    """
    if len(seeds_m) == 1:
        return [as_multipolygon(region_ll)]
    env = box(*to_metric(region_ll).bounds).buffer(20_000)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds_m), extend_to=env, ordered=True)
    )
    clipped = shapely.intersection(to_lonlat(cells), region_ll)
    return [as_multipolygon(c) for c in clipped]


def _sample_inside(
    poly_ll, centre_m, n: int, sigma: float, rng, min_dist: float = 0.0
) -> np.ndarray:
    """``n`` lon/lat points strictly inside ``poly_ll``, normally around ``centre_m`` (metric).

    Falls back to uniform sampling over the polygon when the neighbourhood is too small.
    """
    poly_m = to_metric(poly_ll)
    x0, y0, x1, y1 = poly_m.bounds
    out: list[np.ndarray] = []
    for attempt in range(60):
        k = max(4 * n, 32)
        if attempt < 30:
            cand = rng.normal(centre_m, sigma * (1 + attempt / 10), size=(k, 2))
        else:
            cand = np.column_stack([rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)])
        ll = _xy_lonlat(cand)
        ok = shapely.contains_xy(poly_ll, ll[:, 0], ll[:, 1])
        for xy, p in zip(cand[ok], ll[ok], strict=True):
            if (
                min_dist
                and out
                and np.min(np.hypot(*(np.array([o[2:] for o in out]) - xy).T)) < min_dist
            ):
                continue
            out.append(np.r_[p, xy])
            if len(out) == n:
                return np.array(out)[:, :2]
        if attempt in (20, 40):
            min_dist *= 0.6
    raise RuntimeError("could not place points inside polygon")


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


# ----------------------------------------------------------------------- residences
def _split_total(total: int, lo: int, hi: int, rng) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < total:
        sizes.append(int(rng.integers(lo, hi + 1)))
    excess = sum(sizes) - total
    sizes[-1] -= excess
    if sizes[-1] < lo and len(sizes) > 1:
        last = sizes.pop()
        sizes[-1] += last
    return sizes


def _households(c, rng) -> int:
    if c.township_code in S.STREET_CODES and c.is_urban:
        return int(rng.integers(3000, 5600))
    if c.township_code == S.PARK:
        return int(rng.integers(300, 700))
    if c.is_urban:
        return int(rng.integers(1800, 3000))
    return int(np.clip(round(rng.lognormal(np.log(92), 0.5)), 80, 600))


def build_residences(
    communities_gdf: gpd.GeoDataFrame, seed: int = S.DEFAULT_SEED
) -> gpd.GeoDataFrame:
    """Synthetic dwelling points (urban buildings / village hamlet clusters).

    Urban communities: 2,000–6,000 households (city) in buildings of 20–80 households on a
    jittered block lattice; villages: 80–600 households in clusters of 3–15 households
    around the village seat.  Population ≈ households × U(2.6, 3.3).

    Parameters
    ----------
    communities_gdf : geopandas.GeoDataFrame
        Output of :func:`build_communities`.
    seed : int
        Random seed.

    Returns
    -------
    geopandas.GeoDataFrame
        ``community_code, households, population, geometry`` (Point, strictly inside the
        community polygon).
    """
    recs = []
    for c in communities_gdf.itertuples():
        rng = _rng(seed, 3, int(c.code))
        hh = _households(c, rng)
        seat_m = np.array(to_metric(c.seat).coords[0])
        if c.is_urban:
            sizes = _split_total(hh, 20, 80, rng)
            region = shapely.intersection(c.geometry, to_lonlat(Point(seat_m).buffer(1300)))
            reg_m = to_metric(region)
            step = np.sqrt(reg_m.area / len(sizes)) * 0.9
            ll = np.empty((0, 2))
            for _ in range(12):
                x0, y0, x1, y1 = reg_m.bounds
                gx, gy = np.meshgrid(
                    np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step)
                )
                cand = (
                    np.column_stack([gx.ravel(), gy.ravel()])
                    + rng.uniform(-0.3, 0.3, (gx.size, 2)) * step
                )
                ll = _xy_lonlat(cand)
                ll = ll[shapely.contains_xy(region, ll[:, 0], ll[:, 1])]
                if len(ll) >= len(sizes):
                    break
                step *= 0.85
            ll = ll[np.sort(rng.choice(len(ll), len(sizes), replace=False))]
        else:
            sizes = _split_total(hh, 3, 15, rng)
            sigma = 250 + 1.5 * hh
            ll = _sample_inside(c.geometry, seat_m, len(sizes), sigma, rng, min_dist=60)
        for (x, y), h in zip(ll, sizes, strict=True):
            recs.append((c.code, h, int(round(h * rng.uniform(2.6, 3.3))), x, y))
    df = pd.DataFrame(recs, columns=["community_code", "households", "population", "x", "y"])
    geom = shapely.points(df[["x", "y"]].to_numpy())
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=geom, crs=CRS)


# ---------------------------------------------------------------------------- grids
def _kmeans(
    xy: np.ndarray,
    w: np.ndarray,
    k: int,
    rng,
    target: tuple[int, int] = (300, 500),
    iters: int = 15,
    restarts: int = 6,
    balance: int = 40,
) -> np.ndarray:
    """Weighted k-means (k-means++ init) on metric points, then a balancing pass.

    The balancing pass nudges each centre towards neighbours holding more weight (and
    away from lighter ones); the configuration with the fewest clusters outside
    ``target`` (ties: smallest spread) over all restarts wins.  Returns ``k`` centres.
    """

    def assign(c):
        lab = np.argmin(((xy[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        return lab, np.bincount(lab, weights=w, minlength=k)

    def score(sums):
        return (int(((sums < target[0]) | (sums > target[1])).sum()), float(np.std(sums)))

    best, best_score = None, None
    for _ in range(restarts):
        cent = [xy[rng.choice(len(xy), p=w / w.sum())]]
        for _ in range(1, k):
            d2 = np.min(((xy[:, None, :] - np.array(cent)[None]) ** 2).sum(-1), axis=1) * w
            cent.append(
                xy[rng.choice(len(xy), p=d2 / d2.sum())]
                if d2.sum() > 0
                else xy[rng.integers(len(xy))]
            )
        c = np.array(cent, dtype=float)
        for _ in range(iters):
            lab, _s = assign(c)
            for j in range(k):
                m = lab == j
                if m.any():
                    c[j] = np.average(xy[m], axis=0, weights=w[m])
        mean = w.sum() / k
        for _ in range(balance):
            lab, sums = assign(c)
            sc = score(sums)
            if best_score is None or sc < best_score:
                best, best_score = c.copy(), sc
            d = np.hypot(*(c[:, None, :] - c[None]).transpose(2, 0, 1))
            nb = np.argsort(d, axis=1)[:, 1:4]
            step = np.zeros_like(c)
            for j in range(k):
                for i in nb[j]:
                    step[j] += (sums[i] - sums[j]) / mean * (c[i] - c[j])
            c = c + 0.08 * step
    c = best
    # keep centres distinct so that every Voronoi cell survives
    _, idx = np.unique(np.round(c, 3), axis=0, return_index=True)
    for j in set(range(k)) - set(idx):
        c[j] += rng.uniform(-5, 5, 2)
    return c


def build_grids(
    communities_gdf: gpd.GeoDataFrame,
    residences_gdf: gpd.GeoDataFrame,
    *,
    target: tuple[int, int] = (300, 500),
    seed: int = S.DEFAULT_SEED,
) -> gpd.GeoDataFrame:
    """Split each community into basic grids (网格) with a 15-digit code.

    Urban communities get ``N = max(1, round(households / mean(target)))`` grids, villages
    1 grid (2 if > 600 households).  Weighted k-means of the residence points gives the
    grid centres, whose Voronoi cells clipped to the community are the grids (they cover
    the community exactly without overlaps).  Codes are 630202 + township 3 digits +
    community 3 digits + sequence 001…, numbered in reading order (bands north→south,
    west→east inside a band).

    Parameters
    ----------
    communities_gdf, residences_gdf : geopandas.GeoDataFrame
        Outputs of :func:`build_communities` and :func:`build_residences`.
    target : tuple of int
        Wanted households per urban grid (the k-means is balanced towards it).
    seed : int
        Random seed.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code, name, community_code, kind, households, population, geometry`` (MultiPolygon).
    """
    per = float(np.mean(target))
    res = residences_gdf.assign(
        _x=shapely.get_x(residences_gdf.geometry.values),
        _y=shapely.get_y(residences_gdf.geometry.values),
    )
    groups = dict(tuple(res.groupby("community_code")))
    rows = []
    for c in communities_gdf.itertuples():
        r = groups.get(c.code)
        hh_tot = 0 if r is None else int(r["households"].sum())
        n = max(1, round(hh_tot / per)) if c.is_urban else (1 if hh_tot <= 600 else 2)
        n = min(n, 1 if r is None else len(r))
        if n == 1:
            cells = [as_multipolygon(c.geometry)]
        else:
            xy = _xy_metric(r[["_x", "_y"]].to_numpy())
            cent = _kmeans(
                xy, r["households"].to_numpy(float), n, _rng(seed, 4, int(c.code)), target
            )
            cells = _voronoi_clip(cent, c.geometry)
        cm = to_metric(shapely.centroid(np.array(cells, dtype=object)))
        cx, cy = shapely.get_x(cm), shapely.get_y(cm)
        band_h = np.sqrt(to_metric(c.geometry).area / n)
        band = np.floor((cy.max() - cy) / band_h + 0.5)
        order = np.lexsort((cx, band))
        lab = label(c.name, c.type)
        for seq, j in enumerate(order, start=1):
            g = cells[j]
            if r is not None:
                m = shapely.contains_xy(g, r["_x"].to_numpy(), r["_y"].to_numpy())
                hh, pop = int(r["households"][m].sum()), int(r["population"][m].sum())
            else:
                hh = pop = 0
            code = f"630202{c.code[6:9]}{c.code[9:12]}{seq:03d}"
            rows.append((code, f"{lab}第{seq}网格", c.code, "basic", hh, pop, g))
    df = pd.DataFrame(
        rows,
        columns=["code", "name", "community_code", "kind", "households", "population", "geometry"],
    )
    return gpd.GeoDataFrame(df, geometry="geometry", crs=CRS)


# ----------------------------------------------------------------------- facilities
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
