"""The write at the heart of intake: number, case, first history row and NOTIFY in one statement.

The day's counter row is locked from the increment until commit, so the statement is kept
to one round trip: everything before it (locating, assigning, duplicate search) runs
without holding the lock.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.cases.events import EVENT_JSON, channel
from gis.cases.numbering import DISTRICT, ensure_day

_INSERT = sa.text(f"""
    WITH n AS (
        UPDATE case_counters SET last = last + 1 WHERE day = :day RETURNING last
    ), c AS (
        INSERT INTO cases (case_no, client_id, category_code, description, address, geom,
                           township_code, community_code, grid_code, state, source,
                           reporter_name, reporter_phone, reported_by, attributes, assignee,
                           reported_at, updated_at)
        SELECT :prefix || lpad(n.last::text, greatest(4, length(n.last::text)), '0'),
               :client_id, :category, :description, :address,
               ST_SetSRID(ST_Point(:lon, :lat), 4326), :township, :community, :grid,
               'reported', :source, :reporter_name, :reporter_phone, :reported_by,
               CAST(:attributes AS jsonb), :assignee, :reported_at, now()
        FROM n
        ON CONFLICT (client_id) DO NOTHING
        RETURNING *
    ), e AS (
        INSERT INTO case_events (case_id, actor, action, from_state, to_state, geom, data)
        SELECT c.id, :reported_by, 'report', NULL, 'reported', c.geom, CAST(:data AS jsonb)
        FROM c
        RETURNING *
    )
    SELECT c.id, c.case_no, e.id AS event_id, pg_notify(:channel, {EVENT_JSON}::text)
    FROM c JOIN e ON e.case_id = c.id JOIN categories cat ON cat.code = c.category_code
""")


def insert_report(
    *, session: Session, day: str, values: dict[str, Any], data: dict[str, Any]
) -> tuple[int, str, int] | None:
    """Insert a numbered case and its ``report`` event; None if the client id already exists.

    Parameters
    ----------
    day : str
        Beijing day ``YYYYMMDD`` of the number.
    values : dict
        Case columns (``client_id``, ``category``, ``lon`` …, ``reported_by``).
    data : dict
        The history row's ``data``.
    """
    ensure_day(session=session, day=day)
    row = session.execute(
        _INSERT,
        {
            **values,
            "attributes": json.dumps(values.get("attributes") or {}, ensure_ascii=False),
            "day": day,
            "prefix": f"{DISTRICT}-{day}-",
            "data": json.dumps(data, ensure_ascii=False, default=str),
            "channel": channel(),
        },
    ).first()
    if row is None:
        return None
    return int(row.id), str(row.case_no), int(row.event_id)
