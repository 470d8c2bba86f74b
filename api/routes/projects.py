"""Routes: construction projects of community facilities (``/api/v1/projects``).

Planners (and admins) write; commanders and viewers read. Contact names and phones are
personal data: shown only to roles that see personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Query, Response, UploadFile
from fastapi.responses import FileResponse

from api.deps import SessionDep, SettingsDep
from api.security import Principal, allow
from gis.projects import export, history, portfolio, register, reports
from gis.projects.config import (
    apply_weights_file,
    bump_status_day,
    local_today,
    read_weights,
    standards,
)
from gis.projects.schemas import ProjectIn, ProjectPatch, ReportIn

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])

Reader = Annotated[Principal, Depends(allow("planner", "commander", "viewer"))]
Writer = Annotated[Principal, Depends(allow("planner"))]
AsOf = Annotated[
    date | None, Query(description="judge status on this day (default: today in Ledu)")
]


def setup(app: FastAPI) -> None:
    """At start-up, copy ``data/milestone_weights.csv`` into the database; while running,
    check each minute whether the date in Ledu changed (statuses move on with it, so the
    map's cached construction-site tiles must be rebuilt)."""

    async def _tick() -> None:
        while True:
            await asyncio.to_thread(bump_status_day, app.state.engine)
            await asyncio.sleep(60)

    async def _start(app: FastAPI) -> None:
        await asyncio.to_thread(apply_weights_file, app.state.engine)
        app.state.project_day_task = asyncio.create_task(_tick())

    async def _stop(app: FastAPI) -> None:
        task = getattr(app.state, "project_day_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.state.startup_hooks.append(_start)
    app.state.shutdown_hooks.append(_stop)


def _day(as_of: date | None) -> date:
    return as_of or local_today()


@router.get("", summary="项目台账 (project register)")
def list_projects(
    session: SessionDep,
    principal: Reader,
    as_of: AsOf = None,
    status: str | None = None,
    township_code: str | None = None,
    community_code: str | None = None,
    plan_group: str | None = None,
) -> dict[str, Any]:
    rows = register.list_projects(
        session=session,
        today=_day(as_of),
        status=status,
        township_code=township_code,
        community_code=community_code,
        plan_group=plan_group,
    )
    return {"as_of": _day(as_of).isoformat(), "count": len(rows), "projects": rows}


@router.post("", status_code=201, summary="新建项目 (create a project)")
def create_project(session: SessionDep, principal: Writer, body: ProjectIn) -> dict[str, Any]:
    return register.create_project(
        session=session,
        project_in=body,
        actor=principal,
        today=local_today(),
        personal=principal.sees_personal,
    )


@router.get("/portfolio", summary="项目总览 (portfolio by status, funding source, township)")
def get_portfolio(session: SessionDep, principal: Reader, as_of: AsOf = None) -> dict[str, Any]:
    return portfolio.portfolio(session=session, today=_day(as_of))


@router.get("/gantt", summary="进度甘特图数据 (timeline payload)")
def get_gantt(
    session: SessionDep, principal: Reader, as_of: AsOf = None, plan_group: str | None = None
) -> dict[str, Any]:
    return portfolio.gantt(session=session, today=_day(as_of), plan_group=plan_group)


@router.get("/standards", summary="设施面积标准与里程碑权重 (standards and weights)")
def get_standards(principal: Reader) -> dict[str, Any]:
    return {
        "facility_standards": [
            {k: (float(v) if hasattr(v, "is_finite") else v) for k, v in vars(s).items()}
            for s in standards().values()
        ],
        "milestone_weights": {k: float(v) for k, v in read_weights().items()},
    }


@router.get("/export", summary="导出项目台账 (export: GeoPackage or CSV)")
def export_register(
    session: SessionDep,
    principal: Reader,
    format: Literal["gpkg", "csv"] = "gpkg",
    as_of: AsOf = None,
) -> Response:
    data, media, filename = export.export_register(
        session=session, today=_day(as_of), fmt=format, personal=principal.sees_personal
    )
    return Response(
        content=data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{project_id}", summary="项目详情 (one project)")
def get_project(
    session: SessionDep, principal: Reader, project_id: int, as_of: AsOf = None
) -> dict[str, Any]:
    return register.get_project(
        session=session,
        project_id=project_id,
        today=_day(as_of),
        personal=principal.sees_personal,
    )


@router.patch("/{project_id}", summary="修改项目 (change a project)")
def update_project(
    session: SessionDep, principal: Writer, project_id: int, body: ProjectPatch
) -> dict[str, Any]:
    return register.update_project(
        session=session,
        project_id=project_id,
        patch=body,
        actor=principal,
        today=local_today(),
        personal=principal.sees_personal,
    )


@router.delete("/{project_id}", status_code=204, summary="删除项目 (delete a project)")
def delete_project(session: SessionDep, principal: Writer, project_id: int) -> Response:
    register.delete_project(session=session, project_id=project_id, actor=principal)
    return Response(status_code=204)


@router.get("/{project_id}/history", summary="变更记录 (who changed what, when)")
def get_history(session: SessionDep, principal: Reader, project_id: int) -> dict[str, Any]:
    rows = history.list_history(
        session=session, project_id=project_id, personal=principal.sees_personal
    )
    return {"project_id": project_id, "history": rows}


@router.get("/{project_id}/reports", summary="现场进度报告 (progress reports)")
def list_reports(session: SessionDep, principal: Reader, project_id: int) -> dict[str, Any]:
    rows = reports.list_reports(
        session=session, project_id=project_id, personal=principal.sees_personal
    )
    return {"project_id": project_id, "reports": rows}


@router.post("/{project_id}/reports", status_code=201, summary="提交进度报告 (file a report)")
def create_report(
    session: SessionDep, principal: Writer, project_id: int, body: ReportIn
) -> dict[str, Any]:
    return reports.create_report(
        session=session,
        project_id=project_id,
        report_in=body,
        actor=principal,
        username=principal.username,
        today=local_today(),
    )


@router.post(
    "/{project_id}/reports/{report_id}/photos",
    status_code=201,
    summary="上传现场照片 (attach a photo: JPEG, PNG or WebP)",
)
async def add_photo(
    session: SessionDep,
    settings: SettingsDep,
    principal: Writer,
    project_id: int,
    report_id: int,
    file: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    data = await file.read(reports.MAX_PHOTO_BYTES + 1)
    return reports.add_photo(
        session=session,
        project_id=project_id,
        report_id=report_id,
        filename=file.filename or "photo",
        data=data,
        media_dir=settings.media_dir,
        actor=principal,
    )


@router.get("/{project_id}/reports/{report_id}/photos/{photo_id}", summary="现场照片 (one photo)")
def get_photo(
    session: SessionDep,
    settings: SettingsDep,
    principal: Reader,
    project_id: int,
    report_id: int,
    photo_id: int,
) -> FileResponse:
    path, media = reports.photo_path(
        session=session,
        project_id=project_id,
        report_id=report_id,
        photo_id=photo_id,
        media_dir=settings.media_dir,
    )
    return FileResponse(path, media_type=media)
