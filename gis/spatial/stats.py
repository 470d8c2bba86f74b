"""Case indicators (KPIs) per grid, community, township, department or the whole district.

Definitions — one window ``W = [start, end)`` and ``as_of = min(end, now)``:

- **due** (应结案数): cases that were dispatched (have a ``deadline_at``), are not cancelled
  or merged, and whose ``deadline_at`` falls in ``W``. Every rate below is taken over this
  cohort, so rates stay between 0 and 1 and a window can be recomputed later with the same
  result.
- **closed** (结案数): due cases with ``closed_at <= as_of``.
- **closed_on_time** (按期结案数): closed due cases with ``closed_at <= deadline_at``;
  **closed_late** (超期结案数): the rest of the closed ones.
- **overdue** (超期未结数): due cases not closed by ``as_of`` whose deadline has passed by
  ``as_of``, except suspended (缓办) cases, whose clock is stopped. Derived, never stored.
- **overdue_now** (当前超期): open cases (dispatched, processing, responded) whose deadline
  is before now, whatever the window — the backlog a commander chases today.
- **rework** (返工数) / **extended** (延期数): due cases with ``rework_count > 0`` /
  ``extension_count > 0``.
- 结案率 ``closure_rate = closed / due``; 按期结案率 ``on_time_rate = closed_on_time / due``;
  返工率 ``rework_rate = rework / due``; 延期率 ``extension_rate = extended / due``;
  ``overdue_rate = overdue / due``. ``None`` when nothing was due.
- **mean_handling_hours** (平均处置时长): mean of ``closed_at − dispatched_at`` (calendar
  hours) over the closed due cases.
- **reported** (上报数): cases reported in ``W`` (any state), broken down ``by_class``
  (大类) and ``by_state`` — the volume, not the cohort.

A unit whose ``due`` is below ``min_due`` (default 10) is flagged ``small_sample`` and sorted
after the others in a league table; ``on_time_rate_lower`` is the 95 % Wilson lower bound of
the on-time rate, a fairer ranking score for small units.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.spatial.params import Window, int_in, parent_prefix

LEVELS = ("grid", "community", "township", "department", "district")
RATES = ("closure_rate", "on_time_rate", "rework_rate", "extension_rate", "overdue_rate")
COUNTS = (
    "due",
    "closed",
    "closed_on_time",
    "closed_late",
    "overdue",
    "rework",
    "extended",
    "reported",
    "overdue_now",
)
METRICS = (*RATES, *COUNTS, "mean_handling_hours", "on_time_rate_lower")
OPEN_STATES = ("dispatched", "processing", "responded")

#: Case column holding the unit code at each level (constants, never from a request).
KEY = {
    "grid": "c.grid_code",
    "community": "c.community_code",
    "township": "c.township_code",
    "department": "c.department_code",
    "district": "'630202000000'",
}
#: The units of each level: code, name, parent code (constants).
UNITS = {
    "grid": "SELECT code, name, community_code AS parent_code FROM grids WHERE valid_to IS NULL",
    "community": "SELECT code, name, parent_code FROM admin_units "
    "WHERE level = 5 AND valid_to IS NULL",
    "township": "SELECT code, name, parent_code FROM admin_units "
    "WHERE level = 4 AND valid_to IS NULL",
    "department": "SELECT code, name, NULL::text AS parent_code FROM departments",
    "district": "SELECT code, name, parent_code FROM admin_units "
    "WHERE level = 3 AND valid_to IS NULL",
}

DUE = (
    "(c.deadline_at >= :start AND c.deadline_at < :end AND c.state NOT IN ('cancelled', 'merged'))"
)
CLOSED = f"({DUE} AND c.closed_at <= :as_of)"
#: KPI aggregates of the due cohort per group; ``{key}`` and ``{where}`` are filled from
#: constants. Every column read is in ``cases_due_idx`` (migration 0010_analysis_speed), so
#: this is an index-only scan of the window's slice of that index.
DUE_SQL = f"""
    SELECT {{key}} AS key,
        count(*) AS due,
        count(*) FILTER (WHERE c.closed_at <= :as_of) AS closed,
        count(*) FILTER (WHERE c.closed_at <= :as_of AND c.closed_at <= c.deadline_at)
            AS closed_on_time,
        count(*) FILTER (WHERE c.closed_at <= :as_of AND c.closed_at > c.deadline_at)
            AS closed_late,
        count(*) FILTER (WHERE (c.closed_at IS NULL OR c.closed_at > :as_of)
                         AND c.deadline_at < :as_of AND c.state <> 'suspended') AS overdue,
        count(*) FILTER (WHERE c.rework_count > 0) AS rework,
        count(*) FILTER (WHERE c.extension_count > 0) AS extended,
        avg(extract(epoch FROM c.closed_at - c.dispatched_at) / 3600.0)
            FILTER (WHERE c.closed_at <= :as_of AND c.dispatched_at IS NOT NULL)
            AS mean_handling_hours
    FROM cases c
    WHERE {DUE} {{where}}
    GROUP BY 1
