"""Case hotspots: density clustering (DBSCAN) in metres, and this period against the last.

Cases reported in the window (cancelled and merged ones left out) are projected to
CGCS2000 / 3° Gauss-Kruger CM 102E (EPSG:4543) and clustered with ``ST_ClusterDBSCAN``:
``eps`` is in metres, ``min_points`` is the least number of cases within ``eps`` of a core
case. Each cluster is returned as a polygon (the convex hull of its cases widened by
``eps / 2``) with its count.

Above :data:`EXACT_MAX` cases the clustering runs on a fine lattice of case counts instead
of the points themselves (see :mod:`gis.spatial.hotspots_grid`), which keeps a year of a
million cases within seconds.

Emerging hotspots compare the window with the one of equal length just before it: each
current cluster is *new* when no previous cluster overlaps it, *intensifying* when it holds
at least 25 % more cases than the same polygon held in the previous window, *diminishing*
when at least 20 % fewer, else *persistent*; previous clusters that no current one overlaps
are reported as *faded*.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from shapely.geometry import mapping
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.spatial import hotspots_grid, params, stats

MAX_EPS_M = 2000.0
MAX_CLUSTERS = 500
#: Up to this many cases are clustered point by point; more go through the lattice.
EXACT_MAX = 20_000
TO_WGS84 = Transformer.from_crs(4543, 4326, always_xy=True)

CLUSTER_SQL = """
    WITH pts AS (
        SELECT ST_Transform(c.geom, 4543) AS g FROM cases c
        WHERE c.reported_at >= :start AND c.reported_at < :end
          AND c.state NOT IN ('cancelled', 'merged') {where}
    ),
    cl AS (
        SELECT g, ST_ClusterDBSCAN(g, eps := :eps, minpoints := :minpts) OVER () AS cid
        FROM pts
    )
    SELECT count(*) AS n,
        ST_Buffer(ST_ConvexHull(ST_Collect(g)), :eps / 2, 8) AS poly
    FROM cl WHERE cid IS NOT NULL GROUP BY cid
"""
PREVIOUS_COUNT_SQL = """
    SELECT count(*) FROM cases c
    WHERE c.reported_at >= :pstart AND c.reported_at < :pend
      AND c.state NOT IN ('cancelled', 'merged')
      AND ST_Intersects(c.geom, ST_Transform(ST_SetSRID(CAST(:poly AS geometry), 4543), 4326))
      {where}
