"""Routes: hotspots and planning analysis (under /api/v1/analysis)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import SessionDep
from api.routes.spatial_common import json_response
from api.security import ROLES, PrincipalDep, allow
from gis.errors import InvalidInput
from gis.spatial import balance, coverage, hotspots, params, partition, partition_apply, sites

router = APIRouter(prefix="/analysis", tags=["规划分析 planning analysis"])
SIGNED_IN = allow(*ROLES)
PLANNERS = allow("planner", "commander")

Kind = Annotated[str, Query(description="设施类型 facility kind, e.g. service_station")]
Parent = Annotated[str | None, Query(description="township or community code (12 digits)")]


@router.get(
    "/hotspots",
    summary="案件热点 (DBSCAN clusters in metres, compared with the previous period)",
    dependencies=[Depends(SIGNED_IN)],
)
def case_hotspots(
    session: SessionDep,
    start: Annotated[str | None, Query(description="ISO date/time; default 30 days ago")] = None,
    end: Annotated[str | None, Query(description="ISO date/time (a date includes it)")] = None,
    eps: Annotated[float, Query(description="neighbourhood radius, metres (0–2000]")] = 150.0,
    min_points: Annotated[int, Query(description="cases within eps of a core case")] = 20,
    category: Annotated[str | None, Query(description="大类 or 小类 code")] = None,
    parent: Parent = None,
    compare: Annotated[bool, Query(description="classify against the previous period")] = True,
    max_clusters: Annotated[int, Query(description="at most this many clusters (1–500)")] = 100,
) -> Response:
    win = params.window_from_text(start, end)
    return json_response(
        hotspots.hotspots(
            session,
            window=win,
            eps_m=eps,
            min_points=min_points,
            category=category,
            parent=parent,
            compare=compare,
            max_clusters=max_clusters,
        )
    )


@router.get(
    "/coverage",
    summary="服务覆盖 (15-minute life circle: households and area within reach, and gaps)",
    dependencies=[Depends(SIGNED_IN)],
)
def service_coverage(
    session: SessionDep,
    kind: Kind,
    reach: Annotated[float | None, Query(description="metres; default by the kind's level")] = None,
    level: Annotated[str, Query(description="grid, community or township")] = "community",
    parent: Parent = None,
    include_planned: Annotated[bool, Query(description="count planned sites as serving")] = False,
    gaps: Annotated[bool, Query(description="return the uncovered gaps as polygons")] = True,
    max_gaps: Annotated[int, Query(description="largest gaps returned (1–5000)")] = 200,
) -> Response:
    return json_response(
        coverage.coverage(
            session,
            kind=kind,
            reach_m=reach,
            level=level,
            parent=parent,
            include_planned=include_planned,
            gaps=gaps,
            max_gaps=max_gaps,
        )
    )


class SitesIn(BaseModel):
    kind: str = Field(description="facility kind")
    k: int = Field(3, description="sites to choose (1–50)")
    reach: float | None = Field(None, description="metres; default by the kind's level")
    candidates: list[list[float]] | None = Field(
        None, description="[lon, lat] points to choose from; default: a generated grid"
    )
    spacing: float | None = Field(None, description="generated grid spacing, metres")
    parent: str | None = Field(None, description="township or community code")
    include_planned: bool = Field(True, description="planned sites count as covering")


@router.post(
    "/sites",
    summary="选址建议 (greedy maximal coverage of uncovered households)",
    dependencies=[Depends(SIGNED_IN)],
)
def suggest_sites(session: SessionDep, body: SitesIn) -> dict[str, Any]:
    return sites.suggest_sites(
        session,
        kind=body.kind,
        k=body.k,
        reach_m=body.reach,
        candidates=body.candidates,
        spacing_m=body.spacing,
        parent=body.parent,
        include_planned=body.include_planned,
    )


@router.get(
    "/balance",
    summary="网格均衡 (households per grid against the target band)",
    dependencies=[Depends(SIGNED_IN)],
)
def grid_balance(
    session: SessionDep,
    min_households: Annotated[int, Query(description="band low end")] = 300,
    max_households: Annotated[int, Query(description="band high end")] = 500,
    scope: Annotated[str, Query(description="urban (default), rural or all")] = "urban",
    parent: Parent = None,
) -> Response:
    return json_response(
        balance.grid_balance(
            session,
            min_households=min_households,
            max_households=max_households,
            scope=scope,
            parent=parent,
        )
    )


class PartitionIn(BaseModel):
    community: str = Field(description="community code (12 digits)")
    grids: int | None = Field(None, description="number of grids; default from the band")
    min_households: int = 300
    max_households: int = 500


class ApplyIn(PartitionIn):
    valid_from: str | None = Field(None, description="first day of the new generation (ISO)")
    fingerprint: str | None = Field(None, description="from the preview: refuse if changed")


@router.post(
    "/partition/preview",
    summary="自动划分预览 (split a community into balanced grids; nothing is written)",
    dependencies=[Depends(SIGNED_IN)],
)
def preview_partition(session: SessionDep, body: PartitionIn) -> Response:
    return json_response(
        partition.partition(
            session,
            community=body.community,
            grids=body.grids,
            min_households=body.min_households,
            max_households=body.max_households,
        )
    )


@router.post(
    "/partition/apply",
    summary="应用自动划分 (new grid generation in one transaction; old grids kept)",
    dependencies=[Depends(PLANNERS)],
)
def apply_partition(session: SessionDep, body: ApplyIn, principal: PrincipalDep) -> dict[str, Any]:
    when = params.parse_when(body.valid_from, field="valid_from")
    if isinstance(when, datetime):
        raise InvalidInput("valid_from 应为日期 (must be a date, YYYY-MM-DD)", field="valid_from")
    return partition_apply.apply_partition(
        session,
        community=body.community,
        grids=body.grids,
        min_households=body.min_households,
        max_households=body.max_households,
        valid_from=when,
        fingerprint=body.fingerprint,  # type: ignore[arg-type]
        actor=principal,
    )
