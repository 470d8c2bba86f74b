"""What storing a report answers, and the answer for a client id that is stored already."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gis.cases.actor import Actor
from gis.cases.prepared import Bind
from gis.cases.views import CASE_FROM, CASE_SELECT, case_view
from gis.errors import Forbidden, NotFound


@dataclass
class CreateResult:
    """The stored case, whether this call created it, and possible duplicates."""

    case: dict[str, Any]
    created: bool
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    photos: list[dict[str, Any]] = field(default_factory=list)


_BY_CLIENT = sa.text(f"SELECT {CASE_SELECT} FROM {CASE_FROM} WHERE c.client_id = :cid")


def existing_case(*, bind: Bind, client_id: uuid.UUID, actor: Actor) -> CreateResult:
    """The case already stored under ``client_id`` (``created=False``).

    Raises
    ------
    Forbidden
        The case is someone else's that the actor may not see.
    """
    row = bind.execute(_BY_CLIENT, {"cid": str(client_id)}).first()
    bind.rollback()
    if row is None:  # cannot happen: the insert conflicted with a committed row
        raise NotFound(f"案卷不存在 (no such case): {client_id}", field="client_id")
    from gis.cases.repository import can_see

    if not (can_see(actor, row) or row.reported_by == actor.username):
        raise Forbidden("该客户端编号已被他人使用 (client id already used)", field="client_id")
    return CreateResult(case=case_view(row, sees_personal=actor.sees_personal), created=False)
