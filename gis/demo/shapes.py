"""Geometry helpers of the demo generator: projections, validity, Voronoi, sampling."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box

from gis.demo import seeds as S

_FWD = Transformer.from_crs(4326, S.METRIC_EPSG, always_xy=True)
_INV = Transformer.from_crs(S.METRIC_EPSG, 4326, always_xy=True)
CRS = "EPSG:4326"


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
