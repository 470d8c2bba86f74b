"""Checks that need PostGIS: rows are staged in a temporary table and compared in SQL.

Inside the district, known parent codes, overlaps between the file's polygons, and for grids
(a full replacement per community): leaving the community, gaps, and overlapping grids of
neighbouring communities. Areas are compared relative to planar area so that noise slivers
stay noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.exchange.report import Problem

OUTSIDE_SHARE = 0.01  # more than 1 % of a polygon outside → outside
OVERLAP_SHARE = 0.001  # overlap above 0.1 % of the smaller polygon
GAP_SHARE = 0.001  # uncovered part above 0.1 % of the community

STAGE = "import_stage"  # a temporary table; the name is fixed here, never from a request


def stage_rows(
    session: Session, rows: Sequence[dict[str, Any]], *, key: str | None, parent: str | None
) -> None:
    """(Re)create the temporary staging table and load ``rows`` into it."""
    session.execute(sa.text(f"DROP TABLE IF EXISTS {STAGE}"))
    session.execute(
        sa.text(
            f"CREATE TEMP TABLE {STAGE} (row integer PRIMARY KEY, key text, parent text, "
            "geom geometry(Geometry, 4326) NOT NULL)"
        )
    )
    params = [
        {
            "row": r["row"],
            "key": r.get(key) if key else None,
            "parent": r.get(parent) if parent else None,
            "wkb": shapely.to_wkb(r["geometry"], hex=True),
        }
        for r in rows
    ]
    for start in range(0, len(params), 2000):
        session.execute(
            sa.text(
                f"INSERT INTO {STAGE} (row, key, parent, geom) "
                "VALUES (:row, :key, :parent, ST_SetSRID(CAST(:wkb AS geometry), 4326))"
            ),
            params[start : start + 2000],
        )
    session.execute(sa.text(f"CREATE INDEX ON {STAGE} USING gist (geom)"))
    session.execute(sa.text(f"ANALYZE {STAGE}"))


def drop_stage(session: Session) -> None:
    session.execute(sa.text(f"DROP TABLE IF EXISTS {STAGE}"))


_DISTRICT = "(SELECT geom FROM admin_units WHERE level = 3 AND valid_to IS NULL LIMIT 1)"


def outside_rows(session: Session) -> list[int]:
    """Rows whose point is outside the district, or more than 1 % of whose polygon is."""
    sql = f"""
        SELECT s.row FROM {STAGE} s, {_DISTRICT} d
        WHERE NOT ST_CoveredBy(s.geom, d.geom) AND (
            GeometryType(s.geom) = 'POINT'
            OR ST_Area(ST_Difference(s.geom, d.geom)) > {OUTSIDE_SHARE} * ST_Area(s.geom))
        ORDER BY s.row"""
    return [int(r) for r in session.execute(sa.text(sql)).scalars()]


def inside_district(session: Session, geoms: Sequence[Any]) -> list[bool]:
    """Whether each geometry (EPSG:4326) lies inside the district."""
    if not geoms:
        return []
    sql = sa.text(
        f"SELECT ST_CoveredBy(ST_SetSRID(CAST(w AS geometry), 4326), d.geom) "
        f"FROM unnest(CAST(:w AS text[])) WITH ORDINALITY AS u(w, n), {_DISTRICT} d ORDER BY n"
    )
    wkbs = [shapely.to_wkb(g, hex=True) for g in geoms]
    return [bool(v) for v in session.execute(sql, {"w": wkbs}).scalars()]


def unknown_parents(session: Session, *, level: int) -> list[tuple[int, str]]:
    """Rows whose ``parent`` code is not a current admin unit of ``level``."""
    sql = f"""
        SELECT s.row, s.parent FROM {STAGE} s
        WHERE s.parent IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM admin_units a
            WHERE a.code = s.parent AND a.level = :level AND a.valid_to IS NULL)
        ORDER BY s.row"""
    return [(int(r), str(p)) for r, p in session.execute(sa.text(sql), {"level": level})]


def derive_community(session: Session) -> dict[int, str]:
    """Fill in the community of rows without one from where they lie; row → code."""
    session.execute(
        sa.text(
            f"UPDATE {STAGE} s SET parent = c.code FROM admin_units c "
            "WHERE s.parent IS NULL AND c.level = 5 AND c.valid_to IS NULL "
            "AND ST_Intersects(c.geom, s.geom)"
        )
    )
    rows = session.execute(sa.text(f"SELECT row, parent FROM {STAGE} WHERE parent IS NOT NULL"))
    return {int(r): str(p) for r, p in rows}


def locate_rows(session: Session) -> dict[int, dict[str, str]]:
    """Township, community and grid of each staged point (current boundaries)."""
    sql = f"""
        SELECT DISTINCT ON (s.row) s.row, c.parent_code AS township_code,
               g.community_code, g.code AS grid_code
        FROM {STAGE} s
        JOIN grids g ON g.valid_to IS NULL AND ST_Intersects(g.geom, s.geom)
        JOIN admin_units c ON c.code = g.community_code AND c.valid_to IS NULL
        ORDER BY s.row, g.code"""
    return {int(m["row"]): dict(m) for m in session.execute(sa.text(sql)).mappings()}


def existing_keys(session: Session, *, table: str, column: str) -> list[tuple[int, str]]:
    """Rows whose ``key`` already exists in ``table.column`` (names written in code)."""
    sql = f"SELECT s.row, s.key FROM {STAGE} s JOIN {table} t ON t.{column} = s.key ORDER BY s.row"
    return [(int(r), str(k)) for r, k in session.execute(sa.text(sql))]


def overlaps_in_file(session: Session) -> list[Problem]:
    """Pairs of the file's polygons that overlap by more than 0.1 % of the smaller one."""
    sql = f"""
        SELECT a.row AS a, b.row AS b, a.key AS ka, b.key AS kb,
               ST_Area(ST_Intersection(a.geom, b.geom))
                 / NULLIF(least(ST_Area(a.geom), ST_Area(b.geom)), 0) AS share
        FROM {STAGE} a JOIN {STAGE} b ON a.row < b.row AND ST_Intersects(a.geom, b.geom)
        WHERE GeometryType(a.geom) LIKE '%POLYGON' AND GeometryType(b.geom) LIKE '%POLYGON'"""
    out = []
    for m in session.execute(sa.text(sql)).mappings():
        if m["share"] is not None and m["share"] > OVERLAP_SHARE:
            out.append(
                Problem.make(
                    m["b"],
                    "geometry",
                    f"与第 {m['a']} 行重叠 {m['share']:.1%} (overlaps row {m['a']})",
                    f"{m['kb']} ∩ {m['ka']}",
                )
            )
    return out


