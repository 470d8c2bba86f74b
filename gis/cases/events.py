"""Case history rows and the live-feed notification written with them.

Every history row is inserted together with ``pg_notify`` in the same statement, so the
notification is sent exactly when (and only if) the writing transaction commits. The
payload is the public summary of the event (no personal data); its ``id`` is the
``case_events.id``, which clients pass back as ``Last-Event-ID`` to resume.
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.cases.settings import get_case_settings

#: One event as the feed shows it; ``e`` is the case_events row, ``c`` the case.
EVENT_JSON = """json_build_object(
    'id', e.id, 'kind', CASE e.action WHEN 'report' THEN 'case.created'
                                       WHEN 'overdue' THEN 'case.overdue'
                                       ELSE 'case.updated' END,
    'action', e.action, 'from_state', e.from_state, 'to_state', e.to_state,
    'at', e.at, 'case_no', c.case_no, 'state', c.state, 'category', c.category_code,
    'sensitive', cat.sensitive, 'township', c.township_code, 'community', c.community_code,
    'grid', c.grid_code, 'department', c.department_code, 'deadline_at', c.deadline_at,
    'lon', round(ST_X(c.geom)::numeric, 6), 'lat', round(ST_Y(c.geom)::numeric, 6))"""

_CHANNEL_OK = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_INSERT = f"""
    WITH e AS (
        INSERT INTO case_events (case_id, actor, action, from_state, to_state, note, geom, data)
        VALUES (:case_id, :actor, :action, :from_state, :to_state, :note,
                CASE WHEN :lon IS NULL THEN NULL
                     ELSE ST_SetSRID(ST_Point(:lon, :lat), 4326) END,
                CAST(:data AS jsonb))
        RETURNING *
    )
    SELECT e.id, pg_notify(:channel, {EVENT_JSON}::text)
    FROM e JOIN cases c ON c.id = e.case_id JOIN categories cat ON cat.code = c.category_code
"""
_REPLAY = sa.text(f"""
    SELECT {EVENT_JSON} AS payload
    FROM case_events e JOIN cases c ON c.id = e.case_id
    JOIN categories cat ON cat.code = c.category_code
    WHERE e.id > greatest(:after, (SELECT coalesce(max(id), 0) FROM case_events) - :limit)
    ORDER BY e.id
    LIMIT :limit
""")


def channel() -> str:
    """The NOTIFY channel (checked: it is spliced into ``LISTEN``)."""
    name = get_case_settings().events_channel
    if not _CHANNEL_OK.match(name):
        raise ValueError(f"GRIDMAP_EVENTS_CHANNEL must be a plain identifier, got {name!r}")
    return name


def record_event(
    *,
    session: Session,
    case_id: int,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    note: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Append one immutable history row and queue its notification; returns its id."""
    row = session.execute(
        sa.text(_INSERT).bindparams(
            sa.bindparam("lon", type_=sa.Float), sa.bindparam("lat", type_=sa.Float)
        ),
        {
            "case_id": case_id,
            "actor": actor,
            "action": action,
            "from_state": from_state,
            "to_state": to_state,
            "note": note,
            "lon": lon,
            "lat": lat,
            "data": json.dumps(data or {}, ensure_ascii=False, default=str),
            "channel": channel(),
        },
    ).one()
    return int(row[0])


def replay(*, bind: Session | Connection, after: int, limit: int = 1000) -> list[dict[str, Any]]:
    """Events with an id above ``after`` (oldest first), as the feed sends them.

    At most the newest ``limit`` events are replayed; a client further behind reloads.
    """
    rows = bind.execute(_REPLAY, {"after": after, "limit": limit}).scalars().all()
    return [r if isinstance(r, dict) else json.loads(r) for r in rows]


def last_event_id(*, bind: Session | Connection) -> int:
    """The highest event id so far (0 when there is none)."""
    return int(bind.execute(sa.text("SELECT coalesce(max(id), 0) FROM case_events")).scalar_one())


def public_payload(event: dict[str, Any], *, sees_personal: bool) -> dict[str, Any]:
    """The event for one subscriber: sensitive categories lose the exact place for others."""
    if event.get("sensitive") and not sees_personal:
        out = dict(event)
        for key in ("lon", "lat"):
            if out.get(key) is not None:
                out[key] = round(float(out[key]), 3)
        out["grid"] = None
        return out
    return event
