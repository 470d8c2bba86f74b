"""Routes: community registers — grid roster, service populations, co-building units,
activities (``/api/v1/...``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import SessionDep
from api.security import Principal, allow
from gis.projects.config import local_today
from gis.resources import registers
from gis.resources.registers import ActivityIn, UnitIn

router = APIRouter(prefix="/api/v1", tags=["社区资源 community registers"])

Reader = Annotated[
    Principal,
    Depends(allow("commander", "supervisor", "planner", "viewer", "field_staff", "handler")),
]
Writer = Annotated[Principal, Depends(allow("commander", "planner", "field_staff"))]
RESTRICTED_ROLES = frozenset({"admin", "commander", "supervisor"})


@router.get("/grids/{grid_code}/roster", summary="网格责任清单 (grid responsibility roster)")
def grid_roster(grid_code: str, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return registers.roster(session=session, grid_code=grid_code, personal=principal.sees_personal)


@router.get(
    "/communities/{community_code}/populations",
    summary="服务人群统计 (service populations, counts only)",
)
def populations(community_code: str, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return registers.population_counts(
        session=session,
        community_code=community_code,
        restricted=principal.role in RESTRICTED_ROLES,
    )


@router.get("/cobuilding-units", summary="共驻共建单位 (co-building units)")
def list_units(
    session: SessionDep, principal: Reader, community_code: str | None = None
) -> dict[str, Any]:
    units = registers.list_units(
        session=session, community_code=community_code, personal=principal.sees_personal
    )
    return {"count": len(units), "items": units}


@router.post("/cobuilding-units", status_code=201, summary="登记共驻共建单位 (register a unit)")
def create_unit(unit_in: UnitIn, session: SessionDep, principal: Writer) -> dict[str, Any]:
    with session.begin():
        return registers.create_unit(session=session, unit_in=unit_in, actor=principal)


@router.get("/activities", summary="社区活动 (community activities)")
def list_activities(
    session: SessionDep,
    principal: Reader,
    community_code: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    items = registers.list_activities(
        session=session, community_code=community_code, since=since, until=until
    )
    return {"count": len(items), "items": items}


@router.post("/activities", status_code=201, summary="登记社区活动 (record an activity)")
def create_activity(
    activity_in: ActivityIn, session: SessionDep, principal: Writer
) -> dict[str, Any]:
    with session.begin():
        return registers.create_activity(
            session=session, activity_in=activity_in, today=local_today(), actor=principal
        )
