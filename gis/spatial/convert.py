"""Coordinate conversion between WGS84/CGCS2000, GCJ-02, BD-09 and EPSG systems."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyproj

from gis import crs as crs_mod
from gis.errors import InvalidInput, TooLarge

MAX_POINTS = 10_000


def _check_crs(name: str, field: str) -> bool:
    """Validate a crs name; True when it is geographic (degrees)."""
    try:
        crs_mod.to_wgs84(0.0, 0.0, name)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc
    key = name.strip().lower()
    if key in ("wgs84", "wgs-84", "cgcs2000", "gcj02", "gcj-02", "bd09", "bd-09"):
        return True
    return bool(pyproj.CRS.from_user_input(key.upper()).is_geographic)


def convert(*, points: Sequence[Sequence[float]], src: str, dst: str) -> dict[str, Any]:
    """Convert points from ``src`` to ``dst``.

    Parameters
    ----------
    points
        ``(x, y)`` pairs: lon/lat in degrees for geographic systems, easting/northing in
        metres for projected ones (e.g. ``epsg:4543``, CGCS2000 3° Gauss-Kruger CM 102E).
    src, dst
        ``wgs84`` (= ``epsg:4326``), ``cgcs2000`` (= ``epsg:4490``), ``gcj02``, ``bd09`` or
        any ``epsg:NNNN``.

    Returns
    -------
    dict
        ``from``, ``to`` and ``points`` (converted pairs; metres rounded to mm, degrees to
        1e-8).

    Raises
    ------
    InvalidInput
        Unknown ``from``/``to``; non-finite or out-of-range numbers (``points[i]``).

    Examples
    --------
    >>> convert(points=[(102.40041, 36.48023)], src="wgs84", dst="gcj02")["points"]
    [[102.40243077, 36.48029072]]
    """
    geo_src = _check_crs(src, "from")
    geo_dst = _check_crs(dst, "to")
    if not points:
        raise InvalidInput("没有坐标点 (no points given)", field="points")
    if len(points) > MAX_POINTS:
        raise TooLarge(f"一次最多 {MAX_POINTS} 个点 (at most {MAX_POINTS} points)", field="points")
    for i, p in enumerate(points):
        if len(p) != 2 or not all(isinstance(v, int | float) and math.isfinite(v) for v in p):
            raise InvalidInput(
                f"第 {i} 个点无效 (point {i} must be two finite numbers)", field=f"points[{i}]"
            )
        if geo_src and not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            raise InvalidInput(
                f"第 {i} 个点超出经纬度范围 (point {i} out of lon/lat range)", field=f"points[{i}]"
            )
    xy = np.asarray(points, dtype=np.float64)
    lon, lat = crs_mod.to_wgs84(xy[:, 0], xy[:, 1], src)
    x, y = crs_mod.from_wgs84(lon, lat, dst)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InvalidInput(
            "坐标超出目标坐标系范围 (outside the target system's area)", field="points"
        )
    nd = 8 if geo_dst else 3
    out = [[round(float(a), nd), round(float(b), nd)] for a, b in zip(x, y, strict=True)]
    return {"from": src, "to": dst, "points": out}
