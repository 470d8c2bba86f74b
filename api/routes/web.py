"""Routes: the dashboard — the app shell at ``/``, its static files and the npm vendor files.

Everything the browser loads comes from this app (no CDN): the shell and its ES modules under
``/static/``, and a fixed list of distribution files from ``web/node_modules`` under
``/vendor/<package>/<version>/<file>``. Vendor URLs carry the installed version, so they are
cached for a year; the shell and modules are revalidated (ETag) on every load. Responses are
gzipped (vendor files once, in memory).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

from api.security import allow
from gis import taxonomy
from gis.errors import NotFound
from gis.settings import PROJECT_ROOT

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
STATIC_ROOT = WEB_ROOT / "static"
NODE_MODULES = WEB_ROOT / "node_modules"
DISTRICT_FILE = PROJECT_ROOT / "data" / "ledu" / "ledu_630202_wgs84.geojson"
YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# alias -> (npm package, files inside it that may be served). Only what the pages use.
VENDOR: dict[str, tuple[str, tuple[str, ...]]] = {
    "leaflet": (
        "leaflet",
        (
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
        ),
    ),
    "markercluster": (
        "leaflet.markercluster",
        (
            "dist/leaflet.markercluster.js",
            "dist/MarkerCluster.css",
            "dist/MarkerCluster.Default.css",
        ),
    ),
    "vectorgrid": ("leaflet.vectorgrid", ("dist/Leaflet.VectorGrid.bundled.min.js",)),
    "heat": ("leaflet.heat", ("dist/leaflet-heat.js",)),
    "geoman": (
        "@geoman-io/leaflet-geoman-free",
        ("dist/leaflet-geoman.min.js", "dist/leaflet-geoman.css"),
    ),
    "echarts": ("echarts", ("dist/echarts.simple.min.js", "dist/echarts.min.js")),
}

# Desk-only and large (the full ECharts build, for the scorecard radar): not kept offline.
NOT_OFFLINE = frozenset({"dist/echarts.min.js"})

router = APIRouter(dependencies=[Depends(allow(public=True))])


class WebSettings(BaseSettings):
    """Optional online basemaps (off by default: the platform works with no internet)."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_WEB_", extra="ignore")

    tianditu_key: str = ""  # the operator's key for Tianditu (CGCS2000, lines up with our data)
    amap: bool = False  # AMap tiles in GCJ-02; our WGS84 layers are shifted onto it


@dataclass(frozen=True)
class VendorFile:
    path: Path
    body: bytes
    gz: bytes
    etag: str
    media_type: str


@lru_cache(maxsize=8)
def vendor_version(alias: str) -> str:
    """The installed version of a vendor package (``web/node_modules/<pkg>/package.json``)."""
    package = VENDOR[alias][0]
    meta = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
    return str(meta["version"])


def vendor_urls() -> dict[str, str]:
    """``{alias: "/vendor/<alias>/<version>"}`` for every vendor package that is installed."""
    out: dict[str, str] = {}
    for alias in VENDOR:
        try:
            out[alias] = f"/vendor/{alias}/{vendor_version(alias)}"
        except FileNotFoundError:
            continue
    return out


@lru_cache(maxsize=64)
def _vendor_file(alias: str, rel: str, mtime_ns: int) -> VendorFile:
    path = NODE_MODULES / VENDOR[alias][0] / rel
    body = path.read_bytes()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith(("text/", "application/javascript")):
        media_type += "; charset=utf-8"
    return VendorFile(
        path=path,
        body=body,
        gz=gzip.compress(body, compresslevel=9, mtime=0),
        etag='"' + hashlib.sha1(body).hexdigest()[:20] + '"',
        media_type=media_type,
    )


def _not_found(what: str) -> NotFound:
    return NotFound(f"文件不存在 (not found): {what}", field="path")


