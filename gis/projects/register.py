"""The project register: create, change, delete and read construction projects.

Every write validates the whole resulting project first (nothing is written when a check
fails), writes project, funding and milestones, records the change in the project's history
and commits once. Status and progress are never stored: they are read from the SQL function
``project_overview_at(today)``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.models.facilities import FACILITY_KINDS
from gis.models.projects import FUNDING_SOURCES, MILESTONES
from gis.projects import history, validate
from gis.projects.config import db_weights
from gis.projects.schemas import FundingIn, MilestoneIn, ProjectFields, ProjectIn, ProjectPatch
from gis.projects.status import STATUSES, MilestoneDates, derive

# request field → column; the only columns a request can reach
COLUMNS = (
    "name",
    "facility_kind",
    "community_code",
    "facility_id",
    "planned_floor_area",
    "responsible_unit",
    "contact_name",
    "contact_phone",
    "budget_total",
    "spent_to_date",
    "progress_override",
    "progress_reason",
    "plan_group",
    "notes",
)
OVERVIEW_SQL = """
    SELECT o.id, o.name, o.facility_kind, o.facility_id, o.plan_group, o.community_code,
           o.community_name, o.township_code, o.township_name, o.responsible_unit,
           o.planned_floor_area, o.budget_total, o.spent_to_date, o.funded_total, o.status,
           o.status_label, o.progress, o.progress_derived, o.progress_override, o.spent_pct,
           o.milestones_done, o.milestones_total, o.next_milestone, o.next_due, o.days_late,
           ST_X(o.geom) AS lon, ST_Y(o.geom) AS lat, o.updated_at
    FROM project_overview_at(:today) o
"""


def _num(v: Any) -> float | None:
    return float(v) if v is not None else None


def overview_row(r: Any) -> dict[str, Any]:
    """One register row as JSON-able values."""
    out = dict(r)
    for k in (
        "planned_floor_area",
        "budget_total",
        "spent_to_date",
        "funded_total",
        "progress",
        "progress_derived",
        "progress_override",
        "spent_pct",
        "lon",
        "lat",
    ):
        out[k] = _num(out.get(k))
    out["facility_kind_label"] = FACILITY_KINDS.get(out["facility_kind"], out["facility_kind"])
    out["next_milestone_label"] = MILESTONES.get(out["next_milestone"] or "")
    out["next_due"] = out["next_due"].isoformat() if out["next_due"] else None
    out["updated_at"] = out["updated_at"].isoformat() if out.get("updated_at") else None
    return out


def list_projects(
    *,
    session: Session,
    today: date,
    status: str | None = None,
    township_code: str | None = None,
    community_code: str | None = None,
    plan_group: str | None = None,
) -> list[dict[str, Any]]:
    """The register on ``today``, optionally filtered; ordered by id."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            f"未知状态 (unknown status): {status!r}; 可选 (known): {', '.join(STATUSES)}",
            field="status",
        )
    conds: list[str] = []
    params: dict[str, Any] = {"today": today}
    for col, val in (
        ("status", status),
        ("township_code", township_code),
        ("community_code", community_code),
        ("plan_group", plan_group),
    ):
        if val is not None:
            conds.append(f"o.{col} = :{col}")
            params[col] = val
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    rows = session.execute(sa.text(OVERVIEW_SQL + where + " ORDER BY o.id"), params).mappings()
    return [overview_row(r) for r in rows]


def get_project(
    *, session: Session, project_id: int, today: date, personal: bool
) -> dict[str, Any]:
    """One project with funding, milestones, derived status and its reasons."""
    snap = history.snapshot(session=session, project_id=project_id)
    row = (
        session.execute(
            sa.text(OVERVIEW_SQL + " WHERE o.id = :id"), {"today": today, "id": project_id}
        )
        .mappings()
        .one()
    )
    out = overview_row(row)
    weights = db_weights(session=session)
    ms = [
        MilestoneDates(
            k,
            date.fromisoformat(v["planned_date"]) if v["planned_date"] else None,
            date.fromisoformat(v["actual_date"]) if v["actual_date"] else None,
        )
        for k, v in snap["milestones"].items()
    ]
    why = derive(
        milestones=ms,
        weights=weights,
        budget_total=Decimal(str(snap["budget_total"])),
        spent_to_date=Decimal(str(snap["spent_to_date"])),
        progress_override=(
            Decimal(str(snap["progress_override"]))
            if snap["progress_override"] is not None
            else None
        ),
        today=today,
    )
    households = session.execute(
        sa.text("SELECT households FROM admin_units WHERE code = :c AND valid_to IS NULL"),
        {"c": snap["community_code"]},
    ).scalar()
    area = (
        Decimal(str(snap["planned_floor_area"])) if snap["planned_floor_area"] is not None else None
    )
    floor, _ = validate.floor_area(snap["facility_kind"], area, households)
    out.update(
        site=snap["site"],
        site_polygon=snap["site_polygon"],
        contact_name=snap["contact_name"] if personal else None,
        contact_phone=snap["contact_phone"] if personal else None,
        personal_hidden=not personal,
        progress_reason=snap["progress_reason"],
        notes=snap["notes"],
        status_reasons=why.reasons,
        floor_area=floor,
        funding=[
            {"source": s, "label": FUNDING_SOURCES[s], "amount": a}
            for s, a in snap["funding"].items()
        ],
        funding_gap=round(float(snap["budget_total"]) - sum(snap["funding"].values()), 2),
        milestones=[
            {
                "kind": m.kind,
                "label": MILESTONES[m.kind],
                "planned_date": m.planned_date.isoformat() if m.planned_date else None,
                "actual_date": m.actual_date.isoformat() if m.actual_date else None,
                "done": m.actual_date is not None and m.actual_date <= today,
                "weight": float(weights[m.kind]),
            }
            for m in sorted(ms, key=lambda m: list(MILESTONES).index(m.kind))
        ],
        reports=session.execute(
            sa.text("SELECT count(*) FROM project_reports WHERE project_id = :p"), {"p": project_id}
        ).scalar_one(),
        as_of=today.isoformat(),
    )
    return out


