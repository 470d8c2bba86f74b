"""Duplicate suggestions and merging.

A report is probably a duplicate when an open case of the same 小类 lies within 50 m and
was reported in the last 7 days. The commander may merge a case into a survivor: the
merged case points to it, and both histories are kept.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.cases.settings import get_case_settings
from gis.cases.workflow import OPEN_STATES

#: Open states as a SQL list, in the order of the partial index ``cases_open_geom_idx``.
OPEN_SQL = "(" + ", ".join(f"'{s}'" for s in sorted(OPEN_STATES)) + ")"
_NEAR = sa.text(f"""
    SELECT c.case_no, c.state, c.reported_at,
           ST_Distance(c.geom::geography, p.pt::geography) AS distance_m
    FROM cases c, (SELECT ST_SetSRID(ST_Point(:lon, :lat), 4326) AS pt) p
    WHERE c.category_code = :category  -- cases_open_category_geom_idx: category and place
      AND c.state IN {OPEN_SQL}
      AND c.reported_at >= now() - make_interval(days => :days)
      AND c.id <> coalesce(:exclude, -1)
      AND ST_DWithin(c.geom, p.pt, :deg)
      AND ST_DWithin(c.geom::geography, p.pt::geography, :radius)
    ORDER BY distance_m, c.reported_at DESC
    LIMIT 10
""")


def suggest_duplicates(
    *,
    session: Session,
    category: str,
    lon: float,
    lat: float,
    exclude_case_id: int | None = None,
) -> list[dict[str, Any]]:
    """Open cases of ``category`` near the point reported recently, nearest first.

    Parameters
    ----------
    session : Session
    category : str
        The 小类 code.
    lon, lat : float
        The reported point, WGS84.
    exclude_case_id : int, optional
        The case itself when suggesting for a stored case.

    Returns
    -------
    list of dict
        ``case_no``, ``state``, ``reported_at`` and ``distance_m`` (geodesic).
    """
    s = get_case_settings()
    rows = session.execute(
        _NEAR,
        {
            "lon": lon,
            "lat": lat,
            "category": category,
            "days": s.duplicate_days,
            "exclude": exclude_case_id,
            # a cheap index prefilter in degrees, wide enough for 50 m at this latitude
            "deg": s.duplicate_radius_m / 111_000 * 1.6,
            "radius": s.duplicate_radius_m,
        },
    ).mappings()
    return [{**dict(r), "distance_m": round(float(r["distance_m"]), 1)} for r in rows]
