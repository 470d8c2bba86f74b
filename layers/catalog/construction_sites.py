"""在建项目: community facility construction projects with phase and progress.

Phase is the last milestone reached; progress is the override when one is set, otherwise
the share of milestones reached. (A richer derived status may replace the source later.)
"""

from __future__ import annotations

from layers.registry import register
from layers.spec import LayerSpec, LegendEntry, Prop

PHASES = (
    ("not_started", "未启动", "#bdbdbd"),
    ("site_selection", "选址", "#c6dbef"),
    ("approval", "立项", "#9ecae1"),
    ("design", "设计", "#6baed6"),
    ("tendering", "招标", "#4292c6"),
    ("construction_start", "开工", "#fd8d3c"),
    ("structure_complete", "主体完工", "#f16913"),
    ("acceptance", "竣工验收", "#74c476"),
    ("in_service", "投入使用", "#238b45"),
)
PHASE_NAME_SQL = "CASE s.phase " + " ".join(f"WHEN '{k}' THEN '{n}'" for k, n, _ in PHASES) + " END"

SOURCE = """(SELECT p.id, p.name, p.facility_kind, p.community_code, p.site AS geom,
       p.plan_group, p.responsible_unit, p.contact_name, p.contact_phone,
       p.budget_total::float8 AS budget_total, p.spent_to_date::float8 AS spent_to_date,
       coalesce(m.phase, 'not_started') AS phase,
       round(coalesce(p.progress_override, 100.0 * m.reached / nullif(m.total, 0), 0), 1)::float8
           AS progress,
       p.updated_at
  FROM projects p
  LEFT JOIN LATERAL (
       SELECT count(*) FILTER (WHERE actual_date IS NOT NULL) AS reached, count(*) AS total,
              (array_agg(kind ORDER BY seq DESC) FILTER (WHERE actual_date IS NOT NULL))[1]
                  AS phase
         FROM project_milestones pm WHERE pm.project_id = p.id) m ON true)"""

SPEC = register(
    LayerSpec(
        id="construction_sites",
        title="在建项目",
        title_en="Construction sites",
        source=SOURCE,
        geometry_type="Point",
        properties=(
            Prop("name", title="项目名称"),
            Prop("facility_kind", title="设施类型"),
            Prop("community_code", title="所属社区代码"),
            Prop("plan_group", title="计划批次"),
            Prop("phase", title="阶段"),
            Prop("phase_name", sql=PHASE_NAME_SQL, title="阶段名称"),
            Prop("progress", type="number", title="进度(%)"),
            Prop("budget_total", type="number", title="总投资(元)"),
            Prop("spent_to_date", type="number", title="已完成投资(元)"),
            Prop("responsible_unit", title="责任单位", in_tiles=False),
            Prop("contact_name", title="联系人", personal=True, in_tiles=False),
            Prop("contact_phone", title="联系电话", personal=True, in_tiles=False),
            Prop("updated_at", type="datetime", title="更新时间", in_tiles=False),
        ),
        datetime_column="updated_at",
        minzoom=8,
        maxzoom=22,
        sources=("projects", "project_milestones", "project_funding"),
        label="name",
        style={
            "type": "symbol",
            "by": "phase",
            "symbols": {k: {"color": c, "shape": "square", "label": n} for k, n, c in PHASES},
            "radius": 8,
            "label": {"property": "name", "size": 12, "minzoom": 12},
            "progress_property": "progress",
        },
        legend=tuple(LegendEntry(label=n, color=c, value=k, symbol="square") for k, n, c in PHASES),
        description="社区办公和服务场所建设项目：阶段（最近完成的节点）与进度。",
    )
)
