"""Reading and creating cases.

``create_case`` is exactly-once per client id: a resent report returns the stored case,
and two identical reports arriving together still make one case (the unique client id
decides; the loser's transaction is rolled back and it returns the winner's case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.cases import photos as photos_mod
from gis.cases.actor import Actor
from gis.cases.duplicates import suggest_duplicates
from gis.cases.insert import insert_report
from gis.cases.numbering import day_of
from gis.cases.schemas import CaseIn
from gis.cases.views import CASE_FROM, CASE_SELECT, case_view
from gis.errors import Forbidden, InvalidInput, NotFound
from gis.spatial.locate import locate

__all__ = ["CreateResult", "create_case", "get_case", "case_row", "visible_clause"]


@dataclass
class CreateResult:
    """The stored case, whether this call created it, and possible duplicates."""

    case: dict[str, Any]
    created: bool
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    photos: list[dict[str, Any]] = field(default_factory=list)


_BY_CLIENT = sa.text("SELECT case_no FROM cases WHERE client_id = :cid")
_CATEGORY = sa.text("""
    SELECT c.code, c.level, c.name, c.sensitive, c.parent_code, p.name AS parent_name
    FROM categories c LEFT JOIN categories p ON p.code = c.parent_code
    WHERE c.code = :code
""")
_ASSIGNEE = sa.text("""
    SELECT username FROM grid_staff
    WHERE grid_code = :grid AND role = 'worker' AND username IS NOT NULL
    ORDER BY id LIMIT 1
