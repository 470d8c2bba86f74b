"""Liveness: the process is up, with the database and PostGIS versions and backup age."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.security import allow
from gis.db import server_versions
from gis.ops.log import backup_status
from gis.ops.settings import get_backup_settings

router = APIRouter(tags=["运维 operations"], dependencies=[Depends(allow(public=True))])


@router.get(
    "/healthz",
    summary="健康检查 (liveness, with database and PostGIS versions)",
    dependencies=[Depends(allow(public=True))],
)
async def healthz(engine: EngineDep) -> dict[str, Any]:
    versions = await run_in_threadpool(server_versions, engine)
    backup = await run_in_threadpool(
        backup_status, engine=engine, stale_hours=get_backup_settings().stale_hours
    )
    out: dict[str, Any] = {"status": "ok", **versions, "backup": backup}
    if backup["warning"]:
        out["warnings"] = [backup["warning"]]
    return out
