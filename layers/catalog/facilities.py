"""社区设施: office and service sites, stations, mediation centres …"""

from __future__ import annotations

from layers.registry import register
from layers.spec import LayerSpec, LegendEntry, Prop

KINDS = (
    ("office_service_site", "社区办公和服务场所", "#e31a1c", "star"),
    ("service_centre", "社区服务中心", "#ff7f00", "square"),
    ("service_station", "社区服务站", "#fdbf6f", "circle"),
    ("mediation_centre", "矛盾纠纷调解中心", "#6a3d9a", "diamond"),
    ("police_room", "警务室", "#1f78b4", "triangle"),
    ("health_station", "卫生服务站", "#33a02c", "cross"),
    ("elderly_care", "养老服务设施", "#b15928", "circle"),
    ("culture_sports", "文体活动场所", "#fb9a99", "circle"),
    ("commercial_outlet", "商业服务网点", "#a6cee3", "circle"),
)
KIND_NAME_SQL = (
    "CASE s.kind " + " ".join(f"WHEN '{k}' THEN '{n}'" for k, n, _, _ in KINDS) + " ELSE s.kind END"
)
STATUS_NAME_SQL = (
    "CASE s.status WHEN 'planned' THEN '计划开工' WHEN 'under_construction' THEN '在建' "
    "WHEN 'in_service' THEN '已投入使用' WHEN 'closed' THEN '已停用' END"
)

SPEC = register(
    LayerSpec(
        id="facilities",
        title="社区设施",
        title_en="Community facilities",
        source="facilities",
        geometry_type="Point",
        properties=(
            Prop("kind", title="设施类型"),
            Prop("kind_name", sql=KIND_NAME_SQL, title="设施类型名称"),
            Prop("name", title="名称"),
            Prop("community_code", title="所属社区代码"),
            Prop("status", title="状态"),
            Prop("status_name", sql=STATUS_NAME_SQL, title="状态名称"),
            Prop(
                "floor_area_m2", sql="s.floor_area_m2::float8", type="number", title="建筑面积(㎡)"
            ),
            Prop("updated_at", type="datetime", title="更新时间", in_tiles=False),
        ),
        datetime_column="updated_at",
        minzoom=10,
        maxzoom=22,
        sources=("facilities",),
        label="name",
        style={
            "type": "symbol",
            "by": "kind",
            "symbols": {k: {"color": c, "shape": sh, "label": n} for k, n, c, sh in KINDS},
            "radius": 6,
            "label": {"property": "name", "size": 11, "minzoom": 15},
        },
        legend=tuple(LegendEntry(label=n, color=c, value=k, symbol=sh) for k, n, c, sh in KINDS),
        description="社区办公和服务场所、服务站、调解中心、警务室、卫生站、养老与文体设施。",
    )
)