@router.get("/vendor/{alias}/{version}/{rel:path}", include_in_schema=False)
def vendor(alias: str, version: str, rel: str, request: Request) -> Response:
    """A whitelisted distribution file of an npm package, cached for a year."""
    if alias not in VENDOR or rel not in VENDOR[alias][1]:
        raise _not_found(f"/vendor/{alias}/{version}/{rel}")
    try:
        installed = vendor_version(alias)
        path = NODE_MODULES / VENDOR[alias][0] / rel
        found = _vendor_file(alias, rel, path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise _not_found(f"{alias} (run `npm ci` in web/)") from None
    if version != installed:
        raise _not_found(f"/vendor/{alias}/{version} (installed: {installed})")
    headers = {"Cache-Control": YEAR, "ETag": found.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gz, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


class _Static(StaticFiles):
    """The app's own files: always revalidated (ETag), never cached blindly."""

    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = REVALIDATE
        return response


def _render(name: str, build: str | None = None) -> str:
    """A shell file with ``{{vendor:alias}}`` and ``{{build}}`` (``build_id()`` unless given)
    filled in."""
    text = (WEB_ROOT / name).read_text(encoding="utf-8")
    for alias, url in vendor_urls().items():
        text = text.replace("{{vendor:" + alias + "}}", url)
    if "{{modulepreload}}" in text:
        first = module_closure(("main.js", *FIRST_VIEW_MODULES))
        links = "\n  ".join(f'<link rel="modulepreload" href="{url}">' for url in first)
        text = text.replace("{{modulepreload}}", links)
    if "{{precache}}" in text:
        text = text.replace("{{precache}}", json.dumps(precache_list()))
    return text.replace("{{build}}", build or build_id())


# The desktop's default view: its modules are preloaded with the shell (the others on demand).
FIRST_VIEW_MODULES = ("views/command.js",)
VIEW_MODULES = {
    "command": "views/command.js",
    "field": "views/field.js",
    "planning": "views/planning.js",
}
_IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["'](\.{1,2}/[^"']+\.js)["']""", re.M
)
_BARE_IMPORT = re.compile(r"""^\s*import\s*["'](\.{1,2}/[^"']+\.js)["']""", re.M)


@lru_cache(maxsize=64)
def _static_imports(rel: str, mtime_ns: int) -> tuple[str, ...]:
    """The modules ``rel`` (under static/js) imports statically, as paths under static/js."""
    path = STATIC_ROOT / "js" / rel
    text = path.read_text(encoding="utf-8")
    found = _IMPORT.findall(text) + _BARE_IMPORT.findall(text)
    base = PurePosixPath(rel).parent
    out = []
    for spec in found:
        target = posixpath.normpath((base / spec).as_posix())
        if not target.startswith(".."):
            out.append(target)
    return tuple(out)


def module_closure(roots: tuple[str, ...]) -> list[str]:
    """URLs of ``roots`` and every module they import statically (transitively), roots first.

    Preloading this list lets the browser fetch a whole module graph at once instead of
    discovering it level by level (each level a round trip on a busy server).
    """
    seen: list[str] = []
    todo = list(roots)
    while todo:
        rel = todo.pop(0)
        if rel in seen:
            continue
        path = STATIC_ROOT / "js" / rel
        try:
            deps = _static_imports(rel, path.stat().st_mtime_ns)
        except FileNotFoundError:
            continue
        seen.append(rel)
        todo.extend(deps)
    return [f"/static/js/{rel}" for rel in seen]


def precache_list() -> list[str]:
    """What the service worker keeps for offline use: the shell, modules and vendor files."""
    urls = ["/", "/app-config.json", "/manifest.webmanifest", "/district.geojson"]
    urls += sorted(
        f"/static/{p.relative_to(STATIC_ROOT).as_posix()}"
        for p in STATIC_ROOT.rglob("*")
        if p.is_file()
    )
    for alias, url in vendor_urls().items():
        if alias == "geoman":  # drawing is for planners at a desk; not kept offline
            continue
        urls += [f"{url}/{rel}" for rel in VENDOR[alias][1] if rel not in NOT_OFFLINE]
    return urls


def build_id() -> str:
    """A short hash of the shell, the modules and vendor versions: names the offline cache."""
    h = hashlib.sha1()
    for p in sorted([*STATIC_ROOT.rglob("*"), WEB_ROOT / "index.html", WEB_ROOT / "sw.js"]):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(WEB_ROOT)}:{st.st_size}:{st.st_mtime_ns}".encode())
    h.update(json.dumps(vendor_urls(), sort_keys=True).encode())
    return h.hexdigest()[:12]


def _shell_response(name: str, media_type: str) -> Response:
    try:
        text = _render(name)
    except FileNotFoundError:
        raise _not_found(name) from None
    return Response(text, media_type=media_type, headers={"Cache-Control": REVALIDATE})


WebSettingsDep = Annotated[WebSettings, Depends(lambda: WebSettings())]


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def index(request: Request, web_settings: WebSettingsDep) -> Response:
    """The dashboard shell (command centre, field reporting and planning views).

    The start-up configuration is written into the page (a JSON data block), so the page does
    not wait for a separate ``/app-config.json`` round trip before it can draw the map.
    """
    build = build_id()  # one walk of the static files per page, shared by shell and config
    try:
        text = _render("index.html", build)
    except FileNotFoundError:
        raise _not_found("index.html") from None
    payload = json.dumps(config_payload(request, web_settings, build), ensure_ascii=False)
    # Safe inside <script type="application/json">: no "</script>" or "<!--" can appear.
    text = text.replace("{{config}}", payload.replace("<", "\\u003c"))
    return Response(
        text, media_type="text/html; charset=utf-8", headers={"Cache-Control": REVALIDATE}
    )


@router.get("/sw.js", include_in_schema=False)
def service_worker() -> Response:
    """The service worker, at the root so that its scope is the whole app."""
    return _shell_response("sw.js", "text/javascript; charset=utf-8")


@router.get("/manifest.webmanifest", include_in_schema=False)
def manifest() -> Response:
    """The PWA manifest (installable field-staff app)."""
    return _shell_response("manifest.webmanifest", "application/manifest+json")


@router.get("/app-config.json", include_in_schema=False)
def app_config(request: Request, web_settings: WebSettingsDep) -> JSONResponse:
    """What the page needs at start: vendor URLs, build id, optional basemaps, API routes.

    ``routes`` lists the API paths this server has, so the page uses what exists without
    probing for missing ones (a 404 would be noise in the browser console).
    """
    return JSONResponse(
        config_payload(request, web_settings), headers={"Cache-Control": REVALIDATE}
    )


def config_payload(
    request: Request, web_settings: WebSettings, build: str | None = None
) -> dict[str, object]:
    """Vendor URLs, build id (``build_id()`` unless given), optional basemaps, API routes,
    taxonomy and view modules."""
    paths = request.app.openapi().get("paths", {})  # built once, then cached by FastAPI
    routes = sorted(f"{m.upper()} {path}" for path, ops in paths.items() for m in ops)
    basemaps = []
    if web_settings.tianditu_key:
        basemaps.append({"id": "tianditu", "crs": "cgcs2000", "key": web_settings.tianditu_key})
    if web_settings.amap:
        basemaps.append({"id": "amap", "crs": "gcj02"})
    return {
        "build": build or build_id(),
        "env": request.app.state.settings.env,
        "vendor": vendor_urls(),
        "basemaps": basemaps,
        "routes": routes,
        "taxonomy": taxonomy_payload(),
        "modules": {view: module_closure((rel,)) for view, rel in VIEW_MODULES.items()},
    }


@lru_cache(maxsize=1)
def taxonomy_payload() -> dict[str, list[dict[str, object]]]:
    """大类/小类 and departments for the pickers (kept offline with the app shell)."""
    cats = taxonomy.load_categories()
    deps = taxonomy.load_departments()
    return {
        "categories": [
            {
                "code": c.code,
                "parent_code": c.parent_code,
                "level": c.level,
                "name": c.name,
                "name_en": c.name_en,
                "sensitive": c.sensitive,
            }
            for c in cats.values()
        ],
        "departments": [
            {"code": d.code, "name": d.name, "name_en": d.name_en, "kind": d.kind}
            for d in deps.values()
        ],
    }


@router.get("/district.geojson", include_in_schema=False)
def district_outline() -> Response:
    """The real district outline (the only real boundary), for the map and on-the-spot checks."""
    try:
        body = DISTRICT_FILE.read_bytes()
    except FileNotFoundError:
        raise _not_found("district outline") from None
    return Response(body, media_type="application/geo+json", headers={"Cache-Control": REVALIDATE})


def setup(app: FastAPI) -> None:
    """Mount the static files and gzip every compressible response."""
    app.mount("/static", _Static(directory=STATIC_ROOT, check_dir=False), name="static")
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
