"""Raw indicator values per community, each computed in PostGIS from the registers.

Every query returns ``(community_code, value, n)`` where ``n`` is the sample behind the value
(grids, households, cases …); ``value`` may be NULL when there is nothing to measure.
"""

from __future__ import annotations

import csv
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.scorecard.config import DATA_DIR

CURRENT = "c.level = 5 AND c.valid_to IS NULL"
# Metres → degrees for the index pre-filter (ST_Expand before the exact geography distance):
# one degree of longitude is at least 85 km up to 40°N, so reach / 85 km covers the reach
# with no miss. A box as tight as the reach keeps the geography distance to a few candidates
# (station_reach: 0.37 s → 0.21 s on the demo data).
METRES_PER_DEGREE_MIN = 85_000.0

SQL: dict[str, str] = {
    "party_posts": f"""
        SELECT c.code, avg((EXISTS (SELECT 1 FROM grid_roster r WHERE r.grid_code = g.code
                                     AND r.post = 'party_post'))::int)::float, count(g.code)
        FROM admin_units c JOIN grids g ON g.community_code = c.code AND g.valid_to IS NULL
        WHERE {CURRENT} GROUP BY c.code""",
    "volunteer_teams": f"""
        SELECT c.code, avg((EXISTS (SELECT 1 FROM grid_roster r WHERE r.grid_code = g.code
                                     AND r.post = 'volunteer_team'))::int)::float, count(g.code)
        FROM admin_units c JOIN grids g ON g.community_code = c.code AND g.valid_to IS NULL
        WHERE {CURRENT} GROUP BY c.code""",
    "office_area": f"""
        SELECT c.code,
               coalesce((SELECT sum(f.floor_area_m2) FROM facilities f
                         WHERE f.community_code = c.code AND f.kind = 'office_service_site'
                           AND f.status = 'in_service'), 0)::float
               / greatest(:office_min, coalesce(c.households, 0) / 100.0 * :office_per_100),
               coalesce(c.households, 0)
        FROM admin_units c WHERE {CURRENT}""",
    "office_status": f"""
        SELECT c.code, coalesce((SELECT max(CASE f.status WHEN 'in_service' THEN 1.0
                    WHEN 'under_construction' THEN 0.5 WHEN 'planned' THEN 0.25 ELSE 0 END)
                 FROM facilities f WHERE f.community_code = c.code
                   AND f.kind = 'office_service_site'), 0)::float, 1
        FROM admin_units c WHERE {CURRENT}""",
    "station_reach": f"""
        SELECT c.code, sum(r.households * (EXISTS (
                   SELECT 1 FROM facilities f WHERE f.status = 'in_service'
                     AND f.kind IN ('service_centre', 'service_station', 'office_service_site')
                     AND f.geom && ST_Expand(r.geom, :expand_station)
                     AND ST_DWithin(f.geom::geography, r.geom::geography,
                                    CASE f.kind WHEN 'service_centre' THEN :reach_centre
                                                WHEN 'service_station' THEN :reach_station
                                                ELSE :reach_office END)))::int)::float
               / nullif(sum(r.households), 0), coalesce(sum(r.households), 0)
        FROM admin_units c LEFT JOIN residences r ON r.community_code = c.code
        WHERE {CURRENT} GROUP BY c.code""",
    "health_reach": f"""
        SELECT c.code, sum(r.households * (EXISTS (
                   SELECT 1 FROM facilities f WHERE f.status = 'in_service'
                     AND f.kind = 'health_station' AND f.geom && ST_Expand(r.geom, :expand_health)
                     AND ST_DWithin(f.geom::geography, r.geom::geography, :reach_health)))::int
               )::float / nullif(sum(r.households), 0), coalesce(sum(r.households), 0)
        FROM admin_units c LEFT JOIN residences r ON r.community_code = c.code
        WHERE {CURRENT} GROUP BY c.code""",
    "mediation_centre": f"""
        SELECT c.code, (EXISTS (SELECT 1 FROM facilities f WHERE f.kind = 'mediation_centre'
                   AND f.status = 'in_service' AND f.geom && ST_Expand(c.geom, 0.02)
                   AND ST_DWithin(f.geom::geography, c.geom::geography, 1000)))::int::float, 1
        FROM admin_units c WHERE {CURRENT}""",
    "disputes_on_time": f"""
        SELECT c.code, (count(*) FILTER (WHERE k.closed_at <= k.deadline_at))::float
                       / nullif(count(k.id), 0), count(k.id)
        FROM admin_units c LEFT JOIN cases k ON k.community_code = c.code
             AND k.category_code LIKE '06%' AND k.deadline_at IS NOT NULL
             AND k.state NOT IN ('cancelled', 'merged')
             AND k.deadline_at >= CAST(:since AS date) AND k.deadline_at < CAST(:until AS date)
        WHERE {CURRENT} GROUP BY c.code""",
    "cobuilding_units": f"""
        SELECT c.code, count(u.id) * 1000.0 / nullif(c.population, 0), coalesce(c.population, 0)
        FROM admin_units c LEFT JOIN cobuilding_units u ON u.community_code = c.code
        WHERE {CURRENT} GROUP BY c.code, c.population""",
    "activities": f"""
        SELECT c.code, count(a.id) * 1000.0 / nullif(c.population, 0), coalesce(c.population, 0)
        FROM admin_units c LEFT JOIN community_activities a ON a.community_code = c.code
             AND a.held_on >= CAST(:since AS date) AND a.held_on < CAST(:until AS date)
        WHERE {CURRENT} GROUP BY c.code, c.population""",
}


def standards() -> dict[str, dict[str, float]]:
    """Floor-area and reach standards per facility kind (``data/facility_standards.csv``)."""
    out: dict[str, dict[str, float]] = {}
    with (DATA_DIR / "facility_standards.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            out[r["kind"]] = {
                k: float(v) for k, v in r.items() if k not in ("kind", "name", "basis") and v
            }
    return out


def params(today: date) -> dict[str, object]:
    s = standards()
    return {
        "office_min": s["office_service_site"].get("min_floor_area_m2", 600),
        "office_per_100": s["office_service_site"].get("per_100_households_m2", 30),
        "reach_centre": s["service_centre"]["service_reach_m"],
        "reach_station": s["service_station"]["service_reach_m"],
        "reach_office": s["office_service_site"]["service_reach_m"],
        "reach_health": s["health_station"]["service_reach_m"],
        "expand_station": max(
            s[k]["service_reach_m"]
            for k in ("service_centre", "service_station", "office_service_site")
        )
        / METRES_PER_DEGREE_MIN,
        "expand_health": s["health_station"]["service_reach_m"] / METRES_PER_DEGREE_MIN,
        "since": date(today.year - 1, today.month, min(today.day, 28)),
        "until": today,
    }


def raw_values(
    bind: Session | Connection, *, today: date, codes: list[str] | None = None
) -> dict[str, dict[str, tuple[float | None, int]]]:
    """``{indicator: {community_code: (value, n)}}`` for every indicator in :data:`SQL`."""
    p = params(today)
    out: dict[str, dict[str, tuple[float | None, int]]] = {}
    for code, sql in SQL.items():
        rows = bind.execute(sa.text(sql), p).all()
        out[code] = {
            r[0]: (None if r[1] is None else float(r[1]), int(r[2] or 0))
            for r in rows
            if codes is None or r[0] in codes
        }
    return out
