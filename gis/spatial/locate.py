"""Point → district, township, community and grid.

Input coordinates may be WGS84/CGCS2000 (default), GCJ-02 or BD-09 (converted on the way in
with ``gis.crs``). A point outside the district is refused with a message that says when
the coordinates look swapped (lat given as lon).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis import crs as crs_mod
from gis.errors import InvalidInput, TooLarge, Unprocessable

# ``spatial_lookup`` / ``district_pieces``: subdivided copies kept in sync by triggers
# (migration 0009_analysis), so a lookup is one index probe on small polygons, no joins.
LOCATE_SQL = sa.text("""
    SELECT township_code, township_name, community_code, community_name, grid_code, grid_name
    FROM spatial_lookup
    WHERE ST_Intersects(geom, ST_SetSRID(ST_Point(:lon, :lat), 4326))
    ORDER BY grid_code
    LIMIT 1
""")
INSIDE_SQL = sa.text("""
    SELECT EXISTS (SELECT 1 FROM district_pieces
                   WHERE ST_Intersects(geom, ST_SetSRID(ST_Point(:lon, :lat), 4326)))
""")
BATCH_SQL = sa.text("""
    SELECT p.i, l.township_code, l.township_name, l.community_code, l.community_name,
           l.grid_code, l.grid_name
    FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)
    LEFT JOIN LATERAL (
        SELECT * FROM spatial_lookup s
        WHERE ST_Intersects(s.geom, ST_SetSRID(ST_Point(p.x, p.y), 4326))
        ORDER BY s.grid_code LIMIT 1
    ) l ON true
""")
BATCH_INSIDE_SQL = sa.text("""
    SELECT p.i FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)
    WHERE EXISTS (SELECT 1 FROM district_pieces d
                  WHERE ST_Intersects(d.geom, ST_SetSRID(ST_Point(p.x, p.y), 4326)))
