"""Which CRS a file is in, whether its coordinates agree, and reprojection to EPSG:4326.

The source CRS is the one given explicitly (``--crs``: ``wgs84``, ``cgcs2000``/``epsg:4490``,
``gcj02``, ``bd09``, ``epsg:4543`` or any ``epsg:NNNN``), else the one the file declares.
Coordinates that plainly do not fit the CRS (metres labelled as degrees, degrees labelled as
metres, lon/lat swapped, somewhere far from 乐都区) are refused with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from gis import crs as crs_mod
from gis.errors import InvalidInput, Unprocessable

# 乐都区 outline bounds (EPSG:4326) widened by about 50 km: data must fall in here.
DISTRICT_BOUNDS = (102.099, 36.205, 102.794, 36.853)
NEAR_DEG = 0.5
_GEOGRAPHIC = frozenset({"wgs84", "gcj02", "bd09"})
_LABEL = {"wgs84": "WGS84/CGCS2000", "gcj02": "GCJ-02", "bd09": "BD-09"}


@dataclass(frozen=True)
class SourceCrs:
    """The CRS the coordinates are read in."""

    key: str  # wgs84 | gcj02 | bd09 | EPSG:NNNN | a WKT string
    label: str
    how: str  # "given", "declared" or "assumed"

    @property
    def geographic(self) -> bool:
        if self.key in _GEOGRAPHIC:
            return True
        return bool(pyproj.CRS.from_user_input(self.key).is_geographic)


def _key(value: str, field: str) -> str:
    """``wgs84``, ``gcj02``, ``bd09`` or ``EPSG:NNNN`` for an accepted CRS name."""
    try:
        return crs_mod._normalise(value)
    except ValueError as exc:
        raise InvalidInput(f"坐标系无效 (invalid crs): {exc}", field=field) from None


def resolve_crs(*, declared: str | None, given: str | None, fmt: str) -> SourceCrs:
    """Choose the source CRS: the one given, else the declared one, else WGS84 for tables.

    Raises
    ------
    InvalidInput
        ``given`` is not a CRS this platform knows.
    Unprocessable
        A Shapefile without ``.prj`` and no CRS given.
    """
    if given:
        key = _key(given, "crs")
        return SourceCrs(key, _LABEL.get(key, key), "given")
    if declared:
        try:
            key = _key(declared, "crs") if declared.upper().startswith("EPSG:") else declared
            if key not in _GEOGRAPHIC:
                pyproj.CRS.from_user_input(key)
        except (InvalidInput, pyproj.exceptions.CRSError) as exc:
            raise Unprocessable(
                f"文件声明的坐标系无法识别 (the declared CRS is not understood): {exc}",
                field="crs",
            ) from None
        label = _LABEL.get(key) or (key if len(key) < 40 else "WKT")
        return SourceCrs(key, label, "declared")
    if fmt in ("csv", "xlsx"):
        return SourceCrs("wgs84", _LABEL["wgs84"], "assumed")
    raise Unprocessable(
        "文件没有声明坐标系 (the file declares no CRS, e.g. a Shapefile without .prj): "
        "give it with --crs (wgs84, cgcs2000, gcj02, epsg:4543 …)",
        field="crs",
        reason="no_crs",
    )


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float] | None:
    live = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)] if len(geoms) else geoms
    if len(live) == 0:
        return None
    b = shapely.bounds(live)
    return (
        float(np.nanmin(b[:, 0])),
        float(np.nanmin(b[:, 1])),
        float(np.nanmax(b[:, 2])),
        float(np.nanmax(b[:, 3])),
    )


def _near(b: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = DISTRICT_BOUNDS
    return not (
        b[2] < x0 - NEAR_DEG or b[0] > x1 + NEAR_DEG or b[3] < y0 - NEAR_DEG or b[1] > y1 + NEAR_DEG
    )


def _fmt(b: tuple[float, float, float, float]) -> str:
    return f"({b[0]:.4g}, {b[1]:.4g}) – ({b[2]:.4g}, {b[3]:.4g})"


def _transform(geoms: np.ndarray, src: SourceCrs) -> np.ndarray:
    if src.key == "wgs84":
        return geoms
    if src.key in _GEOGRAPHIC or src.key.startswith("EPSG:"):

        def fn(xy: np.ndarray) -> np.ndarray:
            x, y = crs_mod.to_wgs84(xy[:, 0], xy[:, 1], src.key)
            return np.column_stack([x, y])

    else:
        tr = pyproj.Transformer.from_crs(src.key, "EPSG:4326", always_xy=True)

        def fn(xy: np.ndarray) -> np.ndarray:
            x, y = tr.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def _swapped(b: tuple[float, float, float, float]) -> Unprocessable:
    return Unprocessable(
        f"经纬度似乎颠倒了 (lon/lat look swapped: bounds {_fmt(b)}); put longitude "
        "(≈102) in the x / 经度 column and latitude (≈36) in the y / 纬度 column",
        field="geometry",
        reason="swapped",
    )


def to_storage(geoms: np.ndarray, src: SourceCrs) -> np.ndarray:
    """Check the coordinates against ``src`` and reproject them to EPSG:4326.

    Parameters
    ----------
    geoms
        Shapely geometries (``None`` allowed) in the source CRS.
    src
        From :func:`resolve_crs`.

    Raises
    ------
    Unprocessable
        Metres labelled as degrees (or the reverse), swapped lon/lat, or data far from 乐都区;
        the message names the bounds and what to do.

    Examples
    --------
    >>> src = resolve_crs(declared=None, given="epsg:4543", fmt="csv")
    >>> out = to_storage(np.array([shapely.Point(535885, 4038000)]), src)
    >>> round(out[0].x, 2)
    102.4
    """
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    b = _bounds(geoms)
    if b is None:
        return geoms
    degrees_like = abs(b[0]) <= 180 and abs(b[2]) <= 180 and abs(b[1]) <= 90 and abs(b[3]) <= 90
    if src.geographic and not degrees_like and _near((b[1], b[0], b[3], b[2])):
        raise _swapped(b)
    if src.geographic and not degrees_like:
        raise Unprocessable(
            f"坐标像是米制投影坐标，但文件声明为经纬度 {src.label} (coordinates look like metres, "
            f"bounds {_fmt(b)}, but the CRS is in degrees): give the real CRS, e.g. --crs epsg:4543",
            field="crs",
            reason="crs_mismatch",
        )
    if not src.geographic and degrees_like:
        raise Unprocessable(
            f"坐标像是经纬度，但坐标系 {src.label} 以米为单位 (coordinates look like degrees, "
            f"bounds {_fmt(b)}, but the CRS is projected): use --crs wgs84 (or gcj02)",
            field="crs",
            reason="crs_mismatch",
        )
    out = _transform(geoms, src)
    ob = _bounds(out)
    if ob is not None and not _near(ob):
        swapped = (ob[1], ob[0], ob[3], ob[2])
        if src.geographic and _near(swapped):
            raise _swapped(ob)
        raise Unprocessable(
            f"数据不在乐都区附近 (the data is nowhere near 乐都区: bounds {_fmt(ob)} after reading "
            f"it as {src.label}); check the CRS (--crs)",
            field="crs",
            reason="far_away",
        )
    return out