def _prepare(
    session: Session, v: dict[str, Any], *, today: date
) -> tuple[dict[str, Any], list[validate.Warning_]]:
    """Validate a complete project (merged with its current state) and build the rows."""
    validate.facility_kind(v["facility_kind"])
    households = validate.community(session=session, code=v["community_code"])
    for f in ("budget_total", "spent_to_date"):
        validate.money(f, v[f])
    validate.progress_override(v["progress_override"], v["progress_reason"])
    if (
        v["facility_id"] is not None
        and not session.execute(
            sa.text("SELECT 1 FROM facilities WHERE id = :i"), {"i": v["facility_id"]}
        ).first()
    ):
        raise InvalidInput(
            f"设施不存在 (no such facility): {v['facility_id']}", field="facility_id"
        )
    x, y = validate.site(
        session=session,
        lon=v["site"][0],
        lat=v["site"][1],
        crs=v["site_crs"],
        community_code=v["community_code"],
    )
    poly = None
    if v["site_polygon"] is not None:
        poly = validate.site_polygon(
            session=session, geojson=v["site_polygon"], crs=v["polygon_crs"], site_xy=(x, y)
        )
    validate.funding(v["funding"])
    milestones = validate.milestones(v["milestones"], today=today)
    floor, warns = validate.floor_area(v["facility_kind"], v["planned_floor_area"], households)
    warns += validate.funding_warnings(v["budget_total"], v["funding"])
    if v["budget_total"] and v["spent_to_date"] > v["budget_total"]:
        warns.append(
            validate.Warning_("spent_to_date", "已支出超过总预算 (spending exceeds the budget)")
        )
    cols = {c: v[c] for c in COLUMNS}
    cols["name"] = (cols["name"] or "").strip()
    if not cols["name"]:
        raise InvalidInput("项目名称不能为空 (name is required)", field="name")
    if cols["progress_override"] is None:
        cols["progress_reason"] = None
    return {"cols": cols, "x": x, "y": y, "poly": poly, "funding": v["funding"],
            "milestones": milestones}, warns  # fmt: skip


def _write_children(session: Session, project_id: int, prep: dict[str, Any]) -> None:
    session.execute(sa.text("DELETE FROM project_funding WHERE project_id = :p"), {"p": project_id})
    if prep["funding"]:
        session.execute(
            sa.text("INSERT INTO project_funding (project_id, source, amount) VALUES (:p, :s, :a)"),
            [{"p": project_id, "s": f.source, "a": f.amount} for f in prep["funding"]],
        )
    session.execute(
        sa.text("DELETE FROM project_milestones WHERE project_id = :p"), {"p": project_id}
    )
    order = list(MILESTONES)
    if prep["milestones"]:
        session.execute(
            sa.text(
                "INSERT INTO project_milestones (project_id, seq, kind, planned_date, actual_date)"
                " VALUES (:p, :s, :k, :pd, :ad)"
            ),
            [
                {
                    "p": project_id,
                    "s": order.index(m.kind) + 1,
                    "k": m.kind,
                    "pd": m.planned_date,
                    "ad": m.actual_date,
                }
                for m in prep["milestones"]
            ],  # fmt: skip
        )


