"""Point lookups as the API serves them: the location plus the grid's responsible staff.

Staff names and phones are personal information: with ``personal=False`` only the roles
are given. :func:`locate_point_async` answers exactly as :func:`locate_point`, with the same
statements run on the event loop (:mod:`gis.pg`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg2 as pg_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import Unprocessable
from gis.pg import AsyncPool, Prepared
from gis.spatial.locate import (
    INSIDE_SQL,
    Location,
    checked_point,
    locate_array,
    outside_error,
    outside_message,
    swap_suspect,
    to_storage_crs,
)

#: The location and the grid's staff in one round trip (the single-point API answer).
LOCATE_STAFF_SQL = sa.text("""
    SELECT l.township_code, l.township_name, l.community_code, l.community_name,
           l.grid_code, l.grid_name,
           (SELECT array_agg(ARRAY[g.role, g.person_name, g.phone] ORDER BY g.role, g.id)
            FROM grid_staff g WHERE g.grid_code = l.grid_code) AS staff
    FROM spatial_lookup l
    WHERE ST_Intersects(l.geom, ST_SetSRID(ST_Point(:lon, :lat), 4326))
    ORDER BY l.grid_code
    LIMIT 1
""")
STAFF_SQL = sa.text("""
    SELECT grid_code, role, person_name, phone FROM grid_staff
    WHERE grid_code = ANY (:codes) ORDER BY grid_code, role, id
""")


def _driver_sql(stmt: sa.TextClause) -> str:
    """``stmt`` as psycopg2 takes it (``%(name)s`` parameters): one text for both paths."""
    return str(stmt.compile(dialect=pg_dialect.dialect()))


#: The single-point statement, parsed and planned once per asynchronous connection.
LOCATE_STAFF_PREPARED = Prepared(
    "gridmap_locate_staff",
    _driver_sql(LOCATE_STAFF_SQL),
    {"lon": "double precision", "lat": "double precision"},
)
INSIDE_PG = _driver_sql(INSIDE_SQL)
ROLE_NAMES = {"leader": "网格长", "worker": "网格员"}
GRID_KEYS = (
    "township_code",
    "township_name",
    "community_code",
    "community_name",
    "grid_code",
    "grid_name",
)
DISTRICT = {"district_code": Location.district_code, "district_name": Location.district_name}


def grid_staff(
    bind: Session | Connection, *, grid_codes: Iterable[str], personal: bool
) -> dict[str, list[dict[str, Any]]]:
    """The responsible staff of each grid (names and phones only when ``personal``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    codes = sorted(set(grid_codes))
    if not codes:
        return out
    for code, role, name, phone in bind.execute(STAFF_SQL, {"codes": codes}):
        out.setdefault(code, []).append(_staff_item(role, name, phone, personal=personal))
    return out


def locate_point(
    bind: Session | Connection, *, lon: float, lat: float, crs: str, personal: bool
) -> dict[str, Any]:
    """:func:`gis.spatial.locate.locate` plus the grid's ``staff``, in one query.

    Raises
    ------
    InvalidInput, Unprocessable
        As :func:`gis.spatial.locate.locate`.
    """
    x, y = checked_point(bind, lon=lon, lat=lat, crs=crs)
    row = bind.execute(LOCATE_STAFF_SQL, {"lon": x, "lat": y}).first()
    if row is None:
        raise outside_error(bind, x, y)
    return _located(x, y, tuple(row), personal=personal)


async def locate_point_async(
    *, pool: AsyncPool, lon: float, lat: float, crs: str, personal: bool
) -> dict[str, Any]:
    """:func:`locate_point` on the event loop: the same checks, statements and answer.

    Parameters
    ----------
    pool
        Asynchronous connections to the database (autocommit: one round trip per statement).
    lon, lat
        The point in ``crs``.
    crs
        ``wgs84`` (default), ``cgcs2000``, ``gcj02`` or ``bd09``.
    personal
        Whether staff names and phones are included.

    Returns
    -------
    dict
        The :class:`gis.spatial.locate.Location` fields and ``staff``.

    Raises
    ------
    InvalidInput, Unprocessable
        As :func:`gis.spatial.locate.locate`.
    Unavailable
        The database cannot be reached (a lost connection is replaced once first).
    """
    # The rare paths (a latitude beyond ±90, a point outside) ask district_pieces, as
    # checked_point and outside_error do.
    if swap_suspect(lon, lat) and await _inside(pool, lon=lat, lat=lon):
        raise outside_message(lon, lat, swapped=True)
    x, y = to_storage_crs(lon, lat, crs)
    row = await pool.fetchone(LOCATE_STAFF_PREPARED, {"lon": x, "lat": y})
    if not row:
        swapped = -90 <= x <= 90 and await _inside(pool, lon=y, lat=x)
        raise outside_message(x, y, swapped=swapped)
    return _located(x, y, row, personal=personal)


async def _inside(pool: AsyncPool, *, lon: float, lat: float) -> bool:
    row = await pool.fetchone(INSIDE_PG, {"lon": lon, "lat": lat})
    return bool(row and row[0])


def _located(x: float, y: float, row: tuple[Any, ...], *, personal: bool) -> dict[str, Any]:
    out = {**asdict(Location(x, y, *row[:6]))}
    out["staff"] = [_staff_item(*s, personal=personal) for s in row[6] or ()]
    return out


def _staff_item(role: str, name: str, phone: str | None, *, personal: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"role": role, "role_name": ROLE_NAMES.get(role, role)}
    if personal:
        item |= {"name": name, "phone": phone}
    return item


def locate_points(
    bind: Session | Connection,
    *,
    points: Sequence[Sequence[float]] | np.ndarray,
    crs: str,
    personal: bool,
    with_staff: bool = True,
) -> dict[str, Any]:
    """:func:`gis.spatial.locate.locate_array` shaped for the API.

    Returns
    -------
    dict
        ``results`` (one per point, in order: ``i``, ``lon``, ``lat`` and the codes and
        names down to the grid, or ``error``, ``message`` and ``swapped`` for a point outside
        the district), ``found``/``outside`` counts and ``staff`` keyed by grid code (once per
        grid, not per point).
    """
    found = locate_array(bind=bind, points=points, crs=crs)
    templates = [dict(zip(GRID_KEYS, g, strict=True)) | DISTRICT for g in found.grids]
    lons, lats, grid = found.lon.tolist(), found.lat.tolist(), found.grid.tolist()
    results: list[dict[str, Any]] = []
    outside = 0
    for i, g in enumerate(grid):
        if g >= 0:
            results.append({"i": i, "lon": lons[i], "lat": lats[i], **templates[g]})
        else:
            outside += 1
            err = found.location(i)
            assert isinstance(err, Unprocessable)
            results.append(
                {
                    "i": i,
                    "error": "outside",
                    "message": err.message,
                    "swapped": bool(found.swapped[i]),
                }
            )
    codes = [g[4] for g in found.grids]
    staff = grid_staff(bind, grid_codes=codes, personal=personal) if with_staff else {}
    return {
        "crs": crs,
        "count": len(results),
        "found": len(results) - outside,
        "outside": outside,
        "results": results,
        "staff": staff,
    }