""")


class _Raced(Exception):
    """Another transaction stored the same client id first."""


def case_row(*, session: Session, case_no: str, lock: bool = False) -> Any:
    """The row of one case (selected with the view columns).

    Raises
    ------
    NotFound
        No case has this number.
    """
    sql = f"SELECT {CASE_SELECT} FROM {CASE_FROM} WHERE c.case_no = :no"
    if lock:
        sql += " FOR UPDATE OF c"
    row = session.execute(sa.text(sql), {"no": case_no}).first()
    if row is None:
        raise NotFound(f"案卷不存在 (no such case): {case_no}", field="case_no")
    return row


def visible_clause(actor: Actor) -> tuple[str, dict[str, Any]]:
    """SQL condition (on alias ``c``) limiting what the actor may see.

    Field staff see their grids, what they reported and what is assigned to them; a
    department handler sees the department's cases; other roles see all.
    """
    if actor.role == "field_staff":
        return (
            "(c.grid_code = ANY(:v_grids) OR c.assignee = :v_user OR c.reported_by = :v_user)",
            {"v_grids": sorted(actor.grids), "v_user": actor.username},
        )
    if actor.role == "handler":
        return "(c.department_code = :v_dept)", {"v_dept": actor.department}
    return "TRUE", {}


def can_see(actor: Actor, row: Any) -> bool:
    r = row._mapping
    if actor.role == "field_staff":
        return bool(
            r["grid_code"] in actor.grids or actor.username in (r["assignee"], r["reported_by"])
        )
    if actor.role == "handler":
        return bool(actor.department and r["department_code"] == actor.department)
    return True


def get_case(*, session: Session, case_no: str, actor: Actor) -> dict[str, Any]:
    """One case with its history and photos, as the actor may see it.

    Raises
    ------
    NotFound
        No such case, or one the actor may not see (not told apart, on purpose).
    """
    row = case_row(session=session, case_no=case_no)
    if not can_see(actor, row):
        raise NotFound(f"案卷不存在 (no such case): {case_no}", field="case_no")
    out = case_view(row, sees_personal=actor.sees_personal)
    hist = session.execute(
        sa.text(
            "SELECT id, at, actor, action, from_state, to_state, note, data, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM case_events "
            "WHERE case_id = :c ORDER BY at, id"
        ),
        {"c": row.id},
    ).mappings()
    out["history"] = [dict(h) for h in hist]
    out["photos"] = photos_mod.list_photos(session=session, case_id=row.id)
    return out


def _check_category(session: Session, code: str) -> Any:
    cat = session.execute(_CATEGORY, {"code": code}).first()
    if cat is None or cat.level != 2:
        raise InvalidInput(
            f"未知的案件小类 (unknown sub-category): {code}", field="category", value=code
        )
    return cat


def create_case(
    *,
    session: Session,
    case_in: CaseIn,
    actor: Actor,
    source: str = "field",
    photos: list[bytes] | None = None,
    media_dir: Path | None = None,
) -> CreateResult:
    """Store a report: locate, assign, number, first history row, photos, NOTIFY — one commit.

    Parameters
    ----------
    session : Session
        A session with no transaction open; this function commits or rolls back.
    case_in : CaseIn
        The validated report.
    actor : Actor
        Who reports (``reported_by`` and the history row's actor).
    source : str
        ``field``, ``open311`` …
    photos : list of bytes, optional
        Raw uploads; all are checked before anything is written.
    media_dir : Path, optional
        Where photo files go (required with photos).

    Raises
    ------
    InvalidInput
        Unknown category, empty description, bad photo or coordinates.
    Unprocessable
        The point is outside the district (or lat/lon swapped).
    TooLarge
        A photo is over the limit.
    """
    if case_in.client_id is not None:
        existing = session.execute(_BY_CLIENT, {"cid": case_in.client_id}).scalar()
        if existing is not None:
            session.rollback()
            return _existing(session, existing, actor)
    if not case_in.description.strip():
        raise InvalidInput("描述不能为空 (description must not be empty)", field="description")
    checked = photos_mod.check_photos(photos or [])
    if checked and media_dir is None:
        raise InvalidInput("未配置照片存储目录 (no media directory)", field="photos")
    now = datetime.now(UTC)
    reported_at = case_in.reported_at or now
    if reported_at.tzinfo is None:
        raise InvalidInput("reported_at 须带时区 (must carry a time zone)", field="reported_at")
    if reported_at > now + timedelta(minutes=5) or reported_at < now - timedelta(days=30):
        raise InvalidInput(
            "reported_at 不在合理范围内 (must be within the last 30 days)", field="reported_at"
        )
    try:
        cat = _check_category(session, case_in.category)
        loc = locate(session, lon=case_in.lon, lat=case_in.lat, crs=case_in.crs)
        assignee = session.execute(_ASSIGNEE, {"grid": loc.grid_code}).scalar()
        dups = suggest_duplicates(
            session=session, category=case_in.category, lon=loc.lon, lat=loc.lat
        )
        inserted = insert_report(
            session=session,
            day=day_of(now),
            values={
                "client_id": case_in.client_id,
                "category": case_in.category,
                "description": case_in.description.strip(),
                "address": case_in.address,
                "lon": loc.lon,
                "lat": loc.lat,
                "township": loc.township_code,
                "community": loc.community_code,
                "grid": loc.grid_code,
                "source": source,
                "reporter_name": case_in.reporter_name,
                "reporter_phone": case_in.reporter_phone,
                "reported_by": actor.username or source,
                "attributes": case_in.attributes,
                "assignee": assignee,
                "reported_at": reported_at,
            },
            data={"source": source, "crs": case_in.crs, "duplicates": [d["case_no"] for d in dups]},
        )
        if inserted is None:
            raise _Raced
        case_id, case_no, event_id = inserted
        stored = photos_mod.store_photos(
            session=session,
            photos=checked,
            case_id=case_id,
            event_id=event_id,
            kind="report",
            lon=loc.lon,
            lat=loc.lat,
            uploaded_by=actor.username or source,
            media_dir=media_dir or Path("."),
        )
        session.commit()
    except _Raced:
        session.rollback()
        assert case_in.client_id is not None
        no = session.execute(_BY_CLIENT, {"cid": case_in.client_id}).scalar_one()
        session.rollback()
        return _existing(session, no, actor)
    except BaseException:
        session.rollback()
        raise
    # The new case as stored, without reading it back (saves a query on the busiest path).
    fresh = {
        "id": case_id,
        "case_no": case_no,
        "client_id": case_in.client_id,
        "category_code": cat.code,
        "category_name": cat.name,
        "category_parent": cat.parent_code,
        "category_parent_name": cat.parent_name,
        "sensitive": cat.sensitive,
        "description": case_in.description.strip(),
        "address": case_in.address,
        "lon": loc.lon,
        "lat": loc.lat,
        "township_code": loc.township_code,
        "township_name": loc.township_name,
        "community_code": loc.community_code,
        "community_name": loc.community_name,
        "grid_code": loc.grid_code,
        "grid_name": loc.grid_name,
        "state": "reported",
        "source": source,
        "reporter_name": case_in.reporter_name,
        "reporter_phone": case_in.reporter_phone,
        "reported_by": actor.username or source,
        "attributes": case_in.attributes,
        "assignee": assignee,
        "department_code": None,
        "department_name": None,
        "reported_at": reported_at,
        "updated_at": now,
        "now": now,
        "merged_into_no": None,
        **dict.fromkeys(
            ("registered_at", "dispatched_at", "deadline_at", "responded_at", "closed_at"), None
        ),
        **dict.fromkeys(("extension_request_hours", "cancel_reason", "suspended_at"), None),
        "resume_state": None,
        "rework_count": 0,
        "extension_count": 0,
    }
    view = case_view(fresh, sees_personal=actor.sees_personal)
    return CreateResult(case=view, created=True, duplicates=dups, photos=stored)


def _existing(session: Session, case_no: str, actor: Actor) -> CreateResult:
    row = case_row(session=session, case_no=case_no)
    session.rollback()
    if not (can_see(actor, row) or row.reported_by == actor.username):
        raise Forbidden("该客户端编号已被他人使用 (client id already used)", field="client_id")
    return CreateResult(case=case_view(row, sees_personal=actor.sees_personal), created=False)


def case_duplicates(*, session: Session, case_no: str, actor: Actor) -> list[dict[str, Any]]:
    """Open cases that may report the same problem as ``case_no`` (nearest first)."""
    row = case_row(session=session, case_no=case_no)
    if not can_see(actor, row):
        raise NotFound(f"案卷不存在 (no such case): {case_no}", field="case_no")
    found = suggest_duplicates(
        session=session,
        category=row.category_code,
        lon=row.lon,
        lat=row.lat,
        exclude_case_id=row.id,
    )
    session.rollback()
    return found
