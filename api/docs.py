"""The interactive API documentation (/docs, /redoc), served from the app — no CDN.

FastAPI's default pages load Swagger UI and ReDoc from a CDN and start them with an inline
script; offline that fails, and the content security policy (``script-src 'self'``) blocks
the inline script anyway. Here the assets come from the ``fastapi-offline`` package (which
ships Swagger UI and ReDoc builds) under ``/docs/assets``, and the start-up code is a script
file of the app, so the pages work offline and under the same CSP as the dashboard.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from api.security import allow

ASSETS = "/docs/assets"
SWAGGER_INIT = """\
"use strict";
(function () {
  var cfg = document.currentScript.dataset;
  window.ui = SwaggerUIBundle({
    url: cfg.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    oauth2RedirectUrl: window.location.origin + cfg.redirect,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
"""
_REDIRECT_SCRIPT = re.search(
    r"<script>(.*)</script>", get_swagger_ui_oauth2_redirect_html().body.decode(), re.S
)
REDIRECT_JS = _REDIRECT_SCRIPT.group(1) if _REDIRECT_SCRIPT else ""

# ReDoc always draws the Redocly logo from its CDN (no option turns it off): the copy served
# here points it at an empty inline image instead.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"

router = APIRouter(include_in_schema=False, dependencies=[Depends(allow(public=True))])


def assets_dir() -> Path:
    """Where the Swagger UI and ReDoc builds are (inside the ``fastapi_offline`` package)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        f"<link rel='icon' href='{ASSETS}/favicon.png'>{head}</head><body>{body}</body></html>"
    )


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    root = request.scope.get("root_path", "")
    return _page(
        f"{app.title} — API 文档 (Swagger UI)",
        f"<link rel='stylesheet' href='{root}{ASSETS}/swagger-ui.css'>",
        "<div id='swagger-ui'></div>"
        f"<script src='{root}{ASSETS}/swagger-ui-bundle.js'></script>"
        f"<script src='{root}/docs/swagger-init.js' data-openapi='{root}{app.openapi_url}' "
        f"data-redirect='{root}/docs/oauth2-redirect'></script>",
    )


@router.get("/docs/swagger-init.js")
def swagger_init() -> Response:
    return Response(SWAGGER_INIT, media_type="text/javascript; charset=utf-8")


@router.get("/docs/oauth2-redirect")
def oauth2_redirect(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return _page(
        "Swagger UI: OAuth2 Redirect", "", f"<script src='{root}/docs/oauth2-redirect.js'></script>"
    )


@router.get("/docs/oauth2-redirect.js")
def oauth2_redirect_js() -> Response:
    return Response(REDIRECT_JS, media_type="text/javascript; charset=utf-8")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    app = request.app
    root = request.scope.get("root_path", "")
    return _page(
        f"{app.title} — API 文档 (ReDoc)",
        "<style>body{margin:0;padding:0}</style>",
        f"<redoc spec-url='{root}{app.openapi_url}'></redoc>"
        f"<script src='{root}/docs/redoc.js'></script>",
    )


@functools.cache
def _redoc_js() -> bytes:
    return (
        (assets_dir() / "redoc.standalone.js")
        .read_bytes()
        .replace(REDOC_LOGO.encode(), EMPTY_SVG.encode())
    )


@router.get("/docs/redoc.js")
def redoc_js() -> Response:
    return Response(
        _redoc_js(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def install(app: FastAPI) -> None:
    """Serve the documentation pages and their assets (create the app with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not added)."""
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")
    app.include_router(router)
