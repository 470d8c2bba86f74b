"""The history of a project: who changed what, when, and what it was before and after.

A snapshot holds the project's own fields, its funding by source and its milestone dates.
Each change writes one row with only the fields that differ (``before`` / ``after``);
creation writes the whole snapshot as ``after`` and deletion as ``before``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis import audit
from gis.errors import NotFound


class Actor(Protocol):
    """Who makes a change (``api.security.Principal`` is one)."""

    @property
    def username(self) -> str | None: ...

    @property
    def role(self) -> str: ...


PERSONAL_FIELDS = ("contact_name", "contact_phone")
SNAPSHOT_SQL = sa.text("""
    SELECT p.name, p.facility_kind, p.facility_id, p.community_code,
           ST_AsGeoJSON(p.site, 7)::jsonb AS site,
           ST_AsGeoJSON(p.site_polygon, 7)::jsonb AS site_polygon,
           p.planned_floor_area, p.responsible_unit, p.contact_name, p.contact_phone,
           p.budget_total, p.spent_to_date, p.progress_override, p.progress_reason,
           p.plan_group, p.notes
    FROM projects p WHERE p.id = :id
""")


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, date | datetime):
        return v.isoformat()
    return v


def snapshot(
    *, session: Session | Connection, project_id: int, lock: bool = False
) -> dict[str, Any]:
    """The project as plain JSON-able values (raises NotFound)."""
    if lock:
        session.execute(
            sa.text("SELECT id FROM projects WHERE id = :id FOR UPDATE"), {"id": project_id}
        )
    row = session.execute(SNAPSHOT_SQL, {"id": project_id}).mappings().first()
    if row is None:
        raise NotFound(f"项目不存在 (no such project): {project_id}", field="project_id")
    out = {k: _plain(v) for k, v in row.items()}
    out["funding"] = {
        s: float(a)
        for s, a in session.execute(
            sa.text(
                "SELECT source, amount FROM project_funding WHERE project_id = :id ORDER BY source"
            ),
            {"id": project_id},
        )
    }
    out["milestones"] = {
        k: {"planned_date": _plain(p), "actual_date": _plain(a)}
        for k, p, a in session.execute(
            sa.text(
                "SELECT kind, planned_date, actual_date FROM project_milestones "
                "WHERE project_id = :id ORDER BY seq"
            ),
            {"id": project_id},
        )
    }
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as (before, after); milestones compared per kind."""
    b: dict[str, Any] = {}
    a: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if key == "milestones" and isinstance(old, dict) and isinstance(new, dict):
            kinds = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
            if kinds:
                b[key] = {k: old.get(k) for k in kinds}
                a[key] = {k: new.get(k) for k in kinds}
        elif old != new:
            b[key], a[key] = old, new
    return b, a


def record(
    *,
    session: Session,
    project_id: int,
    actor: Actor,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Write one history row and its audit row (``project.<action>``), in the caller's
    transaction."""
    session.execute(
        sa.text(
            "INSERT INTO project_history (project_id, actor, actor_role, action, before, after) "
            "VALUES (:p, :actor, :role, :action, CAST(:b AS jsonb), CAST(:a AS jsonb))"
        ),
        {
            "p": project_id,
            "actor": actor.username or "anonymous",
            "role": actor.role,
            "action": action,
            "b": json.dumps(before, ensure_ascii=False) if before is not None else None,
            "a": json.dumps(after, ensure_ascii=False) if after is not None else None,
        },
    )
    audit.record(
        session=session,
        actor=actor,
        action=f"project.{action}",
        object_type="project",
        object_id=project_id,
        before=before,
        after=after,
    )


def redact(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """Hide personal fields (contact name and phone) from a snapshot or diff."""
    if entry is None:
        return None
    return {k: ("***" if k in PERSONAL_FIELDS and v else v) for k, v in entry.items()}


def list_history(
    *, session: Session, project_id: int, personal: bool, limit: int = 200
) -> list[dict[str, Any]]:
    """The project's history, oldest first (personal fields hidden unless ``personal``)."""
    rows = session.execute(
        sa.text(
            "SELECT id, at, actor, actor_role, action, before, after FROM project_history "
            "WHERE project_id = :p ORDER BY at, id LIMIT :n"
        ),
        {"p": project_id, "n": limit},
    ).mappings()
    out = []
    for r in rows:
        before, after = r["before"], r["after"]
        if not personal:
            before, after = redact(before), redact(after)
        out.append(
            {
                "id": r["id"],
                "at": r["at"].isoformat(),
                "actor": r["actor"],
                "actor_role": r["actor_role"],
                "action": r["action"],
                "before": before,
                "after": after,
            }
        )
    return out
