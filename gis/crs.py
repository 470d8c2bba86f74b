"""Chinese coordinate systems: WGS84 / CGCS2000, GCJ-02 (高德/腾讯) and BD-09 (百度).

GCJ-02 is the obfuscated datum that Chinese web maps must use; BD-09 is Baidu's further
offset of it. Both are implemented from the widely published formulas (Krasovsky
ellipsoid, a = 6378245.0, e² = 0.00669342162296594323). Outside a rough China bounding
box there is no offset. CGCS2000 (EPSG:4490) is treated as WGS84: the two agree to well
under a metre, far below the precision of field GPS. Any other EPSG code goes through
pyproj.

All functions accept scalars or array-likes (broadcast together) and are vectorised with
numpy; scalar input gives ``float`` output, array input gives ``numpy.ndarray`` output.

Examples
--------
>>> lon, lat = gcj02_to_wgs84(102.402431, 36.480291)  # Ledu district seat
>>> round(lon, 5), round(lat, 5)
(102.40041, 36.48023)
>>> round(to_wgs84(535_885.0, 4_038_000.0, "epsg:4543")[0], 3)
102.4
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, overload

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ACCEPTED_CRS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatPair = tuple[float, float]
ArrayPair = tuple[NDArray[np.float64], NDArray[np.float64]]
#: ``FloatPair`` for scalar input, ``ArrayPair`` for array input.
Pair = tuple[Any, Any]

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_TOL_DEG = 1e-10  # ~0.01 mm; iteration stop for the inverses
_MAX_ITER = 30

_WGS84_ALIASES = frozenset({"wgs84", "wgs-84", "epsg:4326", "cgcs2000", "epsg:4490"})
_GCJ02_ALIASES = frozenset({"gcj02", "gcj-02"})
_BD09_ALIASES = frozenset({"bd09", "bd-09"})
#: Values accepted for ``crs`` (case-insensitive), besides any ``epsg:NNNN`` known to PROJ.
ACCEPTED_CRS = ("wgs84", "epsg:4326", "cgcs2000", "epsg:4490", "gcj02", "bd09", "epsg:4543")


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y


def _out(scalar: bool, x: NDArray[np.float64], y: NDArray[np.float64]) -> Pair:
    if scalar:
        return float(x), float(y)
    return x, y


def _is_scalar(lon: ArrayLike, lat: ArrayLike) -> bool:
    return bool(np.ndim(lon) == 0 and np.ndim(lat) == 0)


def _same(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """The coordinates unchanged: floats for a pair of numbers, fresh arrays otherwise."""
    if type(lon) is float and type(lat) is float:  # one report's point: no arrays
        return lon, lat
    xs, ys = _arrays(lon, lat)
    return _out(_is_scalar(lon, lat), xs.copy(), ys.copy())


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> Any:
    """Whether points lie outside the rough China box where GCJ-02 applies.

    Returns
    -------
    bool or ndarray of bool
    """
    x, y = _arrays(lon, lat)
    res = (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)
    return bool(res) if _is_scalar(lon, lat) else res


def _delta(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """GCJ-02 offset (degrees) at WGS84 points; zero outside China."""
    dx, dy = x - 105.0, y - 35.0
    common = (20.0 * np.sin(6.0 * dx * np.pi) + 20.0 * np.sin(2.0 * dx * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy
    dlat += 0.2 * np.sqrt(np.abs(dx)) + common
    dlat += (20.0 * np.sin(dy * np.pi) + 40.0 * np.sin(dy / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(dy / 12.0 * np.pi) + 320.0 * np.sin(dy * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy
    dlon += 0.1 * np.sqrt(np.abs(dx)) + common
    dlon += (20.0 * np.sin(dx * np.pi) + 40.0 * np.sin(dx / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(dx / 12.0 * np.pi) + 300.0 * np.sin(dx / 30.0 * np.pi)) * 2.0 / 3.0
    rad = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _invert(
    forward: Callable[[NDArray, NDArray], tuple[NDArray, NDArray]],
    tx: NDArray[np.float64],
    ty: NDArray[np.float64],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve ``forward(x, y) == (tx, ty)`` by fixed-point iteration from ``(x, y)``.

    The offsets vary slowly (their derivative is ~1e-5), so each step gains about five
    digits; two or three steps reach the ``_TOL_DEG`` tolerance.
    """
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = fx - tx, fy - ty
        x, y = x - ex, y - ey
        err = np.fmax(np.abs(ex), np.abs(ey))
        if not np.any(err > _TOL_DEG):  # NaN compares False: NaN input stays NaN
            break
    return x, y


