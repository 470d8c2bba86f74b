"""Reading and creating cases.

``create_case`` is exactly-once per client id: a resent report returns the stored case,
and two identical reports arriving together still make one case (the unique client id
decides; the loser's transaction is rolled back and it returns the winner's case).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.cases import photos as photos_mod
from gis.cases.actor import Actor
from gis.cases.duplicates import suggest_duplicates
from gis.cases.result import CreateResult
from gis.cases.schemas import CaseIn
from gis.cases.views import CASE_FROM, CASE_SELECT, case_view
from gis.errors import NotFound

__all__ = ["CreateResult", "create_case", "get_case", "case_row", "visible_clause"]


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

    Exactly once per ``client_id``: a resent report, or one racing its twin, returns the
    stored case with ``created=False``. See :func:`gis.cases.intake.store_report`.

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
    from gis.cases.intake import store_report

    return store_report(
        bind=session,
        case_in=case_in,
        actor=actor,
        source=source,
        photos=photos,
        media_dir=media_dir,
    )


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
