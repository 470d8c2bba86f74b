"""在建项目: community facility construction projects coloured by their derived status.

The source is the view ``project_overview`` (migration ``0004_projects``): status and progress
are derived in SQL from the milestones on today's date in Ledu, the same rules as the project
API (``gis/projects/status.py``). ``service_reach_m`` is the walking reach of the facility's
kind (``data/facility_standards.csv``) so a client can draw it around the site.
"""

from __future__ import annotations

from gis.projects.config import standards
from gis.projects.status import STATUSES
from layers.registry import register
from layers.spec import LayerSpec, LegendEntry, Prop

STATUS_COLOURS = {
    "not_started": "#6b7280",
    "on_track": "#2b6ca3",
    "at_risk": "#a05a00",
    "late": "#b3261e",
    "completed": "#1e7b34",
}
REACH_SQL = (
    "CASE o.facility_kind "
    + " ".join(
        f"WHEN '{k}' THEN {int(s.service_reach_m)}"
        for k, s in standards().items()
        if s.service_reach_m is not None
    )
    + " END"
)

SOURCE = f"""(SELECT o.id, o.name, o.facility_kind, o.community_code, o.community_name,
       o.township_name, o.geom, o.plan_group, o.responsible_unit,
       p.contact_name, p.contact_phone,
       o.budget_total::float8 AS budget_total, o.spent_to_date::float8 AS spent_to_date,
       o.status, o.status_label, o.progress::float8 AS progress,
       o.spent_pct::float8 AS spent_pct, o.next_milestone, o.next_due, o.days_late,
       {REACH_SQL} AS service_reach_m, o.updated_at
  FROM project_overview o JOIN projects p ON p.id = o.id)"""

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
            Prop("community_name", title="所属社区", in_tiles=False),
            Prop("township_name", title="所属乡镇（街道）", in_tiles=False),
            Prop("status", title="状态"),
            Prop("status_label", title="状态名称"),
            Prop("progress", type="number", title="进度(%)"),
            Prop("spent_pct", type="number", title="支出进度(%)", in_tiles=False),
            Prop("next_milestone", title="下一节点", in_tiles=False),
            Prop("next_due", type="date", title="下一节点计划日期", in_tiles=False),
            Prop("days_late", type="integer", title="滞后天数"),
            Prop("service_reach_m", type="integer", title="服务半径(米)"),
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
        sources=(
            "projects",
            "project_milestones",
            "project_funding",
            "project_milestone_weights",
            "project_status_day",  # bumped when the date in Ledu changes
        ),
        label="name",
        style={
            "type": "symbol",
            "by": "status",
            "symbols": {
                k: {"color": STATUS_COLOURS[k], "shape": "square", "label": n}
                for k, n in STATUSES.items()
            },
            "radius": 8,
            "label": {"property": "name", "size": 12, "minzoom": 12},
            "progress_property": "progress",
            "reach_property": "service_reach_m",
        },
        legend=tuple(
            LegendEntry(label=n, color=STATUS_COLOURS[k], value=k, symbol="square")
            for k, n in STATUSES.items()
        ),
        description="社区办公和服务场所建设项目：按里程碑推算的状态（未开工、正常推进、存在风险、"
        "滞后、已完成）与进度；服务半径可在地图上绘出。",
    )
)
