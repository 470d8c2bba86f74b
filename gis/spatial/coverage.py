"""Service coverage: the 15-minute community life circle (GB 50180-2018).

A dwelling is *covered* by a facility kind when a facility of that kind lies within the
walking reach — measured here as straight-line distance in CGCS2000 / 3° Gauss-Kruger
CM 102E (EPSG:4543), i.e. an optimistic bound of the walking distance along streets.
Default reaches follow the standard's levels: 5-minute (300 m) for stations and outlets,
10-minute (500 m) for community office and service sites and police rooms, 15-minute
(1000 m) for centres.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.models.facilities import FACILITY_KINDS
from gis.spatial import params

DEFAULT_REACH_M: dict[str, float] = {
    "service_station": 300,
    "health_station": 300,
    "elderly_care": 300,
    "culture_sports": 300,
    "commercial_outlet": 300,
    "office_service_site": 500,
    "police_room": 500,
    "service_centre": 1000,
    "mediation_centre": 1000,
}
MAX_REACH_M = 5000.0
LEVELS = ("grid", "community", "township")
M_PER_DEG_LAT = 111_000.0
DEG_PAD = 1.3 / (M_PER_DEG_LAT * 0.8)  # degrees per metre, generous at 36.5°N

#: Residences with a ``covered`` flag; ``{where}`` from constants only.
RESIDENCES_SQL = """
    SELECT r.id, r.households, r.community_code, r.grid_code, c.parent_code AS township_code,
           ST_Transform(r.geom, 4543) AS g,
           EXISTS (
               SELECT 1 FROM facilities f
               WHERE f.kind = :kind AND f.status = ANY (:statuses)
                 AND ST_DWithin(f.geom, r.geom, :deg)
                 AND ST_DWithin(ST_Transform(f.geom, 4543), ST_Transform(r.geom, 4543), :reach)
           ) AS covered
    FROM residences r
    JOIN admin_units c ON c.code = r.community_code AND c.valid_to IS NULL
    WHERE true {where}
"""
UNIT_GEOMS = {
    "grid": "SELECT code, name, community_code AS parent_code, geom FROM grids "
    "WHERE valid_to IS NULL",
    "community": "SELECT code, name, parent_code, geom FROM admin_units "
    "WHERE level = 5 AND valid_to IS NULL",
    "township": "SELECT code, name, parent_code, geom FROM admin_units "
    "WHERE level = 4 AND valid_to IS NULL",
}
UNIT_KEY = {"grid": "grid_code", "community": "community_code", "township": "township_code"}
AREA_SQL = """
    SELECT u.code, u.name, u.parent_code, ST_Area(ST_Transform(u.geom, 4543)) AS area,
        coalesce(ST_Area(ST_Intersection(ST_Transform(u.geom, 4543), (
            SELECT ST_Union(ST_Buffer(ST_Transform(f.geom, 4543), :reach, 12))
            FROM facilities f
            WHERE f.kind = :kind AND f.status = ANY (:statuses)
              AND ST_DWithin(f.geom, u.geom, :deg)))), 0) AS covered_area
    FROM ({units}) u
    WHERE u.code LIKE :prefix
"""
GAPS_SQL = """
    WITH rc AS ({residences}),
    un AS (
        SELECT households, g, ST_ClusterDBSCAN(g, eps := :pad * 2, minpoints := 1) OVER () AS cid
        FROM rc WHERE NOT covered
    ),
    cl AS (
        SELECT cid, sum(households) AS households, count(*) AS dwellings,
               ST_Buffer(ST_Collect(g), :pad, 8) AS area, ST_Centroid(ST_Collect(g)) AS c
        FROM un GROUP BY cid ORDER BY sum(households) DESC LIMIT :max_gaps
    )
    SELECT cl.households, cl.dwellings,
        ST_AsGeoJSON(ST_Transform(coalesce(ST_Difference(cl.area, (
            SELECT ST_Union(ST_Buffer(ST_Transform(f.geom, 4543), :reach, 12))
            FROM facilities f
            WHERE f.kind = :kind AND f.status = ANY (:statuses)
              AND ST_Intersects(f.geom, ST_Transform(ST_Expand(cl.area, :reach), 4326)))),
            cl.area), 4326), 6) AS geojson,
        ST_X(ST_Transform(cl.c, 4326)) AS lon, ST_Y(ST_Transform(cl.c, 4326)) AS lat
    FROM cl ORDER BY cl.households DESC
"""


def reach_for(kind: str, reach_m: float | None) -> float:
    """The walking reach: the given one (checked), or the default of the kind's level."""
    if reach_m is None:
        return DEFAULT_REACH_M[kind]
    return params.number_in(reach_m, field="reach", lo=0, hi=MAX_REACH_M, lo_open=True)


