"""Routes: point lookups, nearby facilities, drawn shapes and coordinate conversion.

Statistics and planning analysis live in ``spatial_stats`` and ``spatial_planning`` and are
mounted on this router, so ``api/main.py`` needs only this module.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import SessionDep
from api.routes import spatial_planning, spatial_stats
from api.routes.spatial_common import json_response
from api.security import ROLES, Principal, PrincipalDep, allow
from gis.pg import AsyncPool, dsn_of
from gis.spatial import convert as convert_mod
from gis.spatial import lookup, nearby, params, within
from gis.spatial.locate import MAX_BATCH

router = APIRouter(prefix="/api/v1", tags=["空间查询 spatial"])
SIGNED_IN = allow(*ROLES)
#: The caller of a public route (anonymous when not signed in).
PublicPrincipal = Annotated[Principal, Depends(allow(public=True))]

Lon = Annotated[float, Query(description="经度 longitude (degrees, in `crs`)")]
Lat = Annotated[float, Query(description="纬度 latitude (degrees, in `crs`)")]
Crs = Annotated[
    str, Query(description="输入坐标系 input CRS: wgs84 (default), cgcs2000, gcj02, bd09")
]
Kind = Annotated[str | None, Query(description="设施类型 facility kind, e.g. police_room")]
Status = Annotated[
    str | None, Query(description="设施状态 status: in_service (default), planned, …, or all")
]


@router.get(
    "/locate",
    summary="定位 (point → district, township, community, grid and the grid's staff)",
)
async def locate_one(
    request: Request, principal: PublicPrincipal, lon: Lon, lat: Lat, crs: Crs = "wgs84"
) -> Response:
    """A point outside the district is a 422 (``detail.swapped`` tells swapped lon/lat).

    Staff names and phones are shown only to roles that may see personal data.
    """
    # The hot path of the field app runs on the event loop: one statement (location and
    # staff) on an asynchronous autocommit connection, no thread hop, no pool check-out ping.
    # ``Server-Timing: locate;dur=…`` is the time spent in the lookup (checks and database).
    started = time.perf_counter()
    found = await lookup.locate_point_async(
        pool=request.app.state.locate_pool,
        lon=lon,
        lat=lat,
        crs=crs,
        personal=principal.sees_personal,
    )
    ms = (time.perf_counter() - started) * 1000
    response = json_response(found)
    response.headers["Server-Timing"] = f"locate;dur={ms:.2f}"
    return response


class LocateBatchIn(BaseModel):
    points: list[list[float]] = Field(
        description=f"[lon, lat] pairs in `crs`, at most {MAX_BATCH}",
        examples=[[[102.40041, 36.48023], [102.41, 36.49]]],
    )
    crs: str = Field("wgs84", description="wgs84 (default), cgcs2000, gcj02 or bd09")
    staff: bool = Field(True, description="include each grid's responsible staff")


@router.post(
    "/locate",
    summary=f"批量定位 (batch locate, up to {MAX_BATCH} points)",
    dependencies=[Depends(SIGNED_IN)],
)
def locate_batch(session: SessionDep, principal: PrincipalDep, body: LocateBatchIn) -> Response:
    """One result per point, in order; points outside the district carry an ``error``."""
    return json_response(
        lookup.locate_points(
            session,
            points=body.points,
            crs=body.crs,
            personal=principal.sees_personal,
            with_staff=body.staff,
        )
    )


@router.get(
    "/nearest",
    summary="最近设施 (the k nearest facilities of a kind, distances in metres)",
    dependencies=[Depends(allow(public=True))],
)
def nearest(
    session: SessionDep,
    lon: Lon,
    lat: Lat,
    kind: Kind = None,
    k: Annotated[int, Query(description="how many (1–100)")] = 5,
    status: Status = None,
    crs: Crs = "wgs84",
) -> dict[str, Any]:
    found = nearby.nearest(session, lon=lon, lat=lat, k=k, kind=kind, status=status, crs=crs)
    return {"kind": kind, "k": k, "features": [f.__dict__ for f in found]}


@router.get(
    "/nearby",
    summary="半径内设施 (every facility within a radius, nearest first)",
    dependencies=[Depends(allow(public=True))],
)
def within_radius(
    session: SessionDep,
    lon: Lon,
    lat: Lat,
    radius: Annotated[float, Query(description="metres, > 0 and ≤ 50000")],
    kind: Kind = None,
    status: Status = None,
    limit: Annotated[int, Query(description="at most this many (1–2000)")] = 500,
    crs: Crs = "wgs84",
) -> dict[str, Any]:
    found = nearby.within_radius(
        session,
        lon=lon,
        lat=lat,
        radius_m=radius,
        kind=kind,
        status=status,
        crs=crs,
        limit=limit,
    )
    return {
        "kind": kind,
        "radius": radius,
        "count": len(found),
        "truncated": len(found) >= limit,
        "features": [f.__dict__ for f in found],
    }


class WithinIn(BaseModel):
    geometry: dict[str, Any] = Field(
        description="GeoJSON Polygon or MultiPolygon (WGS84), closed, valid, ≤ 5000 vertices",
        examples=[
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [102.39, 36.47],
                        [102.41, 36.47],
                        [102.41, 36.49],
                        [102.39, 36.49],
                        [102.39, 36.47],
                    ]
                ],
            }
        ],
    )
    start: str | None = Field(None, description="cases reported from (ISO date/time)")
    end: str | None = Field(None, description="cases reported before (ISO; a date includes it)")
    limit: int = Field(200, description="most cases and facilities listed (1–1000)")


@router.post(
    "/within",
    summary="框选统计 (cases, facilities and grids inside a drawn polygon)",
    dependencies=[Depends(SIGNED_IN)],
)
def inside_shape(session: SessionDep, body: Annotated[WithinIn, Body()]) -> Response:
    win = params.window_from_text(body.start, body.end)
    return json_response(
        within.inside_shape(session, geometry=body.geometry, window=win, limit=body.limit)
    )


FromCrs = Annotated[str, Query(alias="from", description="源坐标系 wgs84, gcj02, bd09, epsg:N")]
ToCrs = Annotated[str, Query(alias="to", description="目标坐标系 wgs84, gcj02, bd09, epsg:N")]


@router.get(
    "/convert",
    summary="坐标转换 (WGS84 ↔ GCJ-02 ↔ BD-09, EPSG codes e.g. epsg:4543)",
    dependencies=[Depends(allow(public=True))],
)
def convert_one(
    x: Annotated[float, Query(description="lon (degrees) or easting (m)")],
    y: Annotated[float, Query(description="lat (degrees) or northing (m)")],
    src: FromCrs,
    dst: ToCrs,
) -> dict[str, Any]:
    out = convert_mod.convert(points=[[x, y]], src=src, dst=dst)
    px, py = out["points"][0]
    return {"from": src, "to": dst, "x": px, "y": py}


class ConvertIn(BaseModel):
    points: list[list[float]] = Field(description="[x, y] pairs, at most 10000")
    src: str = Field(alias="from", description="source system")
    dst: str = Field(alias="to", description="target system")


@router.post(
    "/convert",
    summary="批量坐标转换 (batch conversion)",
    dependencies=[Depends(allow(public=True))],
)
def convert_batch(body: ConvertIn) -> dict[str, Any]:
    return convert_mod.convert(points=body.points, src=body.src, dst=body.dst)


router.include_router(spatial_stats.router)
router.include_router(spatial_planning.router)


def setup(app: FastAPI) -> None:
    """One pool of asynchronous connections per app for single-point lookups."""
    size = app.state.settings.pool_size
    app.state.locate_pool = AsyncPool(
        dsn_of(app.state.engine.url), idle=size, limit=size, application_name="gridmap-locate"
    )

    async def _close(app: FastAPI) -> None:
        app.state.locate_pool.close()

    app.state.shutdown_hooks.append(_close)
