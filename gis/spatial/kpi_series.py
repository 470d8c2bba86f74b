"""KPI time series (day / week / month) and the choropleth of a KPI.

Each bucket is treated exactly as a window of its own (see :mod:`gis.spatial.stats`): its
due cohort is the cases whose deadline fell in the bucket, counted as of the bucket's end
(or now, if sooner). Buckets are local (Asia/Shanghai) days, ISO weeks or months.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.spatial import stats
from gis.spatial.params import Window

INTERVALS = {"day": 1.0, "week": 7.0, "month": 30.4}
MAX_BUCKETS = 1000
TZ = "Asia/Shanghai"

_BUCKET = f"date_trunc(:unit, {{col}} AT TIME ZONE '{TZ}')"
SERIES_SQL = f"""
    SELECT x.b AS bucket,
        count(*) AS due,
        count(*) FILTER (WHERE c.closed_at <= x.as_of) AS closed,
        count(*) FILTER (WHERE c.closed_at <= x.as_of AND c.closed_at <= c.deadline_at)
            AS closed_on_time,
        count(*) FILTER (WHERE c.closed_at <= x.as_of AND c.closed_at > c.deadline_at)
            AS closed_late,
        count(*) FILTER (WHERE (c.closed_at IS NULL OR c.closed_at > x.as_of)
                         AND c.deadline_at < x.as_of AND c.state <> 'suspended') AS overdue,
        count(*) FILTER (WHERE c.rework_count > 0) AS rework,
        count(*) FILTER (WHERE c.extension_count > 0) AS extended,
        avg(extract(epoch FROM c.closed_at - c.dispatched_at) / 3600.0)
            FILTER (WHERE c.closed_at <= x.as_of AND c.dispatched_at IS NOT NULL)
            AS mean_handling_hours
    FROM cases c,
    LATERAL (SELECT {_BUCKET.format(col="c.deadline_at")} AS b) b0,
    LATERAL (SELECT b0.b AS b,
                    least((b0.b + CAST(:step AS interval)) AT TIME ZONE '{TZ}', :end, :now)
                        AS as_of) x
    WHERE {stats.DUE} {{where}}
    GROUP BY 1
"""
REPORTED_SQL = f"""
    SELECT {_BUCKET.format(col="c.reported_at")} AS bucket, count(*) AS n FROM cases c
    WHERE c.reported_at >= :start AND c.reported_at < :end {{where}}
    GROUP BY 1
"""
BUCKETS_SQL = sa.text(f"""
    SELECT generate_series(date_trunc(:unit, CAST(:start AS timestamptz) AT TIME ZONE '{TZ}'),
                           CAST(:end AS timestamptz) AT TIME ZONE '{TZ}' - interval '1 second',
                           CAST(:step AS interval))
