"""Liveness: the process is up, with the database and PostGIS versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep
from gis.db import server_versions

router = APIRouter(tags=["运维 operations"])


@router.get("/healthz", summary="健康检查 (liveness, with database and PostGIS versions)")
async def healthz(engine: EngineDep) -> dict[str, Any]:
    versions = await run_in_threadpool(server_versions, engine)
    return {"status": "ok", **versions}
