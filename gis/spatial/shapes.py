"""Checking a polygon drawn on the dashboard (GeoJSON) before it reaches the database."""

from __future__ import annotations

import math
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from gis.errors import InvalidInput, Unprocessable

MAX_VERTICES = 5000


def _check_ring(ring: Any, where: str, field: str) -> int:
    if not isinstance(ring, list) or len(ring) < 4:
        raise InvalidInput(
            f"{where} 至少需要 4 个坐标 (a ring needs at least 4 positions)", field=field
        )
    for pos in ring:
        if (
            not isinstance(pos, list | tuple)
            or len(pos) < 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in pos[:2]
            )
        ):
            raise InvalidInput(f"{where} 含无效坐标 (invalid position): {pos!r}", field=field)
        if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
            raise InvalidInput(
                f"{where} 坐标超出范围 (position out of range): {pos!r}", field=field
            )
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise InvalidInput(
            f"{where} 未闭合：首尾坐标不同 (ring is not closed: first and last positions differ)",
            field=field,
        )
    return len(ring)


def polygon_from_geojson(
    geometry: Any, *, field: str = "geometry", max_vertices: int = MAX_VERTICES
) -> Polygon | MultiPolygon:
    """Validate a GeoJSON Polygon or MultiPolygon (WGS84) and return it as shapely.

    Checks: the type, closed rings of ≥ 4 positions, finite in-range numbers, at most
    ``max_vertices`` positions, not empty, valid (no self-intersection), and not larger
    than the district (checked by the caller, which knows the district).

    Raises
    ------
    InvalidInput
        Naming ``field`` and what is wrong (e.g. "Self-intersection[102.4 36.5]").
    """
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise InvalidInput("需要 GeoJSON 几何对象 (a GeoJSON geometry object)", field=field)
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(
            f"仅支持 Polygon 或 MultiPolygon (only Polygon or MultiPolygon), got {gtype!r}",
            field=field,
        )
    if not isinstance(coords, list) or not coords:
        raise InvalidInput("几何为空 (empty geometry)", field=field)
    polys = coords if gtype == "MultiPolygon" else [coords]
    total = 0
    for pi, rings in enumerate(polys):
        if not isinstance(rings, list) or not rings:
            raise InvalidInput("几何为空 (empty geometry)", field=field)
        for ri, ring in enumerate(rings):
            total += _check_ring(ring, f"多边形 {pi} 环 {ri} (polygon {pi} ring {ri})", field)
    if total > max_vertices:
        raise InvalidInput(f"顶点过多 (too many vertices): {total} > {max_vertices}", field=field)
    geom = shape(geometry)
    if geom.is_empty:
        raise InvalidInput("几何为空 (empty geometry)", field=field)
    if not geom.is_valid:
        raise InvalidInput(
            f"多边形无效 (invalid polygon): {shapely.is_valid_reason(geom)}", field=field
        )
    if geom.area == 0:
        raise InvalidInput("面积为零 (zero-area geometry)", field=field)
    return geom  # type: ignore[return-value]


def not_larger_than(geom_area_m2: float, district_area_m2: float, *, field: str) -> None:
    """Refuse a shape larger than the district (areas in the same measure)."""
    if geom_area_m2 > district_area_m2:
        raise Unprocessable(
            f"范围大于全区 (the shape is larger than the district): "
            f"{geom_area_m2 / 1e6:.0f} km² > {district_area_m2 / 1e6:.0f} km²",
            field=field,
        )
