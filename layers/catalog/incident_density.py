"""案卷密度: incident counts per square cell (16×16 cells per tile), tiles only."""

from __future__ import annotations

from layers.catalog.incidents import SOURCE
from layers.registry import register
from layers.spec import LayerSpec, LegendEntry, Prop

STEPS = ((1, "#ffffb2"), (10, "#fecc5c"), (50, "#fd8d3c"), (200, "#f03b20"), (1000, "#bd0026"))

SPEC = register(
    LayerSpec(
        id="incident_density",
        title="案卷密度",
        title_en="Incident density",
        source=SOURCE,
        geometry_type="Polygon",
        kind="density",
        tiles_only=True,
        properties=(
            Prop("count", type="integer", title="案卷数"),
            Prop("open_count", type="integer", title="在办案卷数"),
        ),
        minzoom=0,
        maxzoom=15,
        sources=("cases", "categories"),
        sensitive_where="s.sensitive",
        style={
            "type": "fill",
            "fill_opacity": 0.6,
            "stroke": None,
            "choropleth": {"property": "count", "steps": [list(s) for s in STEPS]},
        },
        legend=tuple(LegendEntry(label=f"≥{lo} 件", color=c, value=str(lo)) for lo, c in STEPS),
        description="每个方格内的案卷数（随缩放级别变化，每瓦片16×16格），仅提供矢量瓦片。",
    )
)
