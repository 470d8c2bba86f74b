"""The case list: filters, paging and a bounded count, for the dashboard and the field app.

Every filter becomes a bound parameter in a fixed SQL template; nothing from the request
is spliced into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.cases.actor import Actor
from gis.cases.repository import visible_clause
from gis.cases.views import CASE_FROM, CASE_SELECT, case_view
from gis.cases.workflow import CLOCK_STATES, STATES
from gis.errors import InvalidInput

COUNT_CAP = 10_000
SORTS = {
    "-reported_at": "c.reported_at DESC, c.id DESC",
    "reported_at": "c.reported_at, c.id",
    "deadline_at": "c.deadline_at NULLS LAST, c.id",
    "-updated_at": "c.updated_at DESC, c.id DESC",
}


@dataclass(frozen=True)
class CaseFilter:
    """What to list. Every field is optional; they combine with AND."""

    state: tuple[str, ...] = ()
    category: str | None = None
    township: str | None = None
    community: str | None = None
    grid: str | None = None
    department: str | None = None
    assignee: str | None = None
    source: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    overdue: bool | None = None
    bbox: tuple[float, float, float, float] | None = None
    q: str | None = None
    sort: str = "-reported_at"
    limit: int = 50
    offset: int = 0


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` → four floats, checked."""
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]):
        raise InvalidInput(
            f"bbox 应为 minlon,minlat,maxlon,maxlat (bad bbox): {text!r}", field="bbox"
        )
    return parts  # type: ignore[return-value]


def _where(f: CaseFilter, actor: Actor) -> tuple[str, dict[str, Any]]:
    vis, params = visible_clause(actor)
    conds = [vis]
    if f.state:
        bad = [s for s in f.state if s not in STATES]
        if bad:
            raise InvalidInput(f"未知状态 (unknown state): {bad[0]}", field="state")
        conds.append("c.state = ANY(:states)")
        params["states"] = list(f.state)
    if f.category:
        if not re.fullmatch(r"[0-9]{2}([0-9]{2})?", f.category):
            raise InvalidInput(f"类别代码无效 (bad category): {f.category}", field="category")
        conds.append("c.category_code LIKE :cat")
        params["cat"] = f.category + "%"
    for name, col in (
        ("township", "township_code"),
        ("community", "community_code"),
        ("grid", "grid_code"),
        ("department", "department_code"),
        ("assignee", "assignee"),
        ("source", "source"),
    ):
        value = getattr(f, name)
        if value:
            conds.append(f"c.{col} = :{name}")
            params[name] = value
    if f.reported_from:
        conds.append("c.reported_at >= :rfrom")
        params["rfrom"] = f.reported_from
    if f.reported_to:
        conds.append("c.reported_at < :rto")
        params["rto"] = f.reported_to
    if f.overdue is not None:
        clock = "c.state IN ({})".format(", ".join(f"'{s}'" for s in sorted(CLOCK_STATES)))
        overdue = f"({clock} AND c.deadline_at < now())"
        conds.append(overdue if f.overdue else f"NOT coalesce({overdue}, false)")
    if f.bbox:
        conds.append("c.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        params.update(zip(("x0", "y0", "x1", "y1"), f.bbox, strict=True))
    if f.q:
        q = f.q.strip()
        if not re.fullmatch(r"[0-9-]{1,24}", q):
            raise InvalidInput("q 只能是案卷编号或其一部分 (q: case number digits)", field="q")
        conds.append("c.case_no LIKE :q")
        params["q"] = ("%" if not q.startswith("630202") else "") + q + "%"
    return " AND ".join(conds), params


def list_cases(*, session: Session, flt: CaseFilter, actor: Actor) -> dict[str, Any]:
    """One page of cases and a count (exact up to 10,000, else a lower bound).

    Returns
    -------
    dict
        ``items`` (case views without history), ``total``, ``total_exact``, ``limit``,
        ``offset``.

    Raises
    ------
    InvalidInput
        A filter value that cannot be used (unknown state, bad bbox …).
    """
    if not 1 <= flt.limit <= 500:
        raise InvalidInput("limit 应在 1–500 之间 (limit must be 1–500)", field="limit")
    if not 0 <= flt.offset <= 100_000:
        raise InvalidInput("offset 应在 0–100000 之间 (offset out of range)", field="offset")
    order = SORTS.get(flt.sort)
    if order is None:
        raise InvalidInput(f"sort 可选 (sort one of): {', '.join(SORTS)}", field="sort")
    where, params = _where(flt, actor)
    rows = session.execute(
        sa.text(
            f"SELECT {CASE_SELECT} FROM {CASE_FROM} WHERE {where} "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": flt.limit, "offset": flt.offset},
    ).all()
    total = session.execute(
        sa.text(f"SELECT count(*) FROM (SELECT 1 FROM cases c WHERE {where} LIMIT :cap) s"),
        {**params, "cap": COUNT_CAP + 1},
    ).scalar_one()
    session.rollback()
    return {
        "items": [case_view(r, sees_personal=actor.sees_personal) for r in rows],
        "total": min(int(total), COUNT_CAP),
        "total_exact": int(total) <= COUNT_CAP,
        "limit": flt.limit,
        "offset": flt.offset,
    }