def _wgs_to_gcj(x: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    dlon, dlat = _delta(x, y)
    return x + dlon, y + dlat


def _gcj_to_bd(x: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> FloatPair: ...
@overload
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> ArrayPair: ...
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert WGS84 longitude/latitude (degrees) to GCJ-02.

    Examples
    --------
    >>> [round(v, 6) for v in wgs84_to_gcj02(102.40041, 36.48023)]
    [102.402431, 36.480291]
    """
    x, y = _arrays(lon, lat)
    return _out(_is_scalar(lon, lat), *_wgs_to_gcj(x, y))


@overload
def gcj02_to_wgs84(lon: float, lat: float) -> FloatPair: ...
@overload
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> ArrayPair: ...
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert GCJ-02 to WGS84 by iterating the forward formula (error < 1 mm).

    This is the exact inverse, not the one-step approximation (which is off by up to a
    few metres).
    """
    x, y = _arrays(lon, lat)
    dlon, dlat = _delta(x, y)
    return _out(_is_scalar(lon, lat), *_invert(_wgs_to_gcj, x, y, x - dlon, y - dlat))


@overload
def gcj02_to_bd09(lon: float, lat: float) -> FloatPair: ...
@overload
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> ArrayPair: ...
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert GCJ-02 to Baidu BD-09."""
    x, y = _arrays(lon, lat)
    return _out(_is_scalar(lon, lat), *_gcj_to_bd(x, y))


@overload
def bd09_to_gcj02(lon: float, lat: float) -> FloatPair: ...
@overload
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> ArrayPair: ...
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert Baidu BD-09 to GCJ-02.

    Starts from the published closed-form inverse and refines it against
    :func:`gcj02_to_bd09`, so that round trips agree to well under a millimetre.
    """
    x, y = _arrays(lon, lat)
    bx, by = x - 0.0065, y - 0.006
    z = np.hypot(bx, by) - 0.00002 * np.sin(by * _X_PI)
    theta = np.arctan2(by, bx) - 0.000003 * np.cos(bx * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    return _out(_is_scalar(lon, lat), *_invert(_gcj_to_bd, x, y, gx, gy))


@overload
def wgs84_to_bd09(lon: float, lat: float) -> FloatPair: ...
@overload
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> ArrayPair: ...
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert WGS84 to Baidu BD-09 (through GCJ-02)."""
    x, y = _arrays(lon, lat)
    return _out(_is_scalar(lon, lat), *_gcj_to_bd(*_wgs_to_gcj(x, y)))


@overload
def bd09_to_wgs84(lon: float, lat: float) -> FloatPair: ...
@overload
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> ArrayPair: ...
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert Baidu BD-09 to WGS84 (through GCJ-02)."""
    gx, gy = bd09_to_gcj02(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    x, y = gcj02_to_wgs84(gx, gy)
    return _out(_is_scalar(lon, lat), np.asarray(x), np.asarray(y))


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def _normalise(crs: str) -> str:
    if not isinstance(crs, str):
        raise ValueError(f"crs must be a string, got {crs!r}; accepted: {_accepted()}")
    key = crs.strip().lower()
    if key in _WGS84_ALIASES:
        return "wgs84"
    if key in _GCJ02_ALIASES:
        return "gcj02"
    if key in _BD09_ALIASES:
        return "bd09"
    code = key.removeprefix("epsg:")
    if key.startswith("epsg:") and code.isdigit():
        try:
            pyproj.CRS.from_epsg(int(code))
        except pyproj.exceptions.CRSError:
            raise ValueError(f"unknown crs {crs!r}; accepted: {_accepted()}") from None
        return f"EPSG:{int(code)}"
    raise ValueError(f"unknown crs {crs!r}; accepted: {_accepted()}")


def _accepted() -> str:
    return ", ".join(ACCEPTED_CRS) + " or any epsg:NNNN known to PROJ"


def _via_pyproj(src: str, dst: str, lon: ArrayLike, lat: ArrayLike) -> Pair:
    x, y = _arrays(lon, lat)
    ox, oy = _transformer(src, dst).transform(x, y)
    return _out(_is_scalar(lon, lat), np.asarray(ox, dtype=np.float64), np.asarray(oy))


@overload
def to_wgs84(x: float, y: float, crs: str) -> FloatPair: ...
@overload
def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str) -> ArrayPair: ...
def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str) -> Pair:
    """Convert coordinates in ``crs`` to WGS84 longitude/latitude.

    Parameters
    ----------
    x, y : float or array-like
        Longitude/latitude in degrees, or easting/northing in metres for a projected
        EPSG code (always x first, whatever the CRS's official axis order).
    crs : str
        One of ``wgs84``, ``epsg:4326``, ``cgcs2000``, ``epsg:4490`` (no change),
        ``gcj02``, ``bd09``, ``epsg:4543`` (CGCS2000 / 3-degree Gauss-Kruger CM 102E) or
        any other ``epsg:NNNN``; case-insensitive.

    Raises
    ------
    ValueError
        For an unknown ``crs``; the message lists the accepted values.

    Examples
    --------
    >>> [round(v, 5) for v in to_wgs84(102.402431, 36.480291, "GCJ02")]
    [102.40041, 36.48023]
    """
    key = _normalise(crs)
    if key == "wgs84":
        return _same(x, y)
    if key == "gcj02":
        return gcj02_to_wgs84(x, y)
    if key == "bd09":
        return bd09_to_wgs84(x, y)
    return _via_pyproj(key, "EPSG:4326", x, y)


@overload
def from_wgs84(lon: float, lat: float, crs: str) -> FloatPair: ...
@overload
def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> ArrayPair: ...
def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> Pair:
    """Convert WGS84 longitude/latitude to ``crs`` (same values as :func:`to_wgs84`).

    Examples
    --------
    >>> e, n = from_wgs84(102.40041, 36.48023, "epsg:4543")
    >>> 535_000 < e < 537_000 and 4_037_000 < n < 4_039_000
    True
    """
    key = _normalise(crs)
    if key == "wgs84":
        return _same(lon, lat)
    if key == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if key == "bd09":
        return wgs84_to_bd09(lon, lat)
    return _via_pyproj("EPSG:4326", key, lon, lat)
