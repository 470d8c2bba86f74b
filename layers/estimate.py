"""How many incidents lie in a lon/lat box, bounded from both sides without touching ``cases``.

The trigger-kept aggregate ``layer_incident_cells`` holds exact counts per Web Mercator cell
and level. Summing the cells that lie wholly inside a box gives a lower bound on the points
in it; the cells that touch it give an upper bound. The feature pages use the bounds to
choose their plan (the planner misjudges busy boxes by a factor of 30 or more).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.engine import Connection

EARTH_RADIUS = 6378137.0
HALF = math.pi * EARTH_RADIUS  # half the Web Mercator world, in metres
MIN_LEVEL, MAX_LEVEL = 4, 19  # levels kept in layer_incident_cells
CELLS_ACROSS = 24  # aim for about this many cells across the box


@dataclass(frozen=True)
class Bounds:
    """``lower`` ≤ points in the box ≤ ``upper``; ``total`` points in the layer."""

    lower: int
    upper: int
    total: int


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:4326 → EPSG:3857 (latitudes clamped to the projection's range)."""
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = lon / 180.0 * HALF
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * EARTH_RADIUS
    return x, y


def _level(width: float) -> int:
    """The aggregate level whose cells are about ``width / CELLS_ACROSS`` wide."""
    if width <= 0:
        return MAX_LEVEL
    level = math.floor(math.log2(2 * HALF * CELLS_ACROSS / width))
    return max(MIN_LEVEL, min(MAX_LEVEL, level))


def cell_ranges(
    bbox: tuple[float, float, float, float],
) -> tuple[int, tuple[int, int, int, int], tuple[int, int, int, int]]:
    """The level, the cells touching the box and the cells wholly inside it.

    Ranges are ``(cx0, cx1, cy0, cy1)``, inclusive; the inner range may be empty
    (``cx0 > cx1``). Rows count from the north edge, as in the tile scheme.
    """
    x0, y0 = mercator(bbox[0], bbox[1])
    x1, y1 = mercator(bbox[2], bbox[3])
    level = _level(max(x1 - x0, y1 - y0))
    size = 2 * HALF / (1 << level)
    fx0, fx1 = (x0 + HALF) / size, (x1 + HALF) / size
    fy0, fy1 = (HALF - y1) / size, (HALF - y0) / size  # north edge first
    touching = (math.floor(fx0), math.floor(fx1), math.floor(fy0), math.floor(fy1))
    inside = (math.ceil(fx0), math.floor(fx1) - 1, math.ceil(fy0), math.floor(fy1) - 1)
    return level, touching, inside


def incident_bounds(
    *, conn: Connection, bbox: tuple[float, float, float, float], personal: bool
) -> Bounds:
    """Bounds on the incidents (as the incidents layer shows them to the caller) in ``bbox``.

    Parameters
    ----------
    conn
        An open connection to the PostGIS database.
    bbox
        ``(min lon, min lat, max lon, max lat)`` in CRS84.
    personal
        Whether the caller sees sensitive categories (they are not counted otherwise).

    Returns
    -------
    Bounds
        Lower and upper bounds on the points in the box, and the points in the layer.

    Examples
    --------
    >>> b = incident_bounds(conn=conn, bbox=(102.40, 36.46, 102.42, 36.48), personal=True)
    >>> b.lower <= b.upper <= b.total
    True
    """
    level, (tx0, tx1, ty0, ty1), (ix0, ix1, iy0, iy1) = cell_ranges(bbox)
    n = "n" if personal else "(n - n_sens)"
    row = conn.exec_driver_sql(
        f"SELECT coalesce(sum({n}) FILTER (WHERE cx BETWEEN %(ix0)s AND %(ix1)s "
        f"AND cy BETWEEN %(iy0)s AND %(iy1)s), 0), coalesce(sum({n}), 0), "
        f"(SELECT coalesce(sum({n}), 0) FROM layer_incident_cells WHERE level = {MIN_LEVEL}) "
        "FROM layer_incident_cells WHERE level = %(level)s "
        "AND cx BETWEEN %(tx0)s AND %(tx1)s AND cy BETWEEN %(ty0)s AND %(ty1)s",
        {
            "level": level,
            "tx0": tx0,
            "tx1": tx1,
            "ty0": ty0,
            "ty1": ty1,
            "ix0": ix0,
            "ix1": ix1,
            "iy0": iy0,
            "iy1": iy1,
        },
    ).one()
    return Bounds(int(row[0]), int(row[1]), int(row[2]))
