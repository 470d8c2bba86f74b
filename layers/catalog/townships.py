"""乡镇（街道）: township boundaries with households and open cases."""

from __future__ import annotations

from layers.catalog.common import (
    ILLUSTRATIVE_NOTE,
    OPEN_CASE_STEPS,
    case_counts_join,
    open_case_legend,
)
from layers.registry import register
from layers.spec import LayerSpec, Prop

SPEC = register(
    LayerSpec(
        id="townships",
        title="乡镇（街道）",
        title_en="Townships and sub-districts",
        source=(
            "(SELECT u.id, u.code, u.name, u.unit_type, u.households, u.population, "
            "u.boundary_source, u.geom, coalesce(k.n_open, 0) AS open_cases "
            "FROM admin_units u " + case_counts_join("u") + " "
            "WHERE u.level = 4 AND u.valid_to IS NULL)"
        ),
        geometry_type="MultiPolygon",
        properties=(
            Prop("code", title="区划代码"),
            Prop("name", title="名称"),
            Prop("unit_type", title="类型"),
            Prop("households", type="integer", title="户数"),
            Prop("population", type="integer", title="人口"),
            Prop("open_cases", type="integer", title="在办案卷"),
            Prop("boundary_source", title="边界来源"),
        ),
        minzoom=6,
        maxzoom=16,
        simplify=8,
        sources=("admin_units", "cases"),
        boundary_source="illustrative",
        label="name",
        style={
            "type": "fill",
            "stroke": "#6a3d9a",
            "stroke_width": 2.5,
            "dash": "6 4",
            "fill": "#cab2d6",
            "fill_opacity": 0.08,
            "label": {"property": "name", "color": "#4a1486", "size": 14, "halo": "#ffffff"},
            "choropleth": {"property": "open_cases", "steps": [list(s) for s in OPEN_CASE_STEPS]},
        },
        legend=(*open_case_legend(),),
        description=f"乐都区乡镇与街道，含户数、人口与在办案卷数。{ILLUSTRATIVE_NOTE}",
    )
)
