"""Routes: Open311 GeoReport v2 (JSON) under ``/open311/v2``.

Errors follow the spec: a list ``[{"code": …, "description": …}]`` with 400, 403 or 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import SessionDep
from api.errors import status_for
from api.security import allow
from gis import errors as e
from gis.cases import open311 as o311

router = APIRouter(
    prefix="/open311/v2", tags=["open311"], dependencies=[Depends(allow(public=True))]
)


def _error(exc: e.GridmapError) -> JSONResponse:
    if isinstance(exc, e.NotAuthenticated | e.Forbidden):
        status = 403
    elif isinstance(exc, e.Unprocessable):
        status = 400
    else:
        status = status_for(exc)
    return JSONResponse([{"code": status, "description": exc.message}], status_code=status)


async def _answer(fn: Callable[..., Any], status: int = 200, **kwargs: Any) -> JSONResponse:
    try:
        body = await run_in_threadpool(fn, **kwargs)
    except e.GridmapError as exc:
        return _error(exc)
    return JSONResponse(body, status_code=status)


def _jurisdiction(request: Request) -> JSONResponse | None:
    jur = request.query_params.get("jurisdiction_id")
    if jur and jur not in (o311.JURISDICTION, o311.JURISDICTION + "000000"):
        return _error(e.InvalidInput(f"jurisdiction_id 应为 {o311.JURISDICTION}: {jur}"))
    return None


def _list(value: str | None) -> list[str] | None:
    return [x.strip() for x in value.split(",") if x.strip()] if value else None


@router.get("/discovery.json", summary="Open311 discovery")
def discovery(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    return {
        "changeset": "2026-11-26T00:00:00Z",
        "contact": "乐都区网格化管理指挥中心",
        "key_service": "向区指挥中心申请 API 密钥 (ask the command centre for an api_key)",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-11-26T00:00:00Z",
                "type": "production",
                "formats": ["application/json"],
            }
        ],
    }


@router.get("/services.json", summary="服务列表 (services)")
async def services(request: Request, session: SessionDep) -> JSONResponse:
    return _jurisdiction(request) or await _answer(o311.services, session=session)


@router.get("/services/{code}.json", summary="服务属性定义 (service definition)")
async def service(code: str, request: Request, session: SessionDep) -> JSONResponse:
    return _jurisdiction(request) or await _answer(
        o311.service_definition, session=session, code=code
    )


@router.get("/requests.json", summary="查询服务请求 (service requests)")
async def requests_list(request: Request, session: SessionDep) -> JSONResponse:
    bad = _jurisdiction(request)
    if bad:
        return bad
    q = request.query_params
    try:
        start = o311.parse_w3c(q["start_date"], "start_date") if q.get("start_date") else None
        end = o311.parse_w3c(q["end_date"], "end_date") if q.get("end_date") else None
    except e.GridmapError as exc:
        return _error(exc)
    return await _answer(
        o311.list_requests,
        session=session,
        ids=_list(q.get("service_request_id")),
        service_codes=_list(q.get("service_code")),
        start=start,
        end=end,
        statuses=_list(q.get("status")),
    )


@router.post("/requests.json", summary="提交服务请求 (create a service request)")
async def requests_create(request: Request, session: SessionDep) -> JSONResponse:
    ctype = request.headers.get("content-type", "")
    if not (
        ctype.startswith("application/x-www-form-urlencoded")
        or ctype.startswith("multipart/form-data")
    ):
        return _error(e.InvalidInput("须以表单提交 (send application/x-www-form-urlencoded)"))
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return await _answer(o311.create_request, session=session, form=fields)


@router.get("/requests/{request_id}.json", summary="单个服务请求 (one service request)")
async def request_one(request_id: str, request: Request, session: SessionDep) -> JSONResponse:
    return _jurisdiction(request) or await _answer(
        o311.get_request, session=session, request_id=request_id
    )