""")


def _unit_filter(level: str | None, code: str | None) -> tuple[str, dict[str, Any]]:
    if level is None and code is None:
        return "", {}
    if level not in stats.LEVELS or level == "district":
        raise InvalidInput(
            f"未知统计层级 (unknown level) {level!r}; known: grid, community, township, department",
            field="level",
        )
    if not code:
        raise InvalidInput("缺少单元代码 (code is required with level)", field="code")
    return f" AND {stats.KEY[level]} = :unit_code", {"unit_code": code}


def series(
    bind: Session | Connection,
    *,
    window: Window,
    interval: str = "day",
    level: str | None = None,
    code: str | None = None,
    category: str | None = None,
    min_due: int = 10,
    now: datetime | None = None,
) -> dict[str, Any]:
    """KPIs per day, week or month over ``window`` for the district or one unit.

    Parameters
    ----------
    interval
        ``day``, ``week`` or ``month``; at most 1000 buckets.
    level, code
        One grid, community, township or department (both or neither).
    category
        A 大类 or 小类 code.

    Returns
    -------
    dict
        ``interval``, ``window`` and ``buckets``: one entry per bucket (empty ones included)
        with ``start`` (local date), the KPIs and ``reported``.

    Raises
    ------
    InvalidInput
        Unknown ``interval`` or ``level``, missing ``code``, too many buckets (``interval``).
    """
    if interval not in INTERVALS:
        raise InvalidInput(
            f"未知时间粒度 (unknown interval) {interval!r}; known: day, week, month",
            field="interval",
        )
    if window.days / INTERVALS[interval] > MAX_BUCKETS:
        raise InvalidInput(
            f"时间段过多 (more than {MAX_BUCKETS} buckets): use a coarser interval",
            field="interval",
        )
    stats.int_in(min_due, field="min_due", lo=0, hi=10_000)
    stats.check_filters(bind, category=category, department=None, parent=None)
    unit_sql, unit_bind = _unit_filter(level, code)
    if unit_bind and level in ("grid", "community", "township"):
        known = bind.execute(
            sa.text(f"SELECT 1 FROM ({stats.UNITS[level]}) u WHERE u.code = :c"), {"c": code}
        ).first()
        if not known:
            raise NotFound(f"未知单元 (unknown {level}): {code}", field="code")
    where, extra = stats.filters(category=category)
    where += unit_sql
    now = now or datetime.now(UTC)
    p = {
        "unit": interval,
        "step": f"1 {interval}",
        "start": window.start,
        "end": window.end,
        "now": now,
        "as_of": min(window.end, now),
        **extra,
        **unit_bind,
    }
    buckets = [r[0] for r in bind.execute(BUCKETS_SQL, p)]
    rows = {
        r.bucket: dict(r._mapping) for r in bind.execute(sa.text(SERIES_SQL.format(where=where)), p)
    }
    reported: dict[Any, int] = dict(
        bind.execute(sa.text(REPORTED_SQL.format(where=where)), p).all()
    )
    out = []
    for b in buckets:
        row = rows.get(b, {})
        row["reported"] = reported.get(b, 0)
        out.append({"start": b.date().isoformat(), **stats.derive(row, min_due=min_due)})
    return {
        "interval": interval,
        "level": level,
        "code": code,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "buckets": out,
    }


GEOMS = {
    "grid": "SELECT code, ST_AsGeoJSON(geom, 6) AS g FROM grids WHERE valid_to IS NULL",
    "community": "SELECT code, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00003), 6) AS g "
    "FROM admin_units WHERE level = 5 AND valid_to IS NULL",
    "township": "SELECT code, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00005), 6) AS g "
    "FROM admin_units WHERE level = 4 AND valid_to IS NULL",
}


def quantile_breaks(values: list[float], classes: int = 5) -> list[float]:
    """Upper class bounds splitting ``values`` into ``classes`` quantile classes.

    Examples
    --------
    >>> quantile_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5)
    [2, 4, 6, 8, 10]
    """
    if not values:
        return []
    v = sorted(values)
    out = [
        v[min(len(v) - 1, max(0, math.ceil(len(v) * (i + 1) / classes) - 1))]
        for i in range(classes)
    ]
    return sorted(set(out))


def choropleth(
    bind: Session | Connection,
    *,
    level: str,
    window: Window,
    metric: str = "on_time_rate",
    category: str | None = None,
    min_due: int = 10,
    now: datetime | None = None,
) -> bytes:
    """A GeoJSON FeatureCollection of grids, communities or townships with their KPIs.

    Each feature carries every KPI, ``value`` (the chosen ``metric``; ``null`` for small
    samples, so they are drawn as "not enough data") and ``class`` (0-based quantile class).
    The collection carries ``metric``, ``breaks`` and the ``window``. Returned as encoded
    JSON bytes (geometries are spliced in as produced by PostGIS).

    Raises
    ------
    InvalidInput
        ``level`` not one of grid, community, township; unknown ``metric``.
    """
    if level not in GEOMS:
        raise InvalidInput(
            f"专题图层级应为 grid、community 或 township (level must be grid, community or "
            f"township), got {level!r}",
            field="level",
        )
    if metric not in stats.METRICS:
        raise InvalidInput(
            f"未知指标 (unknown metric) {metric!r}; known: {', '.join(stats.METRICS)}",
            field="metric",
        )
    res = stats.kpis(
        bind,
        level=level,
        window=window,
        category=category,
        min_due=min_due,
        breakdown=False,
        now=now,
    )
    geoms: dict[str, str] = dict(bind.execute(sa.text(GEOMS[level])).all())
    values = [u[metric] for u in res["units"] if u[metric] is not None and not u["small_sample"]]
    breaks = quantile_breaks(values)
    parts = []
    for u in res["units"]:
        val = None if u["small_sample"] else u[metric]
        cls = (
            None
            if val is None
            else next((i for i, b in enumerate(breaks) if val <= b), len(breaks) - 1)
        )
        props = orjson.dumps({**u, "value": val, "class": cls})
        parts.append(
            b'{"type":"Feature","id":'
            + orjson.dumps(u["code"])
            + b',"geometry":'
            + geoms.get(u["code"], "null").encode()
            + b',"properties":'
            + props
            + b"}"
        )
    head = orjson.dumps(
        {
            "type": "FeatureCollection",
            "metric": metric,
            "level": level,
            "breaks": breaks,
            "window": res["window"],
            "min_due": min_due,
            "total": res["total"],
        }
    )
    return head[:-1] + b',"features":[' + b",".join(parts) + b"]}"
