"""Routes: incident cases — report, list, read, workflow actions, photos, duplicates."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ValidationError

from api.deps import SessionDep, SettingsDep
from api.security import ROLES, PrincipalDep, allow
from gis.cases.attachments import attach_photos, case_photo_file
from gis.cases.query import CaseFilter, list_cases, parse_bbox
from gis.cases.repository import case_duplicates as duplicates_of
from gis.cases.repository import create_case, get_case
from gis.cases.result import CreateResult
from gis.cases.schemas import ActionIn, CaseIn
from gis.cases.settings import get_case_settings
from gis.cases.transitions import apply_action
from gis.cases.workers import IntakeWorkers
from gis.errors import InvalidInput

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
_START = threading.Lock()

REPORTERS = allow("field_staff", "commander", "supervisor")
STAFF = allow(*ROLES)
WORKFLOW = allow("commander", "supervisor", "handler", "field_staff")


def _multipart_doc(model: type[BaseModel], part: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            part: {"type": "string", "description": "JSON of the body above"},
                            "photos": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                        },
                        "required": [part],
                    }
                },
            },
        }
    }


async def _parse(request: Request, model: type[BaseModel], part: str) -> tuple[Any, list[bytes]]:
    """JSON body, or multipart with a JSON part and ``photos`` files."""
    ctype = request.headers.get("content-type", "")
    photos: list[bytes] = []
    try:
        if ctype.startswith("multipart/form-data"):
            form = await request.form()
            raw = form.get(part)
            if not isinstance(raw, str):
                raise InvalidInput(f"缺少表单字段 {part} (missing form field)", field=part)
            for f in form.getlist("photos"):
                if isinstance(f, str):
                    raise InvalidInput("photos 须为文件 (photos must be files)", field="photos")
                photos.append(await f.read())
            return model.model_validate_json(raw), photos
        body = await request.body()
        if not body:
            raise InvalidInput("请求体为空 (empty body)", field="body")
        return model.model_validate_json(body), photos
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput("请求体不是 UTF-8 (body is not UTF-8)", field="body") from exc


def _default(o: Any) -> Any:
    if isinstance(o, tuple):
        return list(o)
    return o.isoformat() if hasattr(o, "isoformat") else str(o)


def _dumps(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, default=_default, option=orjson.OPT_NON_STR_KEYS)


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(_dumps(body), status_code=status, media_type="application/json")


@router.post(
    "",
    summary="上报案卷 (report a case)",
    openapi_extra=_multipart_doc(CaseIn, "case"),
    responses={200: {"description": "already stored (same client_id)"}, 201: {}},
)
async def report_case(
    request: Request,
    principal: Annotated[Any, Depends(REPORTERS)],
) -> Response:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        case_in, photos = await _parse(request, CaseIn, "case")
        res = await run_in_threadpool(_create_with_photos, request, case_in, principal, photos)
    else:
        case_in, _ = await _parse(request, CaseIn, "case")
        res = await intake_workers(request.app).report(case_in=case_in, actor=principal)
    status, body = report_answer(res)
    return Response(body, status_code=status, media_type="application/json")


def report_answer(res: CreateResult) -> tuple[int, bytes]:
    """The status and JSON body answering a report (201 stored, 200 already stored)."""
    body = {
        "created": res.created,
        "case": res.case,
        "duplicates": res.duplicates,
        "photos": res.photos,
    }
    return 201 if res.created else 200, _dumps(body)


def _create_with_photos(
    request: Request, case_in: CaseIn, principal: Any, photos: list[bytes]
) -> CreateResult:
    with request.app.state.sessionmaker() as session:
        return create_case(
            session=session,
            case_in=case_in,
            actor=principal,
            photos=photos,
            media_dir=request.app.state.settings.media_dir,
        )


def intake_workers(app: FastAPI) -> IntakeWorkers:
    """The app's intake workers (started on first use)."""
    workers: IntakeWorkers | None = getattr(app.state, "intake_workers", None)
    if workers is None:
        with _START:
            workers = getattr(app.state, "intake_workers", None)
            if workers is None:
                s = get_case_settings()
                workers = IntakeWorkers(
                    app.state.engine,
                    connections=s.intake_connections,
                    compact_every_s=s.aggregate_compact_s,
                )
                app.state.intake_workers = workers
    return workers


