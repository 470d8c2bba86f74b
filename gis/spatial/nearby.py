"""Facilities near a point: the k nearest of a kind, and all within a radius.

Distances are geodesic metres (``geography``). The k-nearest search first uses the GiST
index (``<->``, planar degrees) to find k candidates; the largest true distance among them
bounds the answer, and a second indexed pass re-ranks every facility within that bound by
true distance, so the result is exact even though degrees of longitude are shorter than
degrees of latitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.models.facilities import FACILITY_KINDS, FACILITY_STATUSES
from gis.spatial import params
from gis.spatial.locate import to_storage_crs

MAX_K = 100
MAX_RADIUS_M = 50_000.0
MAX_LIST = 2000
M_PER_DEG = 111_320.0

_COLUMNS = """f.id, f.kind, f.name, f.community_code, f.status,
       ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
       ST_Distance(f.geom::geography, ST_SetSRID(ST_Point(:lon, :lat), 4326)::geography)
           AS distance_m"""
_FILTER = "(CAST(:kind AS text) IS NULL OR f.kind = :kind) AND f.status = ANY (:statuses)"

KNN_SQL = sa.text(f"""
    SELECT {_COLUMNS} FROM facilities f WHERE {_FILTER}
    ORDER BY f.geom <-> ST_SetSRID(ST_Point(:lon, :lat), 4326) LIMIT :k
""")
WITHIN_SQL = sa.text(f"""
    SELECT * FROM (
        SELECT {_COLUMNS} FROM facilities f
        WHERE {_FILTER}
          AND ST_DWithin(f.geom, ST_SetSRID(ST_Point(:lon, :lat), 4326), :deg)
    ) s WHERE distance_m <= :radius
    ORDER BY distance_m, id LIMIT :limit
""")


@dataclass(frozen=True)
class NearbyFacility:
    """A facility and its geodesic distance (m) from the query point."""

    id: int
    kind: str
    kind_name: str
    name: str
    community_code: str | None
    status: str
    lon: float
    lat: float
    distance_m: float


def _statuses(status: str | None) -> list[str]:
    if status is None or status == "":
        return ["in_service"]
    if status == "all":
        return list(FACILITY_STATUSES)
    if status not in FACILITY_STATUSES:
        raise InvalidInput(
            f"未知设施状态 (unknown status) {status!r}; known: all, {', '.join(FACILITY_STATUSES)}",
            field="status",
        )
    return [status]


def _row(r: Any) -> NearbyFacility:
    m = dict(r._mapping)
    return NearbyFacility(
        kind_name=str(FACILITY_KINDS.get(m["kind"], m["kind"])),
        **{**m, "distance_m": round(float(m["distance_m"]), 1)},
    )


def _deg(radius_m: float, lat: float) -> float:
    """A bound in degrees that contains every point within ``radius_m`` of latitude ``lat``."""
    return radius_m / (M_PER_DEG * max(math.cos(math.radians(min(abs(lat) + 1, 89))), 0.01)) * 1.01


def nearest(
    bind: Session | Connection,
    *,
    lon: float,
    lat: float,
    k: int = 5,
    kind: str | None = None,
    status: str | None = None,
    crs: str = "wgs84",
) -> list[NearbyFacility]:
    """The ``k`` facilities nearest to a point, nearest first (exact geodesic order).

    Parameters
    ----------
    lon, lat
        The point, in ``crs`` (wgs84 by default; gcj02, bd09 converted).
    k
        How many, 1…100.
    kind
        A facility kind (``FACILITY_KINDS``); all kinds when ``None``.
    status
        ``in_service`` (default), another status, or ``all``.

    Raises
    ------
    InvalidInput
        Bad coordinates, ``k``, ``kind``, ``status`` or ``crs`` (the field is named).

    Examples
    --------
    >>> [f.kind for f in nearest(session, lon=102.4, lat=36.48, k=2,
    ...                          kind="police_room")]  # doctest: +SKIP
    ['police_room', 'police_room']
    """
    params.int_in(k, field="k", lo=1, hi=MAX_K)
    kind = params.facility_kind(kind)
    statuses = _statuses(status)
    x, y = to_storage_crs(lon, lat, crs)
    q = {"lon": x, "lat": y, "kind": kind, "statuses": statuses}
    first = bind.execute(KNN_SQL, {**q, "k": k}).all()
    if not first:
        return []
    bound = max(float(r.distance_m) for r in first) + 0.01
    rows = bind.execute(WITHIN_SQL, {**q, "deg": _deg(bound, y), "radius": bound, "limit": k}).all()
    return [_row(r) for r in rows]


def within_radius(
    bind: Session | Connection,
    *,
    lon: float,
    lat: float,
    radius_m: float,
    kind: str | None = None,
    status: str | None = None,
    crs: str = "wgs84",
    limit: int = 500,
) -> list[NearbyFacility]:
    """Every facility within ``radius_m`` metres of a point, nearest first.

    Parameters
    ----------
    radius_m
        Greater than 0, at most 50 km.
    limit
        At most this many (1…2000).

    Raises
    ------
    InvalidInput
        Bad coordinates, ``radius``, ``kind``, ``status``, ``limit`` or ``crs``.
    """
    params.number_in(radius_m, field="radius", lo=0, hi=MAX_RADIUS_M, lo_open=True)
    params.int_in(limit, field="limit", lo=1, hi=MAX_LIST)
    kind = params.facility_kind(kind)
    statuses = _statuses(status)
    x, y = to_storage_crs(lon, lat, crs)
    rows = bind.execute(
        WITHIN_SQL,
        {
            "lon": x,
            "lat": y,
            "kind": kind,
            "statuses": statuses,
            "deg": _deg(radius_m, y),
            "radius": radius_m,
            "limit": limit,
        },
    ).all()
    return [_row(r) for r in rows]