def _values(fields: ProjectFields, base: dict[str, Any] | None) -> dict[str, Any]:
    """The complete input: the current project (``base``) overlaid with the fields sent."""
    sent = fields.model_fields_set
    v: dict[str, Any] = {}
    for c in COLUMNS:
        if base is not None and c not in sent:
            old = base[c]
            v[c] = Decimal(str(old)) if isinstance(old, float) else old
        else:
            v[c] = getattr(fields, c)
    for c in ("budget_total", "spent_to_date"):
        if v[c] is None:
            v[c] = Decimal(0)
    if base is not None and "site" not in sent:
        v["site"], v["site_crs"] = tuple(base["site"]["coordinates"]), "wgs84"
    else:
        if fields.site is None:
            raise InvalidInput("须给出项目选址 (site is required)", field="site")
        v["site"], v["site_crs"] = (fields.site.lon, fields.site.lat), fields.crs
    if base is not None and "site_polygon" not in sent:
        v["site_polygon"], v["polygon_crs"] = base["site_polygon"], "wgs84"
    else:
        v["site_polygon"], v["polygon_crs"] = fields.site_polygon, fields.crs
    if base is not None and "funding" not in sent:
        v["funding"] = [
            FundingIn(source=s, amount=Decimal(str(a))) for s, a in base["funding"].items()
        ]
    else:
        v["funding"] = list(fields.funding or [])
    sent_ms = list(fields.milestones or [])
    validate.milestone_kinds(sent_ms)
    current: dict[str, MilestoneIn] = {}
    if base is not None:
        current = {
            k: MilestoneIn(kind=k, planned_date=d["planned_date"], actual_date=d["actual_date"])
            for k, d in base["milestones"].items()
        }
    for m in sent_ms:
        old = current.get(m.kind)
        if old is None:
            current[m.kind] = m
        else:  # only the dates sent change
            current[m.kind] = old.model_copy(
                update={
                    f: getattr(m, f)
                    for f in ("planned_date", "actual_date")
                    if f in m.model_fields_set
                }  # fmt: skip
            )
    v["milestones"] = list(current.values())
    return v


def create_project(
    *, session: Session, project_in: ProjectIn, actor: history.Actor, today: date, personal: bool
) -> dict[str, Any]:
    """Create a project with its funding and milestones (one transaction).

    Returns the project as :func:`get_project` shows it, plus ``warnings``.
    """
    prep, warns = _prepare(session, _values(project_in, None), today=today)
    cols = prep["cols"]
    pid = session.execute(
        sa.text(
            f"INSERT INTO projects ({', '.join(COLUMNS)}, site, site_polygon) VALUES "
            f"({', '.join(':' + c for c in COLUMNS)}, ST_SetSRID(ST_Point(:x, :y), 4326), "
            "ST_GeomFromText(:poly, 4326)) RETURNING id"
        ),
        {**cols, "x": prep["x"], "y": prep["y"], "poly": prep["poly"]},
    ).scalar_one()
    _write_children(session, pid, prep)
    history.record(
        session=session, project_id=pid, actor=actor, action="create", before=None,
        after=history.snapshot(session=session, project_id=pid),
    )  # fmt: skip
    session.commit()
    out = get_project(session=session, project_id=pid, today=today, personal=personal)
    out["warnings"] = [w.to_dict() for w in warns]
    return out


def update_project(
    *,
    session: Session,
    project_id: int,
    patch: ProjectPatch,
    actor: history.Actor,
    today: date,
    personal: bool,
) -> dict[str, Any]:
    """Change a project; only the fields sent change. Records before/after in its history."""
    before = history.snapshot(session=session, project_id=project_id, lock=True)
    prep, warns = _prepare(session, _values(patch, before), today=today)
    cols = prep["cols"]
    session.execute(
        sa.text(
            f"UPDATE projects SET {', '.join(f'{c} = :{c}' for c in COLUMNS)}, "
            "site = ST_SetSRID(ST_Point(:x, :y), 4326), site_polygon = ST_GeomFromText(:poly, 4326)"
            " WHERE id = :id"
        ),
        {**cols, "x": prep["x"], "y": prep["y"], "poly": prep["poly"], "id": project_id},
    )
    _write_children(session, project_id, prep)
    after = history.snapshot(session=session, project_id=project_id)
    b, a = history.diff(before, after)
    if a or b:
        session.execute(
            sa.text("UPDATE projects SET updated_at = now() WHERE id = :id"), {"id": project_id}
        )
        history.record(
            session=session, project_id=project_id, actor=actor, action="update", before=b, after=a
        )
    session.commit()
    out = get_project(session=session, project_id=project_id, today=today, personal=personal)
    out["warnings"] = [w.to_dict() for w in warns]
    out["changed"] = sorted(a or b)
    return out


def delete_project(*, session: Session, project_id: int, actor: history.Actor) -> None:
    """Delete a project (its reports, photos' records, funding and milestones go with it);
    the history keeps the last state."""
    before = history.snapshot(session=session, project_id=project_id, lock=True)
    session.execute(sa.text("DELETE FROM projects WHERE id = :id"), {"id": project_id})
    history.record(
        session=session,
        project_id=project_id,
        actor=actor,
        action="delete",
        before=before,
        after=None,
    )
    session.commit()
