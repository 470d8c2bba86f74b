"""Write checked import rows into the platform's tables (inside the caller's transaction).

Boundaries (townships, communities, grids) are written as a new generation: the current rows
they replace get ``valid_to`` and the new rows start at ``valid_from``. A current row that
started on that same day was never in effect for a whole day and is replaced outright.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.errors import Conflict


def _wkb(g: Any) -> str:
    return shapely.to_wkb(g, hex=True)


_GEOM = "ST_Multi(ST_SetSRID(CAST(:wkb AS geometry), 4326))"
_POINT = "ST_SetSRID(CAST(:wkb AS geometry), 4326)"


def _retire(session: Session, *, table: str, codes: list[str], valid_from: date) -> dict[str, int]:
    """Close the current rows with ``codes`` at ``valid_from`` (same-day rows are removed)."""
    later = session.execute(
        sa.text(
            f"SELECT count(*) FROM {table} WHERE code = ANY(:c) AND valid_to IS NULL "
            "AND valid_from > :vf"
        ),
        {"c": codes, "vf": valid_from},
    ).scalar_one()
    if later:
        raise Conflict(
            f"有 {later} 条现行边界生效日期晚于 {valid_from} (the current generation starts after "
            "valid_from); use a later --valid-from",
            field="valid_from",
        )
    same_day = session.execute(  # type: ignore[attr-defined]
        sa.text(
            f"DELETE FROM {table} WHERE code = ANY(:c) AND valid_to IS NULL AND valid_from = :vf"
        ),
        {"c": codes, "vf": valid_from},
    ).rowcount
    retired = session.execute(  # type: ignore[attr-defined]
        sa.text(f"UPDATE {table} SET valid_to = :vf WHERE code = ANY(:c) AND valid_to IS NULL"),
        {"c": codes, "vf": valid_from},
    ).rowcount
    return {"retired": int(retired), "replaced_same_day": int(same_day)}


def write_admin_units(
    session: Session, rows: list[dict[str, Any]], *, level: int, valid_from: date
) -> dict[str, int]:
    """Townships (level 4) or communities (level 5) as a new boundary generation."""
    codes = [r["code"] for r in rows]
    old = {
        m["code"]: m
        for m in session.execute(
            sa.text(
                "SELECT code, unit_type, households, population FROM admin_units "
                "WHERE code = ANY(:c) AND valid_to IS NULL"
            ),
            {"c": codes},
        ).mappings()
    }
    counts = _retire(session, table="admin_units", codes=codes, valid_from=valid_from)
    params = []
    for r in rows:
        prev: dict[str, Any] = dict(old.get(r["code"], {}))
        params.append(
            {
                "code": r["code"],
                "name": r["name"],
                "level": level,
                "unit_type": r.get("unit_type") or prev.get("unit_type") or _default_type(level),
                "parent": r.get("parent_code") or "630202000000",
                "hh": r.get("households", prev.get("households")),
                "pop": r.get("population", prev.get("population")),
                "src": r.get("boundary_source") or "illustrative",
                "vf": valid_from,
                "wkb": _wkb(r["geometry"]),
            }
        )
    session.execute(
        sa.text(
            "INSERT INTO admin_units (code, name, level, unit_type, parent_code, households, "
            "population, seat, geom, boundary_source, valid_from) VALUES (:code, :name, :level, "
            f":unit_type, :parent, :hh, :pop, ST_PointOnSurface({_GEOM}), {_GEOM}, :src, :vf)"
        ),
        params,
    )
    counts["inserted"] = len(params)
    return counts


def _default_type(level: int) -> str:
    return "镇" if level == 4 else "居委会(社区)"


def write_grids(
    session: Session, rows: list[dict[str, Any]], *, valid_from: date
) -> dict[str, int]:
    """Replace all current grids of the communities named in ``rows`` (a new generation)."""
    communities = sorted({r["community_code"] for r in rows})
    current = list(
        session.execute(
            sa.text("SELECT code FROM grids WHERE community_code = ANY(:c) AND valid_to IS NULL"),
            {"c": communities},
        ).scalars()
    )
    counts = _retire(session, table="grids", codes=current, valid_from=valid_from)
    params = [
        {
            "code": r["code"],
            "name": r["name"],
            "community": r["community_code"],
            "kind": r.get("kind") or "basic",
            "hh": r.get("households"),
            "pop": r.get("population"),
            "src": r.get("boundary_source") or "illustrative",
            "vf": valid_from,
            "wkb": _wkb(r["geometry"]),
        }
        for r in rows
    ]
    session.execute(
        sa.text(
            "INSERT INTO grids (code, name, community_code, kind, households, population, geom, "
            "boundary_source, valid_from) VALUES (:code, :name, :community, :kind, "
            f"coalesce(:hh, 0), coalesce(:pop, 0), {_GEOM}, :src, :vf)"
        ),
        params,
    )
    # dwellings follow the new grids; grids without household figures count their dwellings
    session.execute(
        sa.text("UPDATE residences SET grid_code = NULL WHERE community_code = ANY(:c)"),
        {"c": communities},
    )
    session.execute(
        sa.text(
            "UPDATE residences r SET grid_code = g.code FROM grids g "
            "WHERE r.community_code = ANY(:c) AND g.valid_to IS NULL "
            "AND g.community_code = r.community_code AND ST_Intersects(g.geom, r.geom)"
        ),
        {"c": communities},
    )
    missing = [r["code"] for r in rows if r.get("households") is None]
    if missing:
        session.execute(
            sa.text(
                "UPDATE grids g SET households = coalesce(s.h, 0), population = coalesce(s.p, 0) "
                "FROM (SELECT grid_code, sum(households) h, sum(population) p FROM residences "
                "      WHERE grid_code = ANY(:c) GROUP BY grid_code) s "
                "WHERE g.code = s.grid_code AND g.valid_to IS NULL"
            ),
            {"c": missing},
        )
    counts["inserted"] = len(params)
    return counts


def write_facilities(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    params = [
        {
            "kind": r["kind"],
            "name": r["name"],
            "community": r.get("community_code"),
            "status": r.get("status") or "in_service",
            "area": r.get("floor_area_m2"),
            "wkb": _wkb(r["geometry"]),
        }
        for r in rows
    ]
    session.execute(
        sa.text(
            "INSERT INTO facilities (kind, name, community_code, status, floor_area_m2, geom) "
            f"VALUES (:kind, :name, :community, :status, :area, {_POINT})"
        ),
        params,
    )
    return {"inserted": len(params)}


def write_projects(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    params = [
        {
            "name": r["name"],
            "kind": r["facility_kind"],
            "community": r["community_code"],
            "area": r.get("planned_floor_area"),
            "unit": r.get("responsible_unit"),
            "budget": r.get("budget_total") or 0,
            "spent": r.get("spent_to_date") or 0,
            "group": r.get("plan_group"),
            "wkb": _wkb(r["geometry"]),
        }
        for r in rows
    ]
    session.execute(
        sa.text(
            "INSERT INTO projects (name, facility_kind, community_code, site, planned_floor_area, "
            "responsible_unit, budget_total, spent_to_date, plan_group) VALUES (:name, :kind, "
            f":community, {_POINT}, :area, :unit, :budget, :spent, :group)"
        ),
        params,
    )
    return {"inserted": len(params)}


def write_cases(
    session: Session, rows: list[dict[str, Any]], *, actor: str, note: str
) -> dict[str, int]:
    """Historic cases (source ``import``) with one ``import`` event each."""
    params = [
        {
            "no": r["case_no"],
            "cat": r["category_code"],
            "desc": r["description"],
            "addr": r.get("address"),
            "t": r.get("township_code"),
            "c": r.get("community_code"),
            "g": r.get("grid_code"),
            "state": r["state"],
            "rep": r["reported_at"],
            "closed": r.get("closed_at"),
            "wkb": _wkb(r["geometry"]),
        }
        for r in rows
    ]
    session.execute(
        sa.text(
            "INSERT INTO cases (case_no, category_code, description, address, geom, "
            "township_code, community_code, grid_code, state, source, reported_at, closed_at) "
            f"VALUES (:no, :cat, :desc, :addr, {_POINT}, :t, :c, :g, :state, 'import', :rep, "
            ":closed)"
        ),
        params,
    )
    session.execute(
        sa.text(
            "INSERT INTO case_events (case_id, actor, action, to_state, note) "
            "SELECT id, :actor, 'import', state, :note FROM cases WHERE case_no = ANY(:nos)"
        ),
        {"actor": actor, "note": note, "nos": [r["case_no"] for r in rows]},
    )
    return {"inserted": len(params)}
