"""The one map from domain errors to HTTP status codes, and JSON error bodies."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis import errors as e

log = logging.getLogger("gridmap.api")

STATUS: dict[type[e.GridmapError], int] = {
    e.InvalidInput: 400,
    e.NotAuthenticated: 401,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.TooLarge: 413,
    e.Unprocessable: 422,
    e.RateLimited: 429,
    e.SetupError: 503,
    e.Unavailable: 503,
}


def status_for(exc: e.GridmapError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def response_for(exc: Exception) -> JSONResponse:
    """The JSON answer for ``exc`` (the handlers below, and the fast paths in front of them)."""
    if isinstance(exc, e.GridmapError):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, e.NotAuthenticated) else None
        return JSONResponse(exc.to_dict(), status_code=status_for(exc), headers=headers)
    if isinstance(exc, RequestValidationError):
        problems = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
            problems.append({"field": ".".join(loc) or None, "problem": err.get("msg")})
        first = problems[0] if problems else {"field": None, "problem": "invalid"}
        return JSONResponse(
            {
                "error": "invalid_input",
                "field": first["field"],
                "message": f"参数 {first['field']} 无效 (invalid parameter): {first['problem']}",
                "detail": problems,
            },
            status_code=400,
        )
    if isinstance(exc, StarletteHTTPException):
        msg = {404: "未找到 (not found)", 405: "不支持的请求方法 (method not allowed)"}.get(
            exc.status_code, str(exc.detail)
        )
        return JSONResponse(
            {"error": "http", "message": msg},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
    if isinstance(exc, OperationalError | DisconnectionError):
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(
            {
                "error": "unavailable",
                "message": "数据库暂不可用，请稍后重试 (database unavailable, retry shortly)",
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(
        {"error": "internal", "message": "服务器内部错误 (internal error)"}, status_code=500
    )


def install(app: FastAPI) -> None:
    """Register the handlers: domain errors, validation errors, HTTP errors, the unexpected."""

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return response_for(exc)

    for cls in (
        e.GridmapError,
        RequestValidationError,
        StarletteHTTPException,
        OperationalError,
        DisconnectionError,
        Exception,
    ):
        app.add_exception_handler(cls, handle)
