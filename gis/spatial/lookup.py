"""Point lookups as the API serves them: the location plus the grid's responsible staff.

Staff names and phones are personal information: with ``personal=False`` only the roles
are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import Unprocessable
from gis.spatial.locate import Location, locate, locate_many

STAFF_SQL = sa.text("""
    SELECT grid_code, role, person_name, phone FROM grid_staff
    WHERE grid_code = ANY (:codes) ORDER BY grid_code, role, id
""")
ROLE_NAMES = {"leader": "网格长", "worker": "网格员"}


def grid_staff(
    bind: Session | Connection, *, grid_codes: Iterable[str], personal: bool
) -> dict[str, list[dict[str, Any]]]:
    """The responsible staff of each grid (names and phones only when ``personal``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    codes = sorted(set(grid_codes))
    if not codes:
        return out
    for code, role, name, phone in bind.execute(STAFF_SQL, {"codes": codes}):
        item: dict[str, Any] = {"role": role, "role_name": ROLE_NAMES.get(role, role)}
        if personal:
            item |= {"name": name, "phone": phone}
        out.setdefault(code, []).append(item)
    return out


def locate_point(
    bind: Session | Connection, *, lon: float, lat: float, crs: str, personal: bool
) -> dict[str, Any]:
    """:func:`gis.spatial.locate.locate` plus the grid's ``staff``."""
    loc = locate(bind, lon=lon, lat=lat, crs=crs)
    staff = grid_staff(bind, grid_codes=[loc.grid_code], personal=personal)
    return {**asdict(loc), "staff": staff.get(loc.grid_code, [])}


def locate_points(
    bind: Session | Connection,
    *,
    points: Sequence[Sequence[float]],
    crs: str,
    personal: bool,
    with_staff: bool = True,
) -> dict[str, Any]:
    """:func:`gis.spatial.locate.locate_many` shaped for the API.

    Returns
    -------
    dict
        ``results`` (one per point, in order: the location, or ``error``, ``message`` and
        ``swapped`` for a point outside the district), ``found``/``outside`` counts and
        ``staff`` keyed by grid code (once per grid, not per point).
    """
    found = locate_many(bind, points=points, crs=crs)
    results: list[dict[str, Any]] = []
    codes = set()
    for i, r in enumerate(found):
        if isinstance(r, Location):
            codes.add(r.grid_code)
            results.append({"i": i, **asdict(r)})
        else:
            assert isinstance(r, Unprocessable)
            results.append(
                {
                    "i": i,
                    "error": "outside",
                    "message": r.message,
                    "swapped": bool(r.detail.get("swapped")),
                }
            )
    staff = grid_staff(bind, grid_codes=codes, personal=personal) if with_staff else {}
    return {
        "crs": crs,
        "count": len(results),
        "found": len(results) - sum(1 for r in results if "error" in r),
        "outside": sum(1 for r in results if "error" in r),
        "results": results,
        "staff": staff,
    }
