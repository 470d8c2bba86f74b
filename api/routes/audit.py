"""The audit log, for admins: by user, object, action and time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import SessionDep
from api.security import allow
from gis import audit

router = APIRouter(tags=["审计 audit"])


@router.get(
    "/audit",
    summary="审计日志 (audit log, newest first; page with before_id)",
    dependencies=[Depends(allow("admin"))],
)
def search_audit(
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(max_length=100)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    rows = audit.search(
        session=session,
        query=audit.AuditQuery(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
        ),
    )
    return {"items": rows, "next_before_id": rows[-1]["id"] if len(rows) == limit else None}
