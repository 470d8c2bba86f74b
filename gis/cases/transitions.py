"""Applying workflow actions to stored cases: one locked row, one history row, one commit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import audit
from gis.cases import deadlines
from gis.cases import photos as photos_mod
from gis.cases.actor import Actor, for_audit
from gis.cases.events import record_event
from gis.cases.repository import can_see, case_row, get_case
from gis.cases.schemas import ActionIn
from gis.cases.workflow import CLOSED_STATES, HANDLER_ACTIONS, check
from gis.errors import Conflict, Forbidden, InvalidInput, NotFound

_SLA = sa.text("SELECT sla_hours FROM categories WHERE code = :c")


def _need(value: Any, field: str, what: str) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"{what}不能为空 ({field} is required for this action)", field=field)
    return value


def _check_handler(actor: Actor, r: Any, action: str) -> None:
    """Handling actions belong to the case's department, or to its worker when no department."""
    if actor.role == "admin":
        return
    if actor.role == "handler":
        if not (r["department_code"] and actor.department == r["department_code"]):
            raise Forbidden(
                "只有承办部门可以处置该案卷 (only the handling department may do this)",
                field="action",
            )
    elif actor.role == "field_staff" and (
        r["department_code"] is not None or r["assignee"] != actor.username
    ):
        raise Forbidden(
            "只有被派遣的网格员可以处置该案卷 (only the assigned grid worker may do this)",
            field="action",
        )


def _dispatch(session: Session, a: ActionIn, r: Any, now: datetime) -> tuple[dict, dict]:
    if not a.department and not a.assignee:
        raise InvalidInput(
            "派遣须指定部门或网格员 (dispatch needs a department or an assignee)",
            field="department",
        )
    if (
        a.department
        and not session.execute(
            sa.text("SELECT 1 FROM departments WHERE code = :d"), {"d": a.department}
        ).first()
    ):
        raise InvalidInput(f"未知部门 (unknown department): {a.department}", field="department")
    if (
        a.assignee
        and not session.execute(
            sa.text("SELECT 1 FROM grid_staff WHERE username = :u"), {"u": a.assignee}
        ).first()
    ):
        raise InvalidInput(f"未知网格员 (unknown grid worker): {a.assignee}", field="assignee")
    sla = session.execute(_SLA, {"c": r["category_code"]}).scalar_one()
    deadline = deadlines.add_hours(now, sla, category_code=r["category_code"])
    sets = {
        "department_code": a.department,
        "assignee": a.assignee or r["assignee"],
        "dispatched_at": now,
        "deadline_at": deadline,
    }
    return sets, {"department": a.department, "assignee": sets["assignee"], "deadline_at": deadline}


