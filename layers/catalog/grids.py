"""网格: management grids with households, population and open-case counts."""

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
        id="grids",
        title="网格",
        title_en="Management grids",
        source=(
            "(SELECT g.id, g.code, g.name, g.community_code, g.kind, g.households, "
            "g.population, g.boundary_source, g.geom, coalesce(k.n_open, 0) AS open_cases, "
            "coalesce(k.n, 0) AS total_cases "
            "FROM grids g " + case_counts_join("g") + " "
            "WHERE g.valid_to IS NULL)"
        ),
        geometry_type="MultiPolygon",
        properties=(
            Prop("code", title="网格编码"),
            Prop("name", title="网格名称"),
            Prop("community_code", title="所属社区代码"),
            Prop("kind", title="网格类型"),
            Prop("households", type="integer", title="户数"),
            Prop("population", type="integer", title="人口"),
            Prop("open_cases", type="integer", title="在办案卷"),
            Prop("total_cases", type="integer", title="案卷总数"),
            Prop("boundary_source", title="边界来源"),
        ),
        minzoom=8,
        maxzoom=20,
        simplify=4,
        sources=("grids", "cases"),
        boundary_source="illustrative",
        label="name",
        style={
            "type": "fill",
            "stroke": "#33a02c",
            "stroke_width": 0.8,
            "fill": "#b2df8a",
            "fill_opacity": 0.25,
            "label": {"property": "name", "color": "#1b5e20", "size": 11, "minzoom": 14},
            "choropleth": {"property": "open_cases", "steps": [list(s) for s in OPEN_CASE_STEPS]},
        },
        legend=(*open_case_legend(),),
        description=f"基础网格（15位编码），含户数、人口、在办与累计案卷数。{ILLUSTRATIVE_NOTE}",
    )
)
