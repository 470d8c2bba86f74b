"""案卷（事件）: incident points; clustered with counts where a tile would be crowded.

Below ``cluster_below``, and wherever a tile holds more than ``max_points`` points, the
tile carries clusters (``cluster = true``, ``count``, ``open_count``) from the aggregate
table kept by triggers, so every point is counted and none is silently dropped.
Callers without personal access get no special-population or other sensitive categories,
no descriptions or addresses, and locations rounded to about 100 m.
"""

from __future__ import annotations

from layers.catalog.common import OPEN_STATES_SQL, STATE_NAMES_SQL
from layers.registry import register
from layers.spec import LayerSpec, LegendEntry, Prop

CLASSES = (
    ("01", "市容环境", "#8c510a"),
    ("02", "宣传广告", "#bf812d"),
    ("03", "施工管理", "#dfc27d"),
    ("04", "街面秩序", "#f46d43"),
    ("05", "突发事件", "#d73027"),
    ("06", "矛盾纠纷", "#7b3294"),
    ("07", "治安隐患", "#2166ac"),
    ("08", "特殊人群", "#4d4d4d"),
    ("09", "校园周边安全", "#1a9850"),
    ("10", "民生服务", "#35978f"),
)

SOURCE = """(SELECT c.id, c.case_no, c.category_code, left(c.category_code, 2) AS class_code,
       cat.name AS category_name, coalesce(cat.sensitive, false) AS sensitive,
       c.state, c.description, c.address, c.reporter_name, c.reporter_phone,
       c.township_code, c.community_code, c.grid_code, c.department_code,
       c.reported_at, c.deadline_at, c.closed_at, c.geom
  FROM cases c LEFT JOIN categories cat ON cat.code = c.category_code
 WHERE c.state NOT IN ('cancelled', 'merged'))"""

SPEC = register(
    LayerSpec(
        id="incidents",
        title="案卷事件",
        title_en="Incident cases",
        source=SOURCE,
        geometry_type="Point",
        kind="incidents",
        properties=(
            Prop("case_no", title="案卷编号", personal=True, in_tiles=False),
            Prop("category_code", title="小类代码"),
            Prop("class_code", title="大类代码"),
            Prop("category_name", title="类别"),
            Prop("state", title="状态"),
            Prop("state_name", sql=STATE_NAMES_SQL.format(col="s.state"), title="状态名称"),
            Prop("open", sql=f"(s.state IN {OPEN_STATES_SQL})", type="boolean", title="在办"),
            Prop(
                "overdue",
                sql=f"(s.state IN {OPEN_STATES_SQL} AND s.deadline_at < now())",
                type="boolean",
                title="超期",
            ),
            Prop("grid_code", title="网格编码"),
            Prop("community_code", title="社区代码"),
            Prop("township_code", title="乡镇代码"),
            Prop("department_code", title="处置部门", personal=True),
            Prop("reported_at", type="datetime", title="上报时间", in_tiles=False),
            Prop("deadline_at", type="datetime", title="处置时限", personal=True, in_tiles=False),
            Prop("closed_at", type="datetime", title="结案时间", personal=True, in_tiles=False),
            Prop("description", title="问题描述", personal=True, in_tiles=False),
            Prop("address", title="地址", personal=True, in_tiles=False),
            Prop("reporter_name", title="上报人", personal=True, in_tiles=False),
            Prop("reporter_phone", title="上报人电话", personal=True, in_tiles=False),
        ),
        datetime_column="reported_at",
        minzoom=0,
        maxzoom=22,
        cluster_below=12,
        max_points=1000,
        sources=("cases", "categories"),
        sensitive_where="s.sensitive",
        anonymous_snap=0.001,
        style={
            "type": "circle",
            "by": "class_code",
            "classes": {k: {"color": c, "label": n} for k, n, c in CLASSES},
            "radius": 5,
            "open_stroke": "#000000",
            "overdue_color": "#ff0000",
            "cluster": {
                "count_property": "count",
                "open_property": "open_count",
                "color": "#3182bd",
                "text_color": "#ffffff",
                "steps": [[1, 12], [50, 16], [500, 22], [5000, 30]],
            },
        },
        legend=(
            *(LegendEntry(label=n, color=c, value=k, symbol="circle") for k, n, c in CLASSES),
            LegendEntry(
                label="聚合（数字为案卷数）", color="#3182bd", value="cluster", symbol="circle"
            ),
        ),
        description="网格员与群众上报的案卷。低缩放级别或点位密集处显示聚合数；"
        "匿名访问不含特殊人群等敏感类别，位置取整到约100米。",
    )
)
