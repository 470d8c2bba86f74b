"""How a case is shown: one dict per case, with personal fields only for those who may see them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from gis.cases.workflow import CANCEL_REASONS, CLOCK_STATES, STATES

#: The columns every case view needs; ``FROM`` is :data:`CASE_FROM`.
CASE_SELECT = """
    c.id, c.case_no, c.client_id, c.category_code, cat.name AS category_name,
    cat.parent_code AS category_parent, pcat.name AS category_parent_name, cat.sensitive,
    c.description, c.address, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
    c.township_code, t.name AS township_name, c.community_code, cm.name AS community_name,
    c.grid_code, g.name AS grid_name, c.state, c.source, c.reporter_name, c.reporter_phone,
    c.reported_by, c.attributes, c.assignee, c.department_code, d.name AS department_name,
    c.reported_at, c.registered_at, c.dispatched_at, c.deadline_at, c.responded_at,
    c.closed_at, c.rework_count, c.extension_count, c.extension_request_hours,
    c.cancel_reason, c.suspended_at, c.resume_state, m.case_no AS merged_into_no,
    c.updated_at, now() AS now
"""
CASE_FROM = """
    cases c
    JOIN categories cat ON cat.code = c.category_code
    LEFT JOIN categories pcat ON pcat.code = cat.parent_code
    LEFT JOIN admin_units t ON t.code = c.township_code AND t.valid_to IS NULL
    LEFT JOIN admin_units cm ON cm.code = c.community_code AND cm.valid_to IS NULL
    LEFT JOIN grids g ON g.code = c.grid_code AND g.valid_to IS NULL
    LEFT JOIN departments d ON d.code = c.department_code
    LEFT JOIN cases m ON m.id = c.merged_into
"""
REDACTED = "（涉及个人信息，已隐藏）(withheld: personal information)"


def is_overdue(state: str, deadline_at: datetime | None, now: datetime) -> bool:
    """Overdue is derived, never stored: the clock runs and the deadline has passed."""
    return state in CLOCK_STATES and deadline_at is not None and deadline_at < now


def case_view(row: Any, *, sees_personal: bool) -> dict[str, Any]:
    """One case as the API returns it.

    Parameters
    ----------
    row : Row mapping
        A row selected with :data:`CASE_SELECT`.
    sees_personal : bool
        Whether reporter details and special-population details may be shown.
    """
    r = row._mapping if hasattr(row, "_mapping") else row
    sensitive = bool(r["sensitive"])
    hours = r["extension_request_hours"]
    out: dict[str, Any] = {
        "case_no": r["case_no"],
        "client_id": str(r["client_id"]) if r["client_id"] else None,
        "category": {
            "code": r["category_code"],
            "name": r["category_name"],
            "parent_code": r["category_parent"],
            "parent_name": r["category_parent_name"],
            "sensitive": sensitive,
        },
        "description": r["description"] if sees_personal or not sensitive else REDACTED,
        "address": r["address"],
        "lon": r["lon"],
        "lat": r["lat"],
        "township": {"code": r["township_code"], "name": r["township_name"]},
        "community": {"code": r["community_code"], "name": r["community_name"]},
        "grid": {"code": r["grid_code"], "name": r["grid_name"]},
        "state": r["state"],
        "state_name": STATES.get(r["state"], r["state"]),
        "source": r["source"],
        "reported_by": r["reported_by"],
        "assignee": r["assignee"],
        "department": (
            {"code": r["department_code"], "name": r["department_name"]}
            if r["department_code"]
            else None
        ),
        "reported_at": r["reported_at"],
        "registered_at": r["registered_at"],
        "dispatched_at": r["dispatched_at"],
        "deadline_at": r["deadline_at"],
        "responded_at": r["responded_at"],
        "closed_at": r["closed_at"],
        "overdue": is_overdue(r["state"], r["deadline_at"], r["now"]),
        "late": bool(
            r["deadline_at"] and r["responded_at"] and r["responded_at"] > r["deadline_at"]
        ),
        "rework_count": r["rework_count"],
        "extension_count": r["extension_count"],
        "extension_requested_hours": float(hours) if isinstance(hours, Decimal) else hours,
        "cancel_reason": r["cancel_reason"],
        "cancel_reason_name": CANCEL_REASONS.get(r["cancel_reason"] or ""),
        "suspended_at": r["suspended_at"],
        "merged_into": r["merged_into_no"],
        "updated_at": r["updated_at"],
    }
    if sees_personal:
        out["reporter"] = {"name": r["reporter_name"], "phone": r["reporter_phone"]}
        out["attributes"] = r["attributes"] or {}
    elif not sensitive:
        out["attributes"] = r["attributes"] or {}
    return out
