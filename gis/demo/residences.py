"""Demo dwellings: buildings in towns, hamlet clusters in villages, with households."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from gis.demo import seeds as S
from gis.demo.shapes import CRS, _rng, _sample_inside, _xy_lonlat, to_lonlat, to_metric


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
