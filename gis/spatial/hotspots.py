"""Case hotspots: density clustering (DBSCAN) in metres, and this period against the last.

Cases reported in the window (cancelled and merged ones left out) are projected to
CGCS2000 / 3° Gauss-Kruger CM 102E (EPSG:4543) and clustered with ``ST_ClusterDBSCAN``:
``eps`` is in metres, ``min_points`` is the least number of cases within ``eps`` of a core
case. Each cluster is returned as a polygon (the convex hull of its cases widened by
``eps / 2``) with its count.

Emerging hotspots compare the window with the one of equal length just before it: each
current cluster is *new* when no previous cluster overlaps it, *intensifying* when it holds
at least 25 % more cases than the same polygon held in the previous window, *diminishing*
when at least 20 % fewer, else *persistent*; previous clusters that no current one overlaps
are reported as *faded*.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.spatial import params, stats

MAX_EPS_M = 2000.0
MAX_CLUSTERS = 500

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
      AND ST_Intersects(c.geom, ST_Transform(CAST(:poly AS geometry), 4326)) {where}
"""


def _clusters(
    bind: Session | Connection, p: dict[str, Any], where: str, limit: int
) -> list[dict[str, Any]]:
    sql = sa.text(
        f"SELECT n, ST_AsEWKB(poly) AS wkb, ST_Area(poly) AS area, "
        f"ST_AsGeoJSON(ST_Transform(poly, 4326), 6) AS geojson, "
        f"ST_X(ST_Transform(ST_Centroid(poly), 4326)) AS lon, "
        f"ST_Y(ST_Transform(ST_Centroid(poly), 4326)) AS lat "
        f"FROM ({CLUSTER_SQL.format(where=where)}) x ORDER BY n DESC LIMIT :limit"
    )
    return [dict(r._mapping) for r in bind.execute(sql, {**p, "limit": limit})]


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
        input size) and ``clusters`` (a GeoJSON FeatureCollection; properties ``rank``,
        ``count``, ``previous_count``, ``trend``, ``area_m2``, ``lon``, ``lat``), plus
        ``faded`` previous clusters.

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
    current = _clusters(bind, p, where, max_clusters)
    n_cases = bind.execute(
        sa.text(
            "SELECT count(*) FROM cases c WHERE c.reported_at >= :start AND c.reported_at < :end "
            f"AND c.state NOT IN ('cancelled', 'merged') {where}"
        ),
        p,
    ).scalar_one()
    previous: list[dict[str, Any]] = []
    if compare:
        previous = _clusters(bind, {**p, "start": prev.start, "end": prev.end}, where, MAX_CLUSTERS)
    prev_polys = [c["wkb"] for c in previous]
    overlaps = sa.text(
        "SELECT i FROM unnest(CAST(:polys AS bytea[])) WITH ORDINALITY AS t(w, i) "
        "WHERE ST_Intersects(ST_GeomFromEWKB(w), ST_GeomFromEWKB(:poly))"
    )
    matched: set[int] = set()
    features = []
    for rank, c in enumerate(current, start=1):
        props: dict[str, Any] = {
            "rank": rank,
            "count": int(c["n"]),
            "area_m2": round(float(c["area"]), 1),
            "lon": round(float(c["lon"]), 6),
            "lat": round(float(c["lat"]), 6),
        }
        if compare:
            hits = [
                i - 1 for (i,) in bind.execute(overlaps, {"polys": prev_polys, "poly": c["wkb"]})
            ]
            matched.update(hits)
            before = bind.execute(
                sa.text(PREVIOUS_COUNT_SQL.format(where=where)),
                {**extra, "pstart": prev.start, "pend": prev.end, "poly": c["wkb"]},
            ).scalar_one()
            props["previous_count"] = int(before)
            if not hits:
                props["trend"] = "new"
            elif c["n"] >= 1.25 * before:
                props["trend"] = "intensifying"
            elif c["n"] <= 0.8 * before:
                props["trend"] = "diminishing"
            else:
                props["trend"] = "persistent"
        features.append(
            {"type": "Feature", "geometry": orjson.loads(c["geojson"]), "properties": props}
        )
    faded = [
        {
            "type": "Feature",
            "geometry": orjson.loads(c["geojson"]),
            "properties": {"previous_count": int(c["n"]), "trend": "faded"},
        }
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
        "cases": int(n_cases),
        "clusters": {"type": "FeatureCollection", "features": features},
        "faded": {"type": "FeatureCollection", "features": faded},
    }