""")
#: The most points one batch request may carry.
MAX_BATCH = 10_000


@dataclass(frozen=True)
class Location:
    """Where a point falls: codes and names from the district down to the grid."""

    lon: float
    lat: float
    township_code: str
    township_name: str
    community_code: str
    community_name: str
    grid_code: str
    grid_name: str
    district_code: str = "630202000000"
    district_name: str = "乐都区"


def to_storage_crs(lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    """Validate a coordinate pair and convert it to WGS84 (EPSG:4326).

    Raises
    ------
    InvalidInput
        Non-finite or out-of-range numbers, or an unknown ``crs``.
    """
    for name, v in (("lon", lon), ("lat", lat)):
        if not isinstance(v, int | float) or not math.isfinite(v):
            raise InvalidInput(f"坐标 {name} 不是有效数字 (not a finite number): {v!r}", field=name)
    if not -180 <= lon <= 180:
        raise InvalidInput(f"经度超出范围 (lon out of range −180…180): {lon}", field="lon")
    if not -90 <= lat <= 90:
        raise InvalidInput(f"纬度超出范围 (lat out of range −90…90): {lat}", field="lat")
    try:
        x, y = crs_mod.to_wgs84(lon, lat, crs)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from exc
    return float(x), float(y)


def locate(bind: Session | Connection, *, lon: float, lat: float, crs: str = "wgs84") -> Location:
    """Locate one point.

    Raises
    ------
    InvalidInput
        Bad numbers or crs.
    Unprocessable
        The point is outside the district (the message says if lat/lon look swapped).

    Examples
    --------
    >>> locate(session, lon=102.4004, lat=36.4802).grid_code  # doctest: +SKIP
    '630202001001004'
    """
    if (
        isinstance(lat, int | float)
        and 90 < abs(lat) <= 180
        and -90 <= lon <= 90
        and _inside(bind, lat, lon)
    ):
        raise outside_error(bind, lon, lat)
    x, y = to_storage_crs(lon, lat, crs)
    row = bind.execute(LOCATE_SQL, {"lon": x, "lat": y}).mappings().first()
    if row is None:
        raise outside_error(bind, x, y)
    return Location(lon=x, lat=y, **row)


def _inside(bind: Session | Connection, lon: float, lat: float) -> bool:
    return bool(bind.execute(INSIDE_SQL, {"lon": lon, "lat": lat}).scalar())


def outside_error(bind: Session | Connection, lon: float, lat: float) -> Unprocessable:
    """The error for a point outside the district, noticing swapped coordinates."""
    swapped = -90 <= lon <= 90 and bool(bind.execute(INSIDE_SQL, {"lon": lat, "lat": lon}).scalar())
    return _outside(lon, lat, swapped)


def _outside(lon: float, lat: float, swapped: bool) -> Unprocessable:
    if swapped:
        return Unprocessable(
            f"坐标似乎颠倒了 (lon/lat look swapped): ({lon}, {lat}) is outside 乐都区 but "
            f"({lat}, {lon}) is inside — send lon first, then lat",
            field="lon",
            swapped=True,
        )
    return Unprocessable(
        f"该点不在乐都区范围内 (the point ({lon}, {lat}) is outside the district 630202)",
        field="lon",
        swapped=False,
    )


def locate_many(
    bind: Session | Connection, *, points: Sequence[Sequence[float]], crs: str = "wgs84"
) -> list[Location | Unprocessable]:
    """Locate up to :data:`MAX_BATCH` points in one database round trip.

    Parameters
    ----------
    points
        ``(lon, lat)`` pairs in ``crs``.
    crs
        As for :func:`locate`.

    Returns
    -------
    list
        One entry per point, in order: a :class:`Location`, or the :class:`Unprocessable`
        error for a point outside the district (``detail["swapped"]`` tells swapped ones).

    Raises
    ------
    InvalidInput
        A malformed point (the field names its index, e.g. ``points[3].lat``) or crs.
    TooLarge
        More than :data:`MAX_BATCH` points.
    """
    n = len(points)
    if n == 0:
        raise InvalidInput("没有坐标点 (no points given)", field="points")
    if n > MAX_BATCH:
        raise TooLarge(
            f"一次最多 {MAX_BATCH} 个点 (at most {MAX_BATCH} points per request), got {n}",
            field="points",
        )
    xy = np.full((n, 2), np.nan)
    for i, p in enumerate(points):
        if len(p) != 2:
            raise InvalidInput(
                f"第 {i} 个点应为 [lon, lat] (point {i} must be [lon, lat])", field=f"points[{i}]"
            )
        xy[i] = p
    bad = ~np.isfinite(xy)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        name = ("lon", "lat")[j]
        raise InvalidInput(
            f"坐标 {name} 不是有效数字 (not a finite number): point {i}",
            field=f"points[{i}].{name}",
        )
    x, y = xy[:, 0], xy[:, 1]
    swapped_guess = (np.abs(y) > 90) & (np.abs(y) <= 180) & (np.abs(x) <= 90)
    if swapped_guess.any():
        idx = np.flatnonzero(swapped_guess)
        inside = _inside_many(bind, y[idx], x[idx])
        for k, i in enumerate(idx.tolist()):
            if not inside[k]:
                raise InvalidInput(
                    f"纬度超出范围 (lat out of range −90…90): point {i}", field=f"points[{i}].lat"
                )
    for j, name, lim in ((0, "lon", 180), (1, "lat", 90)):
        out = (np.abs(xy[:, j]) > lim) & ~swapped_guess
        if out.any():
            i = int(np.flatnonzero(out)[0])
            raise InvalidInput(
                f"{name} 超出范围 (out of range ±{lim}): point {i}", field=f"points[{i}].{name}"
            )
    ok = ~swapped_guess
    try:
        wx, wy = crs_mod.to_wgs84(x, y, crs)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from exc
    wx = np.where(ok, wx, x)
    wy = np.where(ok, wy, y)
    rows = bind.execute(BATCH_SQL, {"xs": wx.tolist(), "ys": wy.tolist()}).all()
    found: dict[int, Location] = {}
    for r in rows:
        if r[1] is not None and ok[r[0] - 1]:
            i = r[0] - 1
            found[i] = Location(float(wx[i]), float(wy[i]), *r[1:])
    missed = [i for i in range(n) if i not in found]
    swapped: set[int] = set()
    if missed:
        m = np.asarray(missed)
        inside = _inside_many(bind, wy[m], wx[m])
        swapped = {int(i) for i, v in zip(m, inside, strict=True) if v}
    result: list[Location | Unprocessable] = []
    for i in range(n):
        if i in found:
            result.append(found[i])
        else:
            result.append(_outside(float(wx[i]), float(wy[i]), i in swapped))
    return result


def _inside_many(bind: Session | Connection, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Which of the points fall inside the district (vectorised over one query)."""
    rows = bind.execute(BATCH_INSIDE_SQL, {"xs": list(map(float, xs)), "ys": list(map(float, ys))})
    hit = np.zeros(len(xs), dtype=bool)
    for (i,) in rows:
        hit[i - 1] = True
    return hit