"""


def _exact(bind: Session | Connection, p: dict[str, Any], where: str) -> list[dict[str, Any]]:
    sql = sa.text(f"SELECT n, ST_AsBinary(poly) AS wkb FROM ({CLUSTER_SQL.format(where=where)}) x")
    return [
        {"count": int(r.n), "poly": shapely.from_wkb(bytes(r.wkb))} for r in bind.execute(sql, p)
    ]


def _to_wgs84(geom: Any) -> Any:
    return shapely.transform(
        geom, lambda xy: np.column_stack(TO_WGS84.transform(xy[:, 0], xy[:, 1]))
    )


def _feature(poly: Any, props: dict[str, Any]) -> dict[str, Any]:
    g = _to_wgs84(poly)
    c = g.centroid
    props |= {"area_m2": round(poly.area, 1), "lon": round(c.x, 6), "lat": round(c.y, 6)}
    geom = mapping(shapely.set_precision(g, 1e-6))
    return {"type": "Feature", "geometry": geom, "properties": props}


def hotspots(
    bind: Session | Connection,
    *,
    window: params.Window,
    eps_m: float = 150.0,
    min_points: int = 20,
    category: str | None = None,
    parent: str | None = None,
    compare: bool = True,
    max_clusters: int = 100,
) -> dict[str, Any]:
    """Clusters of cases reported in ``window``, biggest first, optionally compared.

    Parameters
    ----------
    eps_m
        Neighbourhood radius in metres (0 < eps ≤ 2000).
    min_points
        Cases within ``eps`` that make a core case (2…100000).
    category, parent
        Restrict to a 大类/小类 and to a township or community.
    compare
        Classify against the previous window of equal length (see the module docstring).
    max_clusters
        At most this many clusters (1…500), the biggest.

    Returns
    -------
    dict
        ``window``, ``previous_window``, ``eps_m``, ``min_points``, ``cases`` (clustered
        input size), ``method`` (``points`` or ``lattice``) and ``clusters`` (a GeoJSON
        FeatureCollection; properties ``rank``, ``count``, ``previous_count``, ``trend``,
        ``area_m2``, ``lon``, ``lat``), plus ``faded`` previous clusters.

    Raises
    ------
    InvalidInput
        Bad ``eps``, ``min_points``, ``max_clusters``, ``category`` or ``parent``.
    """
    eps = params.number_in(eps_m, field="eps", lo=0, hi=MAX_EPS_M, lo_open=True)
    params.int_in(min_points, field="min_points", lo=2, hi=100_000)
    params.int_in(max_clusters, field="max_clusters", lo=1, hi=MAX_CLUSTERS)
    prefix = stats.check_filters(bind, category=category, department=None, parent=parent)
    where, extra = stats.filters(category=category, parent=prefix)
    prev = window.previous()
    p = {"start": window.start, "end": window.end, "eps": eps, "minpts": min_points, **extra}
    pp = {**p, "start": prev.start, "end": prev.end}
    cell = eps / 3
    cur_cells, prev_found = hotspots_grid.bin_periods(
        bind, {**p, "pstart": prev.start if compare else window.start}, where, cell
    )
    prev_cells = prev_found if compare else None
    n_cases = int(cur_cells.n.sum())
    n_prev = int(prev_cells.n.sum()) if prev_cells is not None else 0
    lattice = max(n_cases, n_prev) > EXACT_MAX
    previous: list[dict[str, Any]] = []
    if lattice:
        current = hotspots_grid.clusters(
            bind, cur_cells, eps=eps, min_points=min_points, limit=max_clusters
        )
        if prev_cells is not None:
            previous = hotspots_grid.clusters(
                bind, prev_cells, eps=eps, min_points=min_points, limit=MAX_CLUSTERS
            )
    else:
        current = _exact(bind, p, where)
        previous = _exact(bind, pp, where) if compare else []
    current.sort(key=lambda c: -c["count"])
    current = current[:max_clusters]
    previous.sort(key=lambda c: -c["count"])
    previous = previous[:MAX_CLUSTERS]
    if compare and lattice and prev_cells is not None:
        before = hotspots_grid.count_in([c["poly"] for c in current], prev_cells)
    elif compare:
        before = [
            int(
                bind.execute(
                    sa.text(PREVIOUS_COUNT_SQL.format(where=where)),
                    {
                        **extra,
                        "pstart": prev.start,
                        "pend": prev.end,
                        "poly": shapely.to_wkb(c["poly"], include_srid=False, hex=True),
                    },
                ).scalar_one()
            )
            for c in current
        ]
    tree = shapely.STRtree([c["poly"] for c in previous]) if previous else None
    matched: set[int] = set()
    features = []
    for rank, c in enumerate(current, start=1):
        props: dict[str, Any] = {"rank": rank, "count": c["count"]}
        if compare:
            hits = [] if tree is None else tree.query(c["poly"], predicate="intersects").tolist()
            matched.update(hits)
            props["previous_count"] = b = before[rank - 1]
            n = c["count"]
            props["trend"] = (
                "new"
                if not hits
                else "intensifying"
                if n >= 1.25 * b
                else "diminishing"
                if n <= 0.8 * b
                else "persistent"
            )
        features.append(_feature(c["poly"], props))
    faded = [
        _feature(c["poly"], {"previous_count": c["count"], "trend": "faded"})
        for i, c in enumerate(previous)
        if i not in matched
    ]
    return {
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "previous_window": {"start": prev.start.isoformat(), "end": prev.end.isoformat()}
        if compare
        else None,
        "eps_m": eps,
        "min_points": min_points,
        "cases": n_cases,
        "method": f"lattice ({cell:g} m cells)" if lattice else "points",
        "clusters": {"type": "FeatureCollection", "features": features},
        "faded": {"type": "FeatureCollection", "features": faded},
    }
