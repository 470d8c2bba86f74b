"""Routes: case KPIs per unit, time series and the KPI choropleth (under /api/v1/stats)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import SessionDep
from api.routes.spatial_common import json_response
from api.security import ROLES, allow
from gis.errors import InvalidInput
from gis.spatial import kpi_series, params, stats

router = APIRouter(prefix="/stats", tags=["统计 statistics"], dependencies=[Depends(allow(*ROLES))])

Start = Annotated[
    str | None, Query(description="窗口开始 window start, ISO date or date-time (local dates)")
]
End = Annotated[
    str | None, Query(description="窗口结束 window end (exclusive; a date includes that day)")
]
Category = Annotated[str | None, Query(description="类别 大类 (2 digits) or 小类 (4 digits)")]
MinDue = Annotated[int, Query(description="units with fewer due cases are flagged small_sample")]


@router.get("/kpis", summary="考核指标 (结案率, 按期结案率, 返工率, 延期率, overdue … per unit)")
def kpis(
    session: SessionDep,
    level: Annotated[str, Query(description="grid, community, township, department, district")],
    start: Start = None,
    end: End = None,
    category: Category = None,
    department: Annotated[str | None, Query(description="部门代码 department code")] = None,
    parent: Annotated[str | None, Query(description="township or community code")] = None,
    min_due: MinDue = 10,
    sort: Annotated[str | None, Query(description="metric for a league table")] = None,
    order: Annotated[str, Query(description="desc (default) or asc")] = "desc",
    breakdown: Annotated[bool, Query(description="by_class / by_state per unit")] = True,
) -> Response:
    """Definitions (due cohort, as_of, rates) are in ``gis.spatial.stats``; default window:
    the last 30 days."""
    if order not in ("asc", "desc"):
        raise InvalidInput(
            f"order 应为 asc 或 desc (must be asc or desc): {order!r}", field="order"
        )
    win = params.window_from_text(start, end)
    return json_response(
        stats.kpis(
            session,
            level=level,
            window=win,
            category=category,
            department=department,
            parent=parent,
            min_due=min_due,
            sort=sort,
            descending=order == "desc",
            breakdown=breakdown,
        )
    )


@router.get("/series", summary="指标时间序列 (KPIs per day, week or month)")
def series(
    session: SessionDep,
    start: Start = None,
    end: End = None,
    interval: Annotated[str, Query(description="day, week or month")] = "day",
    level: Annotated[str | None, Query(description="grid, community, township, department")] = None,
    code: Annotated[str | None, Query(description="the unit's code (with level)")] = None,
    category: Category = None,
    min_due: MinDue = 10,
) -> dict[str, Any]:
    win = params.window_from_text(start, end, default_days=90)
    return kpi_series.series(
        session,
        window=win,
        interval=interval,
        level=level,
        code=code,
        category=category,
        min_due=min_due,
    )


@router.get(
    "/choropleth",
    summary="指标专题图 (GeoJSON of grids/communities/townships with KPIs and classes)",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def choropleth(
    session: SessionDep,
    level: Annotated[str, Query(description="grid, community or township")] = "community",
    metric: Annotated[str, Query(description="KPI for `value` and `class`")] = "on_time_rate",
    start: Start = None,
    end: End = None,
    category: Category = None,
    min_due: MinDue = 10,
) -> Response:
    win = params.window_from_text(start, end)
    body = kpi_series.choropleth(
        session, level=level, window=win, metric=metric, category=category, min_due=min_due
    )
    return Response(body, media_type="application/geo+json")
