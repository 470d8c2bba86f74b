"""社区（村）: community boundaries with households and open cases."""

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
        id="communities",
        title="社区（村）",
        title_en="Communities and villages",
        source=(
            "(SELECT u.id, u.code, u.name, u.unit_type, u.parent_code AS township_code, "
            "u.households, u.population, u.boundary_source, u.geom, "
            "coalesce(k.n_open, 0) AS open_cases "
            "FROM admin_units u " + case_counts_join("u") + " "
            "WHERE u.level = 5 AND u.valid_to IS NULL)"
        ),
        geometry_type="MultiPolygon",
        properties=(
            Prop("code", title="区划代码"),
            Prop("name", title="名称"),
            Prop("unit_type", title="类型"),
            Prop("township_code", title="所属乡镇代码"),
            Prop("households", type="integer", title="户数"),
            Prop("population", type="integer", title="人口"),
            Prop("open_cases", type="integer", title="在办案卷"),
            Prop("boundary_source", title="边界来源"),
        ),
        minzoom=8,
        maxzoom=18,
        simplify=6,
        sources=("admin_units", "cases"),
        boundary_source="illustrative",
        label="name",
        style={
            "type": "fill",
            "stroke": "#1f78b4",
            "stroke_width": 1.5,
            "fill": "#a6cee3",
            "fill_opacity": 0.12,
            "label": {"property": "name", "color": "#08519c", "size": 12, "halo": "#ffffff"},
            "choropleth": {"property": "open_cases", "steps": [list(s) for s in OPEN_CASE_STEPS]},
        },
        legend=(*open_case_legend(),),
        description=f"社区与行政村，含户数、人口与在办案卷数。{ILLUSTRATIVE_NOTE}",
    )
)
