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
# Batch: the points travel as one WKB multipoint (no 10,000-element array literals for the
# planner to parse) and come back as two arrays — point number and grid id — so neither side
# builds 10,000 rows of names. A point on a shared edge goes to the lowest grid code, as in
# LOCATE_SQL.
BATCH_SQL = sa.text("""
    WITH p AS (SELECT d.path[1] AS i, d.geom AS g FROM ST_Dump(ST_GeomFromWKB(:wkb, 4326)) d),
    hit AS (
        SELECT DISTINCT ON (p.i) p.i, s.grid_id
        FROM p JOIN spatial_lookup s ON ST_Intersects(s.geom, p.g)
        ORDER BY p.i, s.grid_code
    )
    SELECT array_agg(i), array_agg(grid_id) FROM hit
""")
BATCH_GRIDS_SQL = sa.text("""
    SELECT DISTINCT ON (grid_id) grid_id, township_code, township_name, community_code,
           community_name, grid_code, grid_name
    FROM spatial_lookup WHERE grid_id = ANY (:ids)
""")
BATCH_INSIDE_SQL = sa.text("""
    SELECT array_agg(d.path[1]) FROM ST_Dump(ST_GeomFromWKB(:wkb, 4326)) d
    WHERE EXISTS (SELECT 1 FROM district_pieces p WHERE ST_Intersects(p.geom, d.geom))
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
    x, y = checked_point(bind, lon=lon, lat=lat, crs=crs)
    row = bind.execute(LOCATE_SQL, {"lon": x, "lat": y}).first()
    if row is None:
        raise outside_error(bind, x, y)
    return Location(x, y, *row)


def checked_point(
    bind: Session | Connection, *, lon: float, lat: float, crs: str
) -> tuple[float, float]:
    """The point in WGS84, after the checks of :func:`locate`.

    Raises
    ------
    InvalidInput
        Bad numbers or crs.
    Unprocessable
        A latitude beyond ±90 that is inside the district once lon/lat are swapped.
    """
    if swap_suspect(lon, lat) and _inside(bind, lat, lon):
        raise outside_error(bind, lon, lat)
    return to_storage_crs(lon, lat, crs)


def swap_suspect(lon: float, lat: float) -> bool:
    """A latitude beyond ±90 that would be a longitude, with a longitude that would be a
    latitude: the pair may be swapped (:func:`checked_point` asks the database)."""
    return (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and 90 < abs(lat) <= 180
        and -90 <= lon <= 90
    )


def _inside(bind: Session | Connection, lon: float, lat: float) -> bool:
    return bool(bind.execute(INSIDE_SQL, {"lon": lon, "lat": lat}).scalar())


def outside_error(bind: Session | Connection, lon: float, lat: float) -> Unprocessable:
    """The error for a point outside the district, noticing swapped coordinates."""
    swapped = -90 <= lon <= 90 and bool(bind.execute(INSIDE_SQL, {"lon": lat, "lat": lon}).scalar())
    return outside_message(lon, lat, swapped=swapped)


def outside_message(lon: float, lat: float, *, swapped: bool) -> Unprocessable:
    """The error for a point outside the district, once it is known whether swapping
    lon/lat would put it inside."""
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


@dataclass(frozen=True)
class BatchLocations:
    """Where many points fall, as arrays (one entry per point, in input order).

    ``grid[i]`` indexes ``grids`` (township code and name, community code and name, grid code
    and name), or is −1 for a point outside the district; ``swapped[i]`` tells an outside
    point whose lon/lat look swapped. ``lon``/``lat`` are the points in WGS84.
    """

    lon: np.ndarray
    lat: np.ndarray
    grid: np.ndarray
    grids: list[tuple[str, str, str, str, str, str]]
    swapped: np.ndarray

    def location(self, i: int) -> Location | Unprocessable:
        """Point ``i`` as :func:`locate` answers it (the error for an outside point)."""
        x, y = float(self.lon[i]), float(self.lat[i])
        g = int(self.grid[i])
        if g < 0:
            return outside_message(x, y, swapped=bool(self.swapped[i]))
        return Location(x, y, *self.grids[g])


def points_array(points: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """``(lon, lat)`` pairs as an ``(n, 2)`` float array, checked for size and shape.

    Raises
    ------
    InvalidInput
        No points, or a point that is not a pair of numbers (the field names its index,
        e.g. ``points[3]``).
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
    try:
        xy = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        xy = None
    if xy is not None and xy.shape == (n, 2):
        return xy
    for i, pt in enumerate(points):
        ok = isinstance(pt, Sequence | np.ndarray) and len(pt) == 2
        if ok:
            try:
                [float(v) for v in pt]
            except (TypeError, ValueError):
                ok = False
        if not ok:
            raise InvalidInput(
                f"第 {i} 个点应为 [lon, lat] (point {i} must be [lon, lat])", field=f"points[{i}]"
            )
    raise InvalidInput("坐标点格式错误 (points must be [lon, lat] pairs)", field="points")


def locate_array(
    *, bind: Session | Connection, points: Sequence[Sequence[float]] | np.ndarray, crs: str
) -> BatchLocations:
    """Locate up to :data:`MAX_BATCH` points with two or three set-based queries.

    Parameters
    ----------
    bind
        A session or connection.
    points
        ``(lon, lat)`` pairs in ``crs`` (a list of pairs or an ``(n, 2)`` array).
    crs
        As for :func:`locate`.

    Returns
    -------
    BatchLocations
        Arrays in input order; points outside the district have ``grid == -1``.

    Raises
    ------
    InvalidInput
        A malformed point (the field names its index, e.g. ``points[3].lat``) or crs.
    TooLarge
        More than :data:`MAX_BATCH` points.
    """
    xy = points_array(points)
    n = len(xy)
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
        if not inside.all():
            i = int(idx[np.flatnonzero(~inside)[0]])
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
    try:
        wx, wy = crs_mod.to_wgs84(x, y, crs)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from exc
    wx = np.where(swapped_guess, x, wx)
    wy = np.where(swapped_guess, y, wy)
    grid = np.full(n, -1, dtype=np.int64)
    grids: list[tuple[str, str, str, str, str, str]] = []
    ok = np.flatnonzero(~swapped_guess)
    if len(ok):
        wkb = multipoint_wkb(wx[ok], wy[ok])
        hit_i, hit_grid = bind.execute(BATCH_SQL, {"wkb": wkb}).one()
        if hit_i:
            ids = np.asarray(hit_grid, dtype=np.int64)
            uniq, inv = np.unique(ids, return_inverse=True)
            rows = {
                r[0]: tuple(r[1:]) for r in bind.execute(BATCH_GRIDS_SQL, {"ids": uniq.tolist()})
            }
            grids = [rows[int(g)] for g in uniq]
            grid[ok[np.asarray(hit_i, dtype=np.int64) - 1]] = inv
    swapped = np.zeros(n, dtype=bool)
    missed = np.flatnonzero(grid < 0)
    if len(missed):
        swapped[missed] = _inside_many(bind, wy[missed], wx[missed])
    return BatchLocations(wx, wy, grid, grids, swapped)


def locate_many(
    bind: Session | Connection, *, points: Sequence[Sequence[float]], crs: str = "wgs84"
) -> list[Location | Unprocessable]:
    """Locate up to :data:`MAX_BATCH` points (see :func:`locate_array`).

    Returns
    -------
    list
        One entry per point, in order: a :class:`Location`, or the :class:`Unprocessable`
        error for a point outside the district (``detail["swapped"]`` tells swapped ones).

    Raises
    ------
    InvalidInput, TooLarge
        As :func:`locate_array`.
    """
    found = locate_array(bind=bind, points=points, crs=crs)
    return [found.location(i) for i in range(len(found.grid))]


_WKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def multipoint_wkb(xs: np.ndarray, ys: np.ndarray) -> bytes:
    """A little-endian WKB MultiPoint of the coordinates, built without point objects."""
    pts = np.empty(len(xs), dtype=_WKB_POINT)
    pts["order"], pts["type"], pts["x"], pts["y"] = 1, 1, xs, ys
    return b"\x01" + np.array([4, len(xs)], dtype="<u4").tobytes() + pts.tobytes()


def _inside_many(bind: Session | Connection, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Which of the points fall inside the district (one query)."""
    hit = np.zeros(len(xs), dtype=bool)
    if not len(xs):
        return hit
    wkb = multipoint_wkb(xs, ys)
    inside = bind.execute(BATCH_INSIDE_SQL, {"wkb": wkb}).scalar()
    if inside:
        hit[np.asarray(inside, dtype=np.int64) - 1] = True
    return hit