def statuses(include_planned: bool) -> list[str]:
    """Facility statuses that count as serving (planned ones too when asked)."""
    return ["in_service", "under_construction", "planned"] if include_planned else ["in_service"]


def coverage(
    bind: Session | Connection,
    *,
    kind: str,
    reach_m: float | None = None,
    level: str = "community",
    parent: str | None = None,
    include_planned: bool = False,
    gaps: bool = True,
    max_gaps: int = 200,
) -> dict[str, Any]:
    """Share of households and of area within reach of a facility kind, per unit.

    Parameters
    ----------
    kind
        A facility kind (``FACILITY_KINDS``).
    reach_m
        Walking reach in metres (0 < reach ≤ 5000); default by the kind's level.
    level
        ``grid``, ``community`` or ``township``.
    parent
        Only units inside this township or community (12-digit code).
    include_planned
        Count planned and under-construction facilities as serving (what the plan adds).
    gaps
        Add the uncovered gaps: dwellings out of reach grouped where they lie within one
        reach of each other, as polygons (dwellings buffered by half the reach, at most
        150 m, minus the covered area) with their households.

    Returns
    -------
    dict
        ``kind``, ``reach_m``, ``total`` and ``units`` (``households``,
        ``covered_households``, ``household_share``, ``area_m2``, ``covered_area_m2``,
        ``area_share``), and ``gaps`` (a GeoJSON FeatureCollection).

    Raises
    ------
    InvalidInput
        Unknown ``kind`` or ``level``; bad ``reach``, ``parent`` or ``max_gaps``.
    NotFound
        Unknown ``parent``.
    """
    params.facility_kind(kind, required=True)
    reach = reach_for(kind, reach_m)
    if level not in LEVELS:
        raise InvalidInput(
            f"未知层级 (unknown level) {level!r}; known: {', '.join(LEVELS)}", field="level"
        )
    params.int_in(max_gaps, field="max_gaps", lo=1, hi=5000)
    prefix = params.parent_prefix(bind, parent)
    p = {
        "kind": kind,
        "statuses": statuses(include_planned),
        "reach": reach,
        "deg": reach * DEG_PAD,
        "prefix": prefix + "%",
        "pad": min(reach / 2, 150.0),
        "max_gaps": max_gaps,
    }
    where = " AND r.community_code LIKE :prefix"
    key = UNIT_KEY[level]
    hh: dict[str, list[int]] = {}
    for r in bind.execute(
        sa.text(
            f"SELECT {key} AS key, households, covered FROM ({RESIDENCES_SQL.format(where=where)}) x"
        ),
        p,
    ):
        acc = hh.setdefault(r.key, [0, 0])
        acc[0] += r.households
        acc[1] += r.households if r.covered else 0
    units = []
    tot = {"households": 0, "covered_households": 0, "area_m2": 0.0, "covered_area_m2": 0.0}
    for u in bind.execute(sa.text(AREA_SQL.format(units=UNIT_GEOMS[level])), p):
        h, ch = hh.get(u.code, [0, 0])
        area, carea = float(u.area), min(float(u.covered_area), float(u.area))
        units.append(
            {
                "code": u.code,
                "name": u.name,
                "parent_code": u.parent_code,
                "households": h,
                "covered_households": ch,
                "household_share": round(ch / h, 4) if h else None,
                "area_m2": round(area, 1),
                "covered_area_m2": round(carea, 1),
                "area_share": round(carea / area, 4) if area else None,
            }
        )
        tot["households"] += h
        tot["covered_households"] += ch
        tot["area_m2"] += area
        tot["covered_area_m2"] += carea
    total = {
        **tot,
        "household_share": round(tot["covered_households"] / tot["households"], 4)
        if tot["households"]
        else None,
        "area_share": round(tot["covered_area_m2"] / tot["area_m2"], 4) if tot["area_m2"] else None,
    }
    out: dict[str, Any] = {
        "kind": kind,
        "kind_name": FACILITY_KINDS[kind],
        "reach_m": reach,
        "level": level,
        "parent": parent,
        "include_planned": include_planned,
        "measure": "straight-line distance in EPSG:4543 (an upper bound of walking coverage)",
        "total": total,
        "units": units,
    }
    if gaps:
        feats = []
        sql = GAPS_SQL.format(residences=RESIDENCES_SQL.format(where=where))
        for g in bind.execute(sa.text(sql), p):
            feats.append(
                {
                    "type": "Feature",
                    "geometry": orjson.loads(g.geojson),
                    "properties": {
                        "households": int(g.households),
                        "dwellings": int(g.dwellings),
                        "lon": round(float(g.lon), 6),
                        "lat": round(float(g.lat), 6),
                    },
                }
            )
        out["gaps"] = {"type": "FeatureCollection", "features": feats}
    return out
