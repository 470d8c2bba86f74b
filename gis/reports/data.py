"""What a map report shows, read from PostGIS: the area, its grids, facilities, cases, projects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound

#: Walking reach (metres) by facility kind, after the 5/10/15-minute life circles of
#: GB 50180-2018 (≈300 / 500 / 800–1000 m).
REACH_M = {
    "service_station": 300,
    "elderly_care": 300,
    "commercial_outlet": 300,
    "health_station": 500,
    "police_room": 500,
    "office_service_site": 500,
    "culture_sports": 500,
    "service_centre": 1000,
    "mediation_centre": 1000,
}
LEVELS = {"district": 3, "township": 4, "community": 5}


@dataclass(frozen=True)
class Area:
    """The unit a report is about."""

    level: str
    code: str
    name: str
    parent_name: str | None
    households: int
    population: int
    boundary_source: str
    geom: Any  # shapely MultiPolygon

    @property
    def column(self) -> str:
        """The case column that holds codes of this level (a constant)."""
        return {
            "district": "'630202000000'",
            "township": "township_code",
            "community": "community_code",
        }[self.level]


def read_frame(session: Session, sql: str, params: dict[str, Any]) -> gpd.GeoDataFrame:
    rows = session.execute(sa.text(sql), params).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows])
    if frame.empty:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=4326)
    geoms = shapely.from_wkb([bytes(b) for b in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)


def get_area(*, session: Session, level: str, code: str) -> Area:
    """The current unit of ``level`` with ``code``.

    Raises
    ------
    InvalidInput
        Unknown level or a malformed code.
    NotFound
        No current unit with that code at that level.
    """
    if level not in LEVELS:
        raise InvalidInput(f"未知级别 (unknown level): {level!r}", field="level")
    if not (code.isdigit() and len(code) == 12):
        raise InvalidInput(
            f"区划代码应为 12 位数字 (code must be 12 digits): {code!r}", field="code"
        )
    row = (
        session.execute(
            sa.text(
                "SELECT u.code, u.name, p.name AS parent_name, coalesce(u.households, 0) AS hh, "
                "coalesce(u.population, 0) AS pop, u.boundary_source, ST_AsBinary(u.geom) AS wkb "
                "FROM admin_units u LEFT JOIN admin_units p "
                "  ON p.code = u.parent_code AND p.valid_to IS NULL "
                "WHERE u.code = :c AND u.level = :l AND u.valid_to IS NULL"
            ),
            {"c": code, "l": LEVELS[level]},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"没有代码为 {code} 的{_LEVEL_ZH[level]} (no such {level})", field="code")
    return Area(
        level,
        row["code"],
        row["name"],
        row["parent_name"],
        int(row["hh"]),
        int(row["pop"]),
        row["boundary_source"],
        shapely.from_wkb(bytes(row["wkb"])),
    )


_LEVEL_ZH = {"district": "区", "township": "乡镇(街道)", "community": "社区(村)"}


def communities(*, session: Session, township: str) -> gpd.GeoDataFrame:
    return read_frame(
        session,
        "SELECT code, name, coalesce(households, 0) AS households, boundary_source, "
        "ST_AsBinary(geom) AS wkb FROM admin_units WHERE level = 5 AND valid_to IS NULL "
        "AND parent_code = :t ORDER BY code",
        {"t": township},
    )


def townships(*, session: Session) -> gpd.GeoDataFrame:
    return read_frame(
        session,
        "SELECT code, name, boundary_source, ST_AsBinary(geom) AS wkb FROM admin_units "
        "WHERE level = 4 AND valid_to IS NULL ORDER BY code",
        {},
    )


def grids(*, session: Session, area: Area) -> gpd.GeoDataFrame:
    """Current grids of the area with their households and population."""
    prefix = area.code[:12] if area.level == "community" else area.code[:9]
    return read_frame(
        session,
        "SELECT code, name, households, population, kind, ST_AsBinary(geom) AS wkb FROM grids "
        "WHERE valid_to IS NULL AND community_code LIKE :p ORDER BY code",
        {"p": prefix + "%"},
    )


def facilities(*, session: Session, area: Area) -> gpd.GeoDataFrame:
    """Facilities inside the area, with their walking reach in metres."""
    gdf = read_frame(
        session,
        "SELECT f.name, f.kind, f.status, ST_AsBinary(f.geom) AS wkb FROM facilities f "
        "WHERE ST_Intersects(f.geom, ST_GeomFromWKB(:a, 4326)) ORDER BY f.kind, f.name",
        {"a": shapely.to_wkb(area.geom)},
    )
    if len(gdf):
        gdf["reach_m"] = gdf["kind"].map(REACH_M).fillna(300).astype(int)
    return gdf


def cases(
    *, session: Session, area: Area, start: datetime, end: datetime, sees_personal: bool
) -> gpd.GeoDataFrame:
    """Cases reported in ``[start, end)`` in the area; sensitive categories only when allowed."""
    where = "" if area.level == "district" else f" AND c.{area.column} = :code"
    if not sees_personal:
        where += " AND NOT coalesce(cat.sensitive OR parent.sensitive, false)"
    return read_frame(
        session,
        "SELECT c.case_no, c.category_code, left(c.category_code, 2) AS class_code, "
        "cat.name AS category_name, c.state, c.reported_at, c.deadline_at, c.closed_at, "
        "c.grid_code, (c.state IN ('dispatched', 'processing', 'responded') "
        "  AND c.deadline_at < now()) AS overdue, ST_AsBinary(c.geom) AS wkb "
        "FROM cases c JOIN categories cat ON cat.code = c.category_code "
        "LEFT JOIN categories parent ON parent.code = cat.parent_code "
        f"WHERE c.reported_at >= :start AND c.reported_at < :end{where} ORDER BY c.reported_at",
        {"code": area.code, "start": start, "end": end},
    )


def projects(*, session: Session, area: Area | None) -> gpd.GeoDataFrame:
    """Construction projects (derived status and progress) inside the area, or all."""
    where = ""
    params: dict[str, Any] = {}
    if area is not None and area.level != "district":
        where = f" WHERE o.{area.column} = :code"
        params["code"] = area.code
    return read_frame(
        session,
        "SELECT o.id, o.name, o.facility_kind, o.community_name, o.township_name, o.status, "
        "o.status_label, o.progress, o.budget_total, o.spent_to_date, o.next_milestone, "
        "o.next_due, o.days_late, o.plan_group, ST_AsBinary(o.geom) AS wkb "
        f"FROM project_overview o{where} ORDER BY o.name",
        params,
    )
