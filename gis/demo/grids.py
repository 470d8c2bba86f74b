"""Demo management grids (网格): balanced weighted k-means of dwellings, Voronoi cells
clipped to each community, 15-digit codes in reading order.  Pure and deterministic."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.demo import seeds as S
from gis.demo.seeds import label
from gis.demo.shapes import CRS, _rng, _voronoi_clip, _xy_metric, as_multipolygon, to_metric


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