"""
#: Cases reported in the window per group (``cases_reported_cover_idx``).
REPORTED_SQL = """
    SELECT {key} AS key, count(*) AS n FROM cases c
    WHERE c.reported_at >= :start AND c.reported_at < :end {where}
    GROUP BY 1
"""
BREAKDOWN_SQL = """
    SELECT {key} AS key, left(c.category_code, 2) AS class, c.state, count(*) AS n
    FROM cases c
    WHERE c.reported_at >= :start AND c.reported_at < :end {where}
    GROUP BY 1, 2, 3
"""
BACKLOG_SQL = """
    SELECT {key} AS key, count(*) AS n FROM cases c
    WHERE c.state IN ('dispatched', 'processing', 'responded') AND c.deadline_at < :now {where}
    GROUP BY 1
"""


def filters(
    *, category: str | None = None, department: str | None = None, parent: str | None = None
) -> tuple[str, dict[str, Any]]:
    """An SQL condition on ``cases c`` (from constants) and its bound parameters.

    ``parent`` restricts to a township (12-digit code, matched on its 9-digit prefix) or a
    community (matched on the whole code) — checked by :func:`check_parent`.
    """
    sql, bind = "", {}
    if category:
        sql += " AND c.category_code LIKE :cat_prefix"
        bind["cat_prefix"] = category + "%"
    if department:
        sql += " AND c.department_code = :department"
        bind["department"] = department
    if parent:
        sql += " AND c.grid_code LIKE :parent_prefix"
        bind["parent_prefix"] = parent + "%"
    return sql, bind


def check_filters(
    bind: Session | Connection,
    *,
    category: str | None,
    department: str | None,
    parent: str | None,
) -> str | None:
    """Check the filters exist; return the grid-code prefix for ``parent``.

    Raises
    ------
    InvalidInput
        A malformed ``category`` or ``parent`` code.
    NotFound
        An unknown ``category``, ``department`` or ``parent``.
    """
    if category is not None:
        if not (category.isdigit() and len(category) in (2, 4)):
            raise InvalidInput(
                f"类别代码应为 2 或 4 位数字 (category must be 2 or 4 digits): {category!r}",
                field="category",
            )
        if not bind.execute(
            sa.text("SELECT 1 FROM categories WHERE code = :c"), {"c": category}
        ).first():
            raise NotFound(f"未知类别 (unknown category): {category}", field="category")
    if (
        department is not None
        and not bind.execute(
            sa.text("SELECT 1 FROM departments WHERE code = :d"), {"d": department}
        ).first()
    ):
        raise NotFound(f"未知部门 (unknown department): {department}", field="department")
    return None if parent is None else parent_prefix(bind, parent)


def wilson_lower(successes: int, n: int, z: float = 1.96) -> float | None:
    """The lower bound of the Wilson score interval for ``successes / n``.

    Examples
    --------
    >>> round(wilson_lower(2, 2), 3), round(wilson_lower(200, 200), 3)
    (0.342, 0.981)
    """
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / denom)


def derive(row: dict[str, Any], *, min_due: int) -> dict[str, Any]:
    """Add rates, the Wilson bound and the small-sample flag to a row of counts."""
    out: dict[str, Any] = {k: int(row.get(k) or 0) for k in COUNTS}
    due = out["due"]

    def ratio(x: int) -> float | None:
        return round(x / due, 4) if due else None

    out["closure_rate"] = ratio(out["closed"])
    out["on_time_rate"] = ratio(out["closed_on_time"])
    out["rework_rate"] = ratio(out["rework"])
    out["extension_rate"] = ratio(out["extended"])
    out["overdue_rate"] = ratio(out["overdue"])
    lower = wilson_lower(out["closed_on_time"], due)
    out["on_time_rate_lower"] = round(lower, 4) if lower is not None else None
    mh = row.get("mean_handling_hours")
    out["mean_handling_hours"] = round(float(mh), 2) if mh is not None else None
    out["small_sample"] = due < min_due
    return out


def kpis(
    bind: Session | Connection,
    *,
    level: str,
    window: Window,
    category: str | None = None,
    department: str | None = None,
    parent: str | None = None,
    min_due: int = 10,
    sort: str | None = None,
    descending: bool = True,
    breakdown: bool = True,
    now: datetime | None = None,
) -> dict[str, Any]:
    """KPIs of every unit of ``level`` in ``window`` (see the module docstring).

    Parameters
    ----------
    level
        ``grid``, ``community``, ``township``, ``department`` or ``district``.
    category
        Restrict to a 大类 (2 digits) or 小类 (4 digits).
    department
        Restrict to cases dispatched to this department.
    parent
        Restrict to the cases and units inside a township or community (12-digit code).
    min_due
        Units with fewer due cases are flagged ``small_sample`` (0…10000).
    sort
        A metric name (``METRICS``) for a league table; small samples go last.
    breakdown
        Add ``by_class`` and ``by_state`` counts of the reported cases to each unit.

    Returns
    -------
    dict
        ``level``, ``window`` (start, end, as_of), ``total`` (district-wide KPIs of the
        selection) and ``units`` (one entry per unit, zero-case units included).

    Raises
    ------
    InvalidInput
        An unknown ``level`` or ``sort``, a bad ``min_due``, ``category`` or ``parent``.
    NotFound
        An unknown ``category``, ``department`` or ``parent``.

    Examples
    --------
    >>> out = kpis(session, level="township", window=window(None, None))  # doctest: +SKIP
    >>> sorted(out["total"])[:3]  # doctest: +SKIP
    ['closed', 'closed_late', 'closed_on_time']
    """
    if level not in LEVELS:
        raise InvalidInput(
            f"未知统计层级 (unknown level) {level!r}; known: {', '.join(LEVELS)}", field="level"
        )
    if sort is not None and sort not in METRICS:
        raise InvalidInput(
            f"未知排序指标 (unknown sort metric) {sort!r}; known: {', '.join(METRICS)}",
            field="sort",
        )
    int_in(min_due, field="min_due", lo=0, hi=10_000)
    prefix = check_filters(bind, category=category, department=department, parent=parent)
    now = now or datetime.now(UTC)
    where, extra = filters(category=category, department=department, parent=prefix)
    p = {"start": window.start, "end": window.end, "as_of": min(window.end, now), "now": now}
    p |= extra
    key = KEY[level]
    rows = {
        r.key: dict(r._mapping)
        for r in bind.execute(sa.text(DUE_SQL.format(key=key, where=where)), p)
    }
    backlog: dict[str, int] = dict(
        bind.execute(sa.text(BACKLOG_SQL.format(key=key, where=where)), p).all()
    )
    for k, n in backlog.items():
        rows.setdefault(k, {})["overdue_now"] = n
    units_sql = UNITS[level]
    if prefix and level in ("grid", "community", "township"):
        units_sql = f"SELECT * FROM ({units_sql}) u WHERE u.code LIKE :parent_prefix"
    units = bind.execute(sa.text(units_sql), p).all()
    breakdowns: dict[Any, dict[str, dict[str, int]]] = {}
    reported: dict[Any, int] = {}
    if breakdown:
        for k, cls, state, n in bind.execute(
            sa.text(BREAKDOWN_SQL.format(key=key, where=where)), p
        ):
            b = breakdowns.setdefault(k, {"by_class": {}, "by_state": {}})
            b["by_class"][cls] = b["by_class"].get(cls, 0) + n
            b["by_state"][state] = b["by_state"].get(state, 0) + n
            reported[k] = reported.get(k, 0) + n
    else:
        reported = dict(bind.execute(sa.text(REPORTED_SQL.format(key=key, where=where)), p).all())
    for k, n in reported.items():
        rows.setdefault(k, {})["reported"] = n
    out_units = []
    for u in units:
        entry = {"code": u.code, "name": u.name, "parent_code": u.parent_code}
        entry |= derive(rows.get(u.code, {}), min_due=min_due)
        if breakdown:
            entry |= breakdowns.get(u.code, {"by_class": {}, "by_state": {}})
        out_units.append(entry)
    if sort:
        present = [u for u in out_units if u[sort] is not None and not u["small_sample"]]
        rest = [u for u in out_units if u[sort] is None or u["small_sample"]]
        present.sort(key=lambda u: u[sort], reverse=descending)
        out_units = present + rest
    total_row = _total(rows.values())
    return {
        "level": level,
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "as_of": p["as_of"].isoformat(),
        },
        "filters": {"category": category, "department": department, "parent": parent},
        "min_due": min_due,
        "total": derive(total_row, min_due=min_due),
        "units": out_units,
    }


def _total(rows: Any) -> dict[str, Any]:
    tot: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    hours, n_closed = 0.0, 0
    for r in rows:
        for k in COUNTS:
            tot[k] += int(r.get(k) or 0)
        if r.get("mean_handling_hours") is not None:
            hours += float(r["mean_handling_hours"]) * int(r["closed"])
            n_closed += int(r["closed"])
    tot["mean_handling_hours"] = hours / n_closed if n_closed else None
    return tot
