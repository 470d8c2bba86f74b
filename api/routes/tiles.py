"""Routes: the layer catalogue, XYZ vector tiles (``/tiles/{layers}/{z}/{x}/{y}.pbf``), TileJSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response

from api.security import (
    Principal,
    PrincipalDep,
    allow,
    api_key_scheme,
    current_principal,
    oauth2_scheme,
)
from layers import registry
from layers.catalogue import catalogue, describe, tilejson
from layers.tiles import TileResult, TileService, check_access, parse_layers

# Public at the route; each layer's own rule (check_access, parse_layers) decides per caller.
PUBLIC = allow(public=True)
router = APIRouter(tags=["map layers"], dependencies=[Depends(PUBLIC)])
MVT = "application/vnd.mapbox-vector-tile"
VARY = "Authorization, Cookie, X-Gridmap-User, X-Gridmap-Role"


def sees_personal(request: Request, principal: Principal) -> bool:
    """Personal fields and sensitive rows: the role decides; a setting may open them to
    anonymous callers until sign-in exists (off by default)."""
    if principal.sees_personal:
        return True
    return principal.is_anonymous and bool(request.app.state.settings.anonymous_sees_personal)


async def tile_caller(
    request: Request,
    _: Annotated[Principal, Depends(PUBLIC)],
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller as ``PrincipalDep`` finds it (a bad token is a 401), without a second trip
    through the thread pool: the route's public rule has already resolved it."""
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    return await current_principal(request, token, api_key)  # raises the precise 401


TileCaller = Annotated[Principal, Depends(tile_caller)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def service(request: Request) -> TileService:
    return request.app.state.tile_service  # type: ignore[no-any-return]


def tile_answer(result: TileResult, *, personal: bool) -> tuple[int, dict[str, str]]:
    """Status and headers of a tile answer: 200, 204 when empty, 304 when the client's copy
    is current."""
    headers = {
        "ETag": result.etag,
        "Cache-Control": f"{'private' if personal else 'public'}, no-cache",
        "Vary": VARY,
        "X-Cache": "hit" if result.cached else "miss",
    }
    if result.not_modified:
        return 304, headers
    if not result.data:
        return 204, headers
    return 200, headers


def tile_response(result: TileResult, *, personal: bool) -> Response:
    status, headers = tile_answer(result, personal=personal)
    if status != 200:
        return Response(status_code=status, headers=headers)
    return Response(content=result.data, media_type=MVT, headers=headers)


@router.get("/api/v1/layers", summary="图层目录 (layer catalogue: styles, legends, tile URLs)")
def list_layers(request: Request, principal: PrincipalDep) -> dict[str, Any]:
    return catalogue(
        base=base_url(request), role=principal.role, personal=sees_personal(request, principal)
    )


@router.get("/api/v1/layers/{layer_id}", summary="单个图层 (one layer of the catalogue)")
def get_layer(layer_id: str, request: Request, principal: PrincipalDep) -> dict[str, Any]:
    spec = registry.get(layer_id, field="layer_id")
    check_access(spec, role=principal.role, field="layer_id")
    return describe(spec, base=base_url(request), personal=sees_personal(request, principal))


@router.get("/tiles/{layers}/tilejson.json", summary="TileJSON 3.0 of a layer set")
def get_tilejson(layers: str, request: Request, principal: PrincipalDep) -> dict[str, Any]:
    specs = parse_layers(layers, role=principal.role)
    return tilejson(specs, base=base_url(request))


@router.get(
    "/tiles/{layers}/{z}/{x}/{y}.pbf",
    summary="矢量瓦片 (Mapbox vector tile, one MVT layer per requested layer)",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, 204: {"description": "empty tile"}},
)
async def get_tile(
    layers: str,
    z: int,
    x: int,
    y: int,
    request: Request,
    principal: TileCaller,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    specs = parse_layers(layers, role=principal.role)
    personal = sees_personal(request, principal)
    result = await service(request).tile(
        specs=specs, z=z, x=x, y=y, personal=personal, if_none_match=if_none_match
    )
    return tile_response(result, personal=personal)


def setup(app: FastAPI) -> None:
    """One tile service (cache and version reader) per app."""
    settings = app.state.settings
    app.state.tile_service = TileService(
        engine=app.state.engine,
        cache_bytes=settings.tile_cache_mb * 1024 * 1024,
        pool_size=settings.pool_size,
    )

    async def _close(app: FastAPI) -> None:
        app.state.tile_service.close()

    app.state.shutdown_hooks.append(_close)