def setup(app: FastAPI) -> None:
    async def stop(app: FastAPI) -> None:
        workers = getattr(app.state, "intake_workers", None)
        if workers is not None:
            app.state.intake_workers = None
            workers.close()

    app.state.shutdown_hooks.append(stop)


@router.get("", summary="案卷列表 (list cases)", dependencies=[Depends(STAFF)])
def cases_list(
    session: SessionDep,
    principal: PrincipalDep,
    state: Annotated[list[str] | None, Query(description="状态，可多选 (repeatable)")] = None,
    category: Annotated[str | None, Query(description="大类或小类代码")] = None,
    township: str | None = None,
    community: str | None = None,
    grid: str | None = None,
    department: str | None = None,
    assignee: str | None = None,
    source: str | None = None,
    reported_from: datetime | None = None,
    reported_to: datetime | None = None,
    overdue: bool | None = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    q: Annotated[str | None, Query(description="案卷编号（或其一部分）")] = None,
    sort: str = "-reported_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    states = tuple(s for v in (state or []) for s in v.split(",") if s)
    flt = CaseFilter(
        state=states,
        category=category,
        township=township,
        community=community,
        grid=grid,
        department=department,
        assignee=assignee,
        source=source,
        reported_from=reported_from,
        reported_to=reported_to,
        overdue=overdue,
        bbox=parse_bbox(bbox) if bbox else None,
        q=q,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return _json(200, list_cases(session=session, flt=flt, actor=principal))


@router.get("/{case_no}", summary="案卷详情与历史 (one case)", dependencies=[Depends(STAFF)])
def case_detail(case_no: str, session: SessionDep, principal: PrincipalDep) -> Response:
    return _json(200, get_case(session=session, case_no=case_no, actor=principal))


@router.post(
    "/{case_no}/actions",
    summary="办理操作 (take a workflow action)",
    openapi_extra=_multipart_doc(ActionIn, "action"),
)
async def case_action(
    case_no: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Any, Depends(WORKFLOW)],
) -> Response:
    action_in, photos = await _parse(request, ActionIn, "action")
    out = await run_in_threadpool(
        apply_action,
        session=session,
        case_no=case_no,
        action_in=action_in,
        actor=principal,
        photos=photos,
        media_dir=settings.media_dir,
    )
    return _json(200, out)


@router.get(
    "/{case_no}/duplicates",
    summary="疑似重复案卷 (possible duplicates)",
    dependencies=[Depends(STAFF)],
)
def case_duplicates(case_no: str, session: SessionDep, principal: PrincipalDep) -> Response:
    found = duplicates_of(session=session, case_no=case_no, actor=principal)
    return _json(200, {"case_no": case_no, "duplicates": found})


@router.post("/{case_no}/photos", summary="补传照片 (add photos)", status_code=201)
async def case_add_photos(
    case_no: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Any, Depends(WORKFLOW)],
) -> Response:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("须以 multipart/form-data 上传 (send multipart)", field="photos")
    form = await request.form()
    uploads = [await f.read() for f in form.getlist("photos") if not isinstance(f, str)]
    stored = await run_in_threadpool(
        attach_photos,
        session=session,
        case_no=case_no,
        actor=principal,
        uploads=uploads,
        media_dir=settings.media_dir,
    )
    return _json(201, {"case_no": case_no, "photos": stored})


@router.get("/{case_no}/photos/{photo_id}", summary="照片 (photo file)")
def case_photo(
    case_no: str,
    photo_id: int,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Any, Depends(STAFF)],
    thumb: bool = False,
) -> FileResponse:
    path, mime = case_photo_file(
        session=session,
        case_no=case_no,
        photo_id=photo_id,
        thumb=thumb,
        actor=principal,
        media_dir=settings.media_dir,
    )
    return FileResponse(path, media_type=mime, headers={"Cache-Control": "private, max-age=86400"})
