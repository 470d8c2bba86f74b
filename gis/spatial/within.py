"""What lies inside a shape drawn on the map: cases, facilities and grids, counted and listed.

Personal fields of cases (reporter, phone) are never returned here; a case is listed by its
number, category, state, time and position.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.models.facilities import FACILITY_KINDS
from gis.spatial import params, shapes

MAX_LIST = 1000

_SHAPE = "WITH s AS (SELECT ST_SetSRID(ST_GeomFromText(:wkt), 4326) AS geom)"
AREA_SQL = sa.text(f"""{_SHAPE}
    SELECT ST_Area(s.geom::geography),
           (SELECT ST_Area(geom::geography) FROM admin_units WHERE level = 3 AND valid_to IS NULL)
    FROM s
""")
CASE_COUNTS_SQL = sa.text(f"""{_SHAPE}
    SELECT c.state, left(c.category_code, 2) AS class, count(*) AS n
    FROM cases c, s
    WHERE ST_Intersects(s.geom, c.geom) AND c.reported_at >= :start AND c.reported_at < :end
    GROUP BY 1, 2
""")
CASE_LIST_SQL = sa.text(f"""{_SHAPE}
    SELECT c.id, c.case_no, c.category_code, c.state, c.grid_code, c.reported_at,
           c.deadline_at, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat
    FROM cases c, s
    WHERE ST_Intersects(s.geom, c.geom) AND c.reported_at >= :start AND c.reported_at < :end
    ORDER BY c.reported_at DESC, c.id DESC LIMIT :limit
""")
FACILITY_SQL = sa.text(f"""{_SHAPE}
    SELECT f.id, f.kind, f.name, f.status, f.community_code,
           ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat
    FROM facilities f, s WHERE ST_Intersects(s.geom, f.geom)
    ORDER BY f.kind, f.id
""")
GRID_SQL = sa.text(f"""{_SHAPE}
    SELECT g.code, g.name, g.community_code, g.households,
           round((ST_Area(ST_Intersection(g.geom, s.geom)) / ST_Area(g.geom))::numeric, 4)
               AS share_inside
    FROM grids g, s
    WHERE g.valid_to IS NULL AND ST_Intersects(s.geom, g.geom)
      AND NOT ST_Touches(s.geom, g.geom)
    ORDER BY g.code
""")


def inside_shape(
    bind: Session | Connection,
    *,
    geometry: dict[str, Any],
    window: params.Window,
    limit: int = 200,
) -> dict[str, Any]:
    """Count and list the cases, facilities and grids inside a drawn polygon.

    Parameters
    ----------
    geometry
        A GeoJSON Polygon or MultiPolygon in WGS84 (checked by
        :func:`gis.spatial.shapes.polygon_from_geojson`).
    window
        Cases reported in this window are counted.
    limit
        Most cases and facilities listed (1…1000); counts are always complete.

    Returns
    -------
    dict
        ``area_m2``, ``cases`` (``total``, ``by_state``, ``by_class``, ``items``,
        ``truncated``), ``facilities`` (``total``, ``by_kind``, ``items``, ``truncated``),
        ``grids`` (``total``, ``items`` with the share of each grid's area inside).

    Raises
    ------
    InvalidInput
        A malformed, open, self-intersecting or empty polygon, or too many vertices
        (``geometry``); a bad ``limit``.
    Unprocessable
        A polygon larger than the district.
    """
    params.int_in(limit, field="limit", lo=1, hi=MAX_LIST)
    geom = shapes.polygon_from_geojson(geometry)
    q = {"wkt": geom.wkt}
    area, district = bind.execute(AREA_SQL, q).one()
    shapes.not_larger_than(float(area), float(district or 0), field="geometry")
    w = {**q, "start": window.start, "end": window.end}

    by_state: dict[str, int] = {}
    by_class: dict[str, int] = {}
    for state, cls, n in bind.execute(CASE_COUNTS_SQL, w):
        by_state[state] = by_state.get(state, 0) + n
        by_class[cls] = by_class.get(cls, 0) + n
    total_cases = sum(by_state.values())
    cases = [
        {
            **r._mapping,
            "reported_at": r.reported_at.isoformat(),
            "deadline_at": r.deadline_at.isoformat() if r.deadline_at else None,
        }
        for r in bind.execute(CASE_LIST_SQL, {**w, "limit": limit})
    ]
    facilities = [dict(r._mapping) for r in bind.execute(FACILITY_SQL, q)]
    by_kind: dict[str, int] = {}
    for f in facilities:
        f["kind_name"] = FACILITY_KINDS.get(f["kind"], f["kind"])
        by_kind[f["kind"]] = by_kind.get(f["kind"], 0) + 1
    grids = [
        {**r._mapping, "share_inside": float(r.share_inside)} for r in bind.execute(GRID_SQL, q)
    ]
    return {
        "area_m2": round(float(area), 1),
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "cases": {
            "total": total_cases,
            "by_state": by_state,
            "by_class": by_class,
            "items": cases,
            "truncated": total_cases > len(cases),
        },
        "facilities": {
            "total": len(facilities),
            "by_kind": by_kind,
            "items": facilities[:limit],
            "truncated": len(facilities) > limit,
        },
        "grids": {"total": len(grids), "items": grids},
    }
