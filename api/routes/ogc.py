"""Routes: OGC API – Features (Part 1 core + GeoJSON, Part 3 filtering) and Tiles under ``/ogc``."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response

from api.deps import EngineDep
from api.routes.tiles import (
    PUBLIC,
    VARY,
    TileCaller,
    base_url,
    sees_personal,
    service,
    tile_response,
)
from api.security import PrincipalDep
from gis.errors import NotFound
from layers import features, ogc, registry
from layers.ogc_query import build_query
from layers.spec import LayerSpec
from layers.tiles import check_access

# Public at the route; each collection's layer rule decides per caller (listing and reading).
router = APIRouter(prefix="/ogc", tags=["OGC API"], dependencies=[Depends(PUBLIC)])
GEOJSON = "application/geo+json"


def _json(doc: dict[str, Any], media_type: str = "application/json") -> Response:
    return Response(orjson.dumps(doc), media_type=media_type)


def _collection(collection_id: str, role: str, *, items: bool = False) -> LayerSpec:
    spec = registry.get(collection_id, field="collectionId")
    check_access(spec, role=role)
    if items and spec.tiles_only:
        raise NotFound(f"该图层只提供瓦片 (tiles only, no items): {spec.id}", field="collectionId")
    return spec


def _etag(request: Request, spec: LayerSpec, personal: bool, extra: str) -> str:
    versions = service(request).layer_versions([spec])
    raw = repr((spec.id, personal, extra, versions)).encode()
    return '"' + hashlib.blake2b(raw, digest_size=12).hexdigest() + '"'


def _cached(etag: str, if_none_match: str | None, personal: bool) -> tuple[dict[str, str], bool]:
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'private' if personal else 'public'}, no-cache",
        "Vary": VARY,
    }
    matched = bool(if_none_match) and etag in [t.strip() for t in (if_none_match or "").split(",")]
    return headers, matched


@router.get("", summary="OGC API 首页 (landing page)")
def landing(request: Request) -> Response:
    return _json(ogc.landing(base_url(request)))


@router.get("/conformance", summary="符合的标准 (conformance classes)")
def conformance() -> Response:
    return _json(ogc.conformance())


@router.get("/api", summary="OpenAPI 文档 (the service description)")
def api_doc(request: Request) -> Response:
    return _json(request.app.openapi(), "application/vnd.oai.openapi+json;version=3.0")


@router.get("/collections", summary="要素集合 (collections)")
def list_collections(request: Request, principal: PrincipalDep) -> Response:
    return _json(ogc.collections(base=base_url(request), role=principal.role))


@router.get("/collections/{collectionId}", summary="要素集合 (one collection)")
def get_collection(collectionId: str, request: Request, principal: PrincipalDep) -> Response:  # noqa: N803
    spec = _collection(collectionId, principal.role)
    return _json(ogc.collection(spec, base=base_url(request)))


@router.get("/collections/{collectionId}/queryables", summary="可查询属性 (queryables)")
def get_queryables(collectionId: str, request: Request, principal: PrincipalDep) -> Response:  # noqa: N803
    spec = _collection(collectionId, principal.role, items=True)
    doc = ogc.queryables_doc(
        spec, base=base_url(request), personal=sees_personal(request, principal)
    )
    return _json(doc, "application/schema+json")


@router.get(
    "/collections/{collectionId}/items",
    summary="要素 (features: bbox, datetime, limit/offset, properties, sortby, CQL2 filter)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
)
def get_items(
    collectionId: str,  # noqa: N803
    request: Request,
    principal: PrincipalDep,
    engine: EngineDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    spec = _collection(collectionId, principal.role, items=True)
    personal = sees_personal(request, principal)
    query = build_query(spec, personal=personal, params=request.query_params)
    headers, fresh = _cached(
        _etag(request, spec, personal, str(request.url.query)), if_none_match, personal
    )
    if fresh:
        return Response(status_code=304, headers=headers)
    with engine.connect() as conn:
        page = features.items(conn=conn, spec=spec, personal=personal, query=query)
    url = request.url
    links = [
        {"href": str(url), "rel": "self", "type": GEOJSON},
        {
            "href": f"{base_url(request)}/ogc/collections/{spec.id}",
            "rel": "collection",
            "type": "application/json",
        },
    ]
    if page.has_next:
        nxt = url.include_query_params(offset=query.offset + query.limit, limit=query.limit)
        links.append({"href": str(nxt), "rel": "next", "type": GEOJSON})
    if query.offset > 0:
        prev = url.include_query_params(
            offset=max(0, query.offset - query.limit), limit=query.limit
        )
        links.append({"href": str(prev), "rel": "prev", "type": GEOJSON})
    tail: dict[str, Any] = {
        "numberReturned": page.returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    if page.matched is not None:
        tail["numberMatched"] = page.matched
    body = (
        b'{"type":"FeatureCollection","features":'
        + page.features.encode()
        + b","
        + orjson.dumps(tail)[1:]
    )
    return Response(body, media_type=GEOJSON, headers=headers)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    summary="单个要素 (one feature)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
)
def get_item(
    collectionId: str,  # noqa: N803
    featureId: str,  # noqa: N803
    request: Request,
    principal: PrincipalDep,
    engine: EngineDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    spec = _collection(collectionId, principal.role, items=True)
    personal = sees_personal(request, principal)
    headers, fresh = _cached(
        _etag(request, spec, personal, f"item:{featureId}"), if_none_match, personal
    )
    if fresh:
        return Response(status_code=304, headers=headers)
    with engine.connect() as conn:
        feature = features.item(conn=conn, spec=spec, personal=personal, feature_id=featureId)
    base = base_url(request)
    links = [
        {
            "href": f"{base}/ogc/collections/{spec.id}/items/{featureId}",
            "rel": "self",
            "type": GEOJSON,
        },
        {
            "href": f"{base}/ogc/collections/{spec.id}",
            "rel": "collection",
            "type": "application/json",
        },
    ]
    body = feature[:-1] + ',"links":' + orjson.dumps(links).decode() + "}"
    return Response(body.encode(), media_type=GEOJSON, headers=headers)


@router.get("/tileMatrixSets", summary="瓦片矩阵集 (tile matrix sets)")
def list_tile_matrix_sets(request: Request) -> Response:
    return _json(ogc.tile_matrix_sets(base_url(request)))


@router.get("/tileMatrixSets/{tileMatrixSetId}", summary="瓦片矩阵集定义 (a tile matrix set)")
def get_tile_matrix_set(tileMatrixSetId: str) -> Response:  # noqa: N803
    _matrix_set(tileMatrixSetId)
    return _json(ogc.tile_matrix_set())


def _matrix_set(tms: str) -> None:
    if tms != ogc.WMQ:
        raise NotFound(
            f"瓦片矩阵集不存在 (unknown tile matrix set; use {ogc.WMQ}): {tms[:40]!r}",
            field="tileMatrixSetId",
        )


@router.get("/collections/{collectionId}/tiles", summary="矢量瓦片集 (vector tilesets)")
def get_tilesets(collectionId: str, request: Request, principal: PrincipalDep) -> Response:  # noqa: N803
    spec = _collection(collectionId, principal.role)
    return _json(ogc.tilesets(spec, base=base_url(request)))


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}", summary="瓦片集元数据 (tileset)")
def get_tileset(
    collectionId: str,
    tileMatrixSetId: str,
    request: Request,
    principal: PrincipalDep,  # noqa: N803
) -> Response:
    spec = _collection(collectionId, principal.role)
    _matrix_set(tileMatrixSetId)
    return _json(ogc.tileset(spec, base=base_url(request)))


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    summary="矢量瓦片 (vector tile, OGC order: tileMatrix/tileRow/tileCol)",
    response_class=Response,
    responses={200: {"content": {ogc.MVT: {}}}, 204: {"description": "empty tile"}},
)
async def get_ogc_tile(
    collectionId: str,  # noqa: N803
    tileMatrixSetId: str,  # noqa: N803
    tileMatrix: int,  # noqa: N803
    tileRow: int,  # noqa: N803
    tileCol: int,  # noqa: N803
    request: Request,
    principal: TileCaller,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    spec = _collection(collectionId, principal.role)
    _matrix_set(tileMatrixSetId)
    personal = sees_personal(request, principal)
    result = await service(request).tile(
        specs=[spec],
        z=tileMatrix,
        x=tileCol,
        y=tileRow,
        personal=personal,
        if_none_match=if_none_match,
        fields=("tileMatrix", "tileCol", "tileRow"),
    )
    return tile_response(result, personal=personal)