def grid_problems(session: Session) -> list[Problem]:
    """Grids leaving their community, gaps per community, overlaps with neighbours' grids."""
    out: list[Problem] = []
    leaving = f"""
        SELECT s.row, s.key,
               ST_Area(ST_Difference(s.geom, c.geom)) / ST_Area(s.geom) AS share
        FROM {STAGE} s JOIN admin_units c
          ON c.code = s.parent AND c.level = 5 AND c.valid_to IS NULL
        WHERE NOT ST_CoveredBy(s.geom, c.geom)"""
    for m in session.execute(sa.text(leaving)).mappings():
        if m["share"] > OUTSIDE_SHARE:
            out.append(
                Problem.make(
                    m["row"],
                    "geometry",
                    f"网格有 {m['share']:.1%} 超出所属社区 (grid leaves its community)",
                    m["key"],
                )
            )
    gaps = f"""
        SELECT min(s.row) AS row, c.code,
               ST_Area(ST_Difference(c.geom, ST_Union(s.geom))) / ST_Area(c.geom) AS share
        FROM {STAGE} s JOIN admin_units c
          ON c.code = s.parent AND c.level = 5 AND c.valid_to IS NULL
        GROUP BY c.code, c.geom"""
    for m in session.execute(sa.text(gaps)).mappings():
        if m["share"] > GAP_SHARE:
            out.append(
                Problem.make(
                    m["row"],
                    "geometry",
                    f"社区内有 {m['share']:.1%} 未被网格覆盖 (grids leave a gap in the community)",
                    m["code"],
                )
            )
    neighbours = f"""
        SELECT s.row, s.key, g.code,
               ST_Area(ST_Intersection(s.geom, g.geom))
                 / NULLIF(least(ST_Area(s.geom), ST_Area(g.geom)), 0) AS share
        FROM {STAGE} s JOIN grids g ON g.valid_to IS NULL AND ST_Intersects(g.geom, s.geom)
        WHERE g.community_code NOT IN (SELECT DISTINCT parent FROM {STAGE} WHERE parent IS NOT NULL)"""
    for m in session.execute(sa.text(neighbours)).mappings():
        if m["share"] is not None and m["share"] > OVERLAP_SHARE:
            out.append(
                Problem.make(
                    m["row"],
                    "geometry",
                    f"与相邻社区网格 {m['code']} 重叠 {m['share']:.1%} (overlaps a neighbour's grid)",
                    m["key"],
                )
            )
    return out
