"""The audit trail: every write lands here, in the writer's own transaction.

Rows are append-only: triggers on ``audit_log`` refuse UPDATE, DELETE and TRUNCATE, whoever
asks (migration 0005). Callers pass the acting principal (or a username) and the object's
state before and after the change::

    from gis import audit

    audit.record(session=session, actor=principal, action="case.dispatch",
                 object_type="case", object_id=case.case_no,
                 before={"status": "registered"}, after={"status": "dispatched"})
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.errors import InvalidInput

# Never written to the audit log, whatever a caller passes in ``before``/``after``.
SECRET_KEYS = frozenset({"password", "password_hash", "key", "key_hash", "token", "token_hash"})
MAX_LIMIT = 1000


@runtime_checkable
class Actor(Protocol):
    """Anything with a username and a role (``api.security.Principal`` is one)."""

    username: str | None
    role: str


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): ("***" if str(k) in SECRET_KEYS else _plain(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_plain(v) for v in items]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(_plain(value), ensure_ascii=False)


def record(
    *,
    session: Session | sa.Connection,
    actor: Actor | str | None,
    action: str,
    object_type: str,
    object_id: str | int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    client: str | None = None,
    role: str | None = None,
) -> int:
    """Append one audit row in the caller's transaction; returns its id.

    Parameters
    ----------
    session
        The session (or connection) doing the write: the row commits or rolls back with it.
    actor
        The principal, or a username (None: anonymous / the system).
    action
        Dotted verb, e.g. ``case.dispatch``, ``user.create``, ``auth.login``.
    object_type, object_id
        What was acted on (``case``, ``CASE-2026-000123``).
    before, after
        JSON-able snapshots; keys such as ``password_hash`` are masked.
    client
        The client's address; taken from ``actor.client`` when not given.
    role
        The actor's role when ``actor`` is a username (a principal brings its own).
    """
    if not action or not object_type:
        raise ValueError("audit.record needs an action and an object_type")
    if isinstance(actor, str) or actor is None:
        username = actor
    else:
        username, role = actor.username, getattr(actor, "role", None)
        client = client or getattr(actor, "client", None)
    row = session.execute(
        sa.text(
            "INSERT INTO audit_log (actor, actor_role, action, object_type, object_id, before,"
            " after, client) VALUES (:actor, :role, :action, :otype, :oid, CAST(:before AS jsonb),"
            " CAST(:after AS jsonb), :client) RETURNING id"
        ),
        {
            "actor": username,
            "role": role,
            "action": action,
            "otype": object_type,
            "oid": None if object_id is None else str(object_id),
            "before": _json(before),
            "after": _json(after),
            "client": client,
        },
    )
    return int(row.scalar_one())


@dataclass(frozen=True)
class AuditQuery:
    """Filters of an audit search; all optional, combined with AND."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # paging: rows older than this id
    limit: int = 100


def _utc(value: datetime | None, field: str) -> datetime | None:
    """Aware times in UTC (PostgreSQL refuses offsets beyond ±15:59); naive ones as given."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidInput(f"{field} 超出范围 (time out of range)", field=field) from exc


def search(*, session: Session, query: AuditQuery) -> list[dict[str, Any]]:
    """Audit rows matching ``query``, newest first.

    Raises
    ------
    InvalidInput
        ``limit`` outside 1–1000, or ``since`` after ``until``.
    """
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit 须在 1–{MAX_LIMIT} 之间 (limit out of range)", field="limit")
    since, until = _utc(query.since, "since"), _utc(query.until, "until")
    if (since and until) and (since.tzinfo is None) != (until.tzinfo is None):
        raise InvalidInput("since 与 until 须同时带或不带时区 (mixed time zones)", field="until")
    if since and until and since > until:
        raise InvalidInput("since 晚于 until (since is after until)", field="since")
    where, params = ["true"], {"limit": query.limit}
    for col in ("actor", "action", "object_type", "object_id"):
        value = getattr(query, col)
        if value is not None:
            where.append(f"{col} = :{col}")  # column names are fixed here, never from input
            params[col] = value
    if since:
        where.append("at >= :since")
        params["since"] = since
    if until:
        where.append("at < :until")
        params["until"] = until
    if query.before_id:
        where.append("id < :before_id")
        params["before_id"] = query.before_id
    rows = session.execute(
        sa.text(
            "SELECT id, at, actor, actor_role, action, object_type, object_id, before, after,"
            f" client FROM audit_log WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT :limit"
        ),
        params,
    ).mappings()
    return [{**r, "at": r["at"].isoformat()} for r in rows]