def _updates(
    session: Session, a: ActionIn, r: Any, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Columns to set and event data for ``a`` on the case row ``r``."""
    act, code = a.action, r["category_code"]
    if act == "register":
        return {"registered_at": now}, {}
    if act == "cancel":
        reason = _need(a.reason, "reason", "注销原因")
        return {"cancel_reason": reason, "registered_at": r["registered_at"] or now}, {
            "reason": reason
        }
    if act == "dispatch":
        return _dispatch(session, a, r, now)
    if act == "respond":
        _need(a.note, "note", "处置说明")
        return {"responded_at": now}, {}
    if act == "verify_pass":
        return {"closed_at": now}, {}
    if act == "verify_fail":
        _need(a.note, "note", "核查意见")
        sla = session.execute(_SLA, {"c": code}).scalar_one()
        deadline = deadlines.add_hours(now, sla, category_code=code)
        return {
            "rework_count": r["rework_count"] + 1,
            "responded_at": None,
            "dispatched_at": now,
            "deadline_at": deadline,
        }, {"rework": True, "deadline_at": deadline}
    if act == "request_extension":
        hours = _need(a.hours, "hours", "延期时长")
        if r["extension_request_hours"] is not None:
            raise Conflict("已有待审批的延期申请 (an extension is already pending)", field="action")
        return {"extension_request_hours": hours}, {"hours": hours}
    if act in ("approve_extension", "reject_extension"):
        pending = r["extension_request_hours"]
        if pending is None:
            raise Conflict("没有待审批的延期申请 (no extension is pending)", field="action")
        if act == "reject_extension":
            return {"extension_request_hours": None}, {"hours": pending}
        deadline = deadlines.add_hours(r["deadline_at"], pending, category_code=code)
        return {
            "extension_request_hours": None,
            "extension_count": r["extension_count"] + 1,
            "deadline_at": deadline,
        }, {"hours": pending, "old_deadline_at": r["deadline_at"], "deadline_at": deadline}
    if act == "suspend":
        _need(a.note, "note", "缓办原因")
        return {"suspended_at": now, "resume_state": r["state"]}, {}
    if act == "resume":
        paused = deadlines.hours_between(r["suspended_at"], now, category_code=code)
        moved = deadlines.add_hours(r["deadline_at"], paused, category_code=code)
        return {"suspended_at": None, "resume_state": None, "deadline_at": moved}, {
            "paused_hours": round(paused, 2),
            "deadline_at": moved,
        }
    return {}, {}


def _merge(session: Session, a: ActionIn, r: Any, actor: Actor) -> tuple[dict, dict]:
    into = _need(a.into, "into", "合并目标案卷")
    if into == r["case_no"]:
        raise InvalidInput("不能合并到自身 (cannot merge a case into itself)", field="into")
    try:
        s = case_row(session=session, case_no=into, lock=True)
    except NotFound as exc:
        raise InvalidInput(f"合并目标不存在 (no such case): {into}", field="into") from exc
    if s.state in CLOSED_STATES:
        raise Conflict(
            f"合并目标已结束 (the survivor is {s.state}); 请选择未结案案卷", field="into"
        )
    record_event(
        session=session,
        case_id=s.id,
        actor=actor.username or "system",
        action="merge_in",
        from_state=s.state,
        to_state=s.state,
        note=a.note,
        data={"merged": r["case_no"]},
    )
    session.execute(sa.text("UPDATE cases SET updated_at = now() WHERE id = :i"), {"i": s.id})
    return {"merged_into": s.id}, {"into": into}


def _lock_quietly(session: Session, case_no: str) -> None:
    session.execute(sa.text("SELECT 1 FROM cases WHERE case_no = :no FOR UPDATE"), {"no": case_no})


def apply_action(
    *,
    session: Session,
    case_no: str,
    action_in: ActionIn,
    actor: Actor,
    photos: list[bytes] | None = None,
    media_dir: Path | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Take one action on a case; returns the case as the actor sees it afterwards.

    Raises
    ------
    NotFound
        No such case (or not visible to the actor).
    Forbidden
        The actor's role, department or assignment does not allow the action.
    Conflict
        The action is not allowed in the case's current state.
    InvalidInput
        A required field of the action is missing or unknown.
    """
    now = now or datetime.now(UTC)
    checked = photos_mod.check_photos(photos or [])
    if checked and action_in.action != "respond":
        raise InvalidInput("只有处置反馈可以附照片 (photos only with respond)", field="photos")
    try:
        if action_in.action == "merge" and action_in.into and action_in.into < case_no:
            _lock_quietly(session, action_in.into)  # lock both cases in number order
        row = case_row(session=session, case_no=case_no, lock=True)
        if not can_see(actor, row):
            raise NotFound(f"案卷不存在 (no such case): {case_no}", field="case_no")
        r = row._mapping
        rule = check(
            action=action_in.action,
            state=r["state"],
            role=actor.role,
            resume_state=r["resume_state"],
        )
        if action_in.action in HANDLER_ACTIONS:
            _check_handler(actor, r, action_in.action)
        if action_in.action == "merge":
            sets, data = _merge(session, action_in, r, actor)
        else:
            sets, data = _updates(session, action_in, r, now)
        sets["state"] = rule.to_state
        assign = ", ".join(f"{col} = :{col}" for col in sets)
        session.execute(
            sa.text(f"UPDATE cases SET {assign}, updated_at = now() WHERE id = :id"),
            {**sets, "id": r["id"]},
        )
        event_id = record_event(
            session=session,
            case_id=r["id"],
            actor=actor.username or "system",
            action=action_in.action,
            from_state=r["state"],
            to_state=rule.to_state,
            note=action_in.note,
            lon=action_in.lon,
            lat=action_in.lat,
            data=data,
        )
        stored = []
        if checked:
            stored = photos_mod.store_photos(
                session=session,
                photos=checked,
                case_id=r["id"],
                event_id=event_id,
                kind="response",
                lon=r["lon"],
                lat=r["lat"],
                uploaded_by=actor.username or "system",
                media_dir=media_dir or Path("."),
            )
        changed = {k: v for k, v in sets.items() if k != "merged_into"}
        audit.record(
            session=session,
            actor=for_audit(actor),
            action=f"case.{action_in.action}",
            object_type="case",
            object_id=case_no,
            before={k: r[k] for k in changed if k in r},
            after={
                **changed,
                **data,
                "note": action_in.note,
                "photos": [p["sha256"] for p in stored] or None,
            },
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    out = get_case(session=session, case_no=case_no, actor=actor)
    session.rollback()
    return out
