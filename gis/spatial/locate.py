"""Point → district, township, community and grid.

Input coordinates may be WGS84/CGCS2000 (default), GCJ-02 or BD-09 (converted on the way in
with ``gis.crs``). A point outside the district is refused with a message that says when
the coordinates look swapped (lat given as lon).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis import crs as crs_mod
from gis.errors import InvalidInput, Unprocessable

LOCATE_SQL = sa.text("""
    SELECT t.code AS township_code, t.name AS township_name,
           c.code AS community_code, c.name AS community_name,
           g.code AS grid_code, g.name AS grid_name
    FROM grids g
    JOIN admin_units c ON c.code = g.community_code AND c.valid_to IS NULL
    JOIN admin_units t ON t.code = c.parent_code AND t.valid_to IS NULL
    WHERE g.valid_to IS NULL
      AND ST_Intersects(g.geom, ST_SetSRID(ST_Point(:lon, :lat), 4326))
    ORDER BY g.code
    LIMIT 1
""")
INSIDE_SQL = sa.text("""
    SELECT ST_Intersects(geom, ST_SetSRID(ST_Point(:lon, :lat), 4326)) FROM admin_units
    WHERE level = 3 AND valid_to IS NULL
""")


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
    if (isinstance(lat, int | float) and 90 < abs(lat) <= 180 and -90 <= lon <= 90
            and _inside(bind, lat, lon)):
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
