"""Self-contained HTML map reports (folium): a community, a township, the construction projects.

Each report shows the boundary, grids with their households, facilities and their walking
reach, the period's cases by category (clustered) and construction sites by status, with a
title, key figures, legend, sources and the illustrative-boundaries note. The page inlines
Leaflet and leaflet.markercluster from ``web/node_modules``: it opens with no internet.

Examples
--------
>>> html = community_report(session=s, code="630202001001")  # doctest: +SKIP
>>> "leaflet" in html and "https://" not in html  # doctest: +SKIP
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, Figure
from folium.plugins import MarkerCluster
from sqlalchemy.orm import Session

from gis.reports import chrome, data
from gis.reports.offline import render
from gis.reports.styles import Overrides, path_options, style_for, value_colors

LOCAL_TZ = timedelta(hours=8)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class ReportOptions:
    """Period and audience of a map report."""

    start: datetime | None = None  # default: DEFAULT_DAYS before ``end``
    end: datetime | None = None  # default: now
    sees_personal: bool = False
    styles: Overrides | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def window(self) -> tuple[datetime, datetime]:
        end = self.end or self.now
        return self.start or end - timedelta(days=DEFAULT_DAYS), end


def _local(t: datetime) -> str:
    return (t.astimezone(UTC) + LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _root(m: folium.Map) -> Figure:
    root = m.get_root()
    assert isinstance(root, Figure)
    return root


def base_map(bounds: tuple[float, float, float, float], *, width: str = "100%") -> folium.Map:
    """A folium map without a tile layer (reports open offline), fitted to ``bounds``."""
    m = folium.Map(
        tiles=None, width=width, control_scale=True, zoomSnap=0.25, maxZoom=19, minZoom=7
    )
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    _root(m).header.add_child(Element(chrome.CSS + chrome.JQUERY_SHIM))
    return m


def polygons(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    name: str,
    style: dict[str, Any],
    tooltip: list[str],
    aliases: list[str],
) -> None:
    if gdf.empty:
        return
    opts = path_options(style)
    folium.GeoJson(
        gdf.to_json(default=str),
        name=name,
        style_function=lambda _f, o=opts: o,
        tooltip=folium.GeoJsonTooltip(fields=tooltip, aliases=aliases) if tooltip else None,
    ).add_to(m)


def facility_layers(
    m: folium.Map, gdf: gpd.GeoDataFrame, styles: Overrides | None, *, show_reach: bool = True
) -> list:
    colors = value_colors(style_for("facilities", styles))
    if gdf.empty:
        return []
    reach = folium.FeatureGroup(name="设施服务半径 (walking reach)", show=show_reach)
    points = folium.FeatureGroup(name="设施 (facilities)")
    for r in gdf.itertuples():
        color = colors.get(r.kind, ("#555555", r.kind))[0]
        folium.Circle(
            [r.geometry.y, r.geometry.x],
            radius=int(r.reach_m),
            color=color,
            weight=1,
            fill=True,
            fill_opacity=0.06,
            dash_array="3 3",
        ).add_to(reach)
        folium.CircleMarker(
            [r.geometry.y, r.geometry.x],
            radius=6,
            color="#222222",
            weight=1,
            fill=True,
            fill_color=color,
            fill_opacity=0.95,
            tooltip=f"{r.name} · {colors.get(r.kind, ('', r.kind))[1]} · 服务半径 {r.reach_m} m",
        ).add_to(points)
    reach.add_to(m)
    points.add_to(m)
    used = sorted(set(gdf["kind"]))
    return [
        (f"{colors[k][1]} ({data.REACH_M.get(k, 300)} m)", "#222222", colors[k][0], "dot")
        for k in used
        if k in colors
    ]


def _cases(m: folium.Map, gdf: gpd.GeoDataFrame, styles: Overrides | None) -> list:
    classes = value_colors(style_for("incidents", styles))
    items = []
    for code, group in gdf.groupby("class_code") if not gdf.empty else []:
        color, label = classes.get(code, ("#555555", code))
        cluster = MarkerCluster(name=f"案卷 · {label} ({len(group)})")
        for r in group.itertuples():
            folium.CircleMarker(
                [r.geometry.y, r.geometry.x],
                radius=5,
                color="#ff0000" if r.overdue else color,
                weight=2 if r.overdue else 1,
                fill=True,
                fill_color=color,
                fill_opacity=0.85,
                tooltip=f"{r.case_no} · {r.category_name} · {r.state} · {str(r.reported_at)[:16]}",
            ).add_to(cluster)
        cluster.add_to(m)
        items.append((f"{label} ({len(group)})", color, color, "dot"))
    return items


def _projects(m: folium.Map, gdf: gpd.GeoDataFrame, styles: Overrides | None) -> list:
    colors = value_colors(style_for("construction_sites", styles))
    if gdf.empty:
        return []
    group = folium.FeatureGroup(name="建设项目 (construction sites)")
    for r in gdf.itertuples():
        color = colors.get(r.status, ("#555555", r.status))[0]
        popup = (
            f"<b>{r.name}</b><br>{r.township_name} {r.community_name}<br>状态：{r.status_label}"
            f"<br>进度：{float(r.progress or 0):.0f}%<br>投资：{float(r.budget_total or 0):,.0f} 元"
            f"<br>下一节点：{r.next_milestone or '—'} {r.next_due or ''}"
        )
        folium.CircleMarker(
            [r.geometry.y, r.geometry.x],
            radius=9,
            color="#000000",
            weight=1.5,
            fill=True,
            fill_color=color,
            fill_opacity=0.95,
            tooltip=f"{r.name} · {r.status_label}",
            popup=folium.Popup(popup, max_width=300),
        ).add_to(group)
    group.add_to(m)
    return [
        (label, "#000000", c, "dot") for k, (c, label) in colors.items() if k in set(gdf["status"])
    ]


def finish(
    m: folium.Map, title: str, subtitle: str, figures: list, legend: list, opts: ReportOptions
) -> str:
    """Title, key figures, legend and sources around the map; the page rendered offline."""
    folium.LayerControl(collapsed=True).add_to(m)
    html = _root(m).html
    html.add_child(Element(chrome.header(title, subtitle, figures)))
    html.add_child(Element(chrome.legend(legend)))
    html.add_child(Element(chrome.sources(_local(opts.now))))
    _root(m).title = title
    return render(m)


def fill_item(label: str, layer: str, styles: Overrides | None) -> tuple[str, str, str, str]:
    s = style_for(layer, styles)
    return (label, s.get("stroke", "#555"), s.get("fill", "#fff"), "box")


def community_report(*, session: Session, code: str, options: ReportOptions | None = None) -> str:
    """The map report of one community (社区/村) as one HTML page."""
    return _area_report(session, "community", code, options or ReportOptions())


def township_report(*, session: Session, code: str, options: ReportOptions | None = None) -> str:
    """The map report of one township (乡镇/街道) as one HTML page."""
    return _area_report(session, "township", code, options or ReportOptions())


def _area_report(session: Session, level: str, code: str, opts: ReportOptions) -> str:
    area = data.get_area(session=session, level=level, code=code)
    start, end = opts.window()
    st = opts.styles
    m = base_map(area.geom.bounds)
    boundary = gpd.GeoDataFrame(
        {"name": [area.name], "code": [area.code]}, geometry=[area.geom], crs=4326
    )
    layer = "townships" if level == "township" else "communities"
    polygons(
        m,
        boundary,
        f"边界 · {area.name}",
        {**style_for(layer, st), "fill_opacity": 0.02},
        ["name", "code"],
        ["名称", "代码"],
    )
    legend_fill = [fill_item(f"{area.name} 边界", layer, st)]
    if level == "township":
        comms = data.communities(session=session, township=code)
        polygons(
            m,
            comms,
            "社区 (communities)",
            style_for("communities", st),
            ["name", "code", "households"],
            ["社区", "代码", "户数"],
        )
        legend_fill.append(fill_item("社区(村)", "communities", st))
    grids = data.grids(session=session, area=area)
    polygons(
        m,
        grids,
        "网格 (grids)",
        style_for("grids", st),
        ["name", "code", "households", "population"],
        ["网格", "编码", "户数", "人口"],
    )
    legend_fill.append(fill_item("网格 (悬停查看户数)", "grids", st))
    fac = data.facilities(session=session, area=area)
    fac_items = facility_layers(m, fac, st, show_reach=level == "community")
    cases = data.cases(
        session=session, area=area, start=start, end=end, sees_personal=opts.sees_personal
    )
    case_items = _cases(m, cases, st)
    proj = data.projects(session=session, area=area)
    proj_items = _projects(m, proj, st)
    overdue = int(cases["overdue"].sum()) if len(cases) else 0
    closed = int((cases["state"] == "closed").sum()) if len(cases) else 0
    figures = [
        ("网格数 (grids)", f"{len(grids)}"),
        (
            "户数 (households)",
            f"{int(grids['households'].sum()) if len(grids) else area.households:,}",
        ),
        (
            "人口 (population)",
            f"{int(grids['population'].sum()) if len(grids) else area.population:,}",
        ),
        ("设施 (facilities)", f"{len(fac)}"),
        ("期间案卷 (cases)", f"{len(cases)}"),
        ("已结案 (closed)", f"{closed}"),
        ("当前超期 (overdue)", f"{overdue}"),
        ("建设项目 (projects)", f"{len(proj)}"),
    ]
    parent = f"{area.parent_name} · " if area.parent_name else ""
    subtitle = f"{parent}{area.code} · 案卷期间 {_local(start)[:10]} 至 {_local(end)[:10]}"
    legend = [
        ("边界与网格", legend_fill),
        ("设施及步行服务半径", fac_items),
        ("案卷 (按大类, 聚合; 红圈=超期)", case_items),
        ("建设项目 (按状态)", proj_items),
    ]
    return finish(m, f"{area.name} 网格化管理地图", subtitle, figures, legend, opts)


def projects_report(*, session: Session, options: ReportOptions | None = None) -> str:
    """The district map of community facility construction projects by status."""
    opts = options or ReportOptions()
    st = opts.styles
    district = data.get_area(session=session, level="district", code="630202000000")
    m = base_map(district.geom.bounds)
    polygons(
        m,
        gpd.GeoDataFrame({"name": [district.name]}, geometry=[district.geom], crs=4326),
        "区界 (district)",
        style_for("district", st),
        ["name"],
        ["区"],
    )
    towns = data.townships(session=session)
    polygons(m, towns, "乡镇(街道)", style_for("townships", st), ["name", "code"], ["乡镇", "代码"])
    proj = data.projects(session=session, area=None)
    items = _projects(m, proj, st)
    counts = proj["status_label"].value_counts() if len(proj) else {}
    figures = [("项目数 (projects)", f"{len(proj)}")] + [
        (str(k), str(v)) for k, v in dict(counts).items()
    ]
    if len(proj):
        figures.append(("总投资 (budget, 万元)", f"{float(proj['budget_total'].sum()) / 1e4:,.1f}"))
    legend = [("边界", [fill_item("乡镇(街道)", "townships", st)]), ("项目状态", items)]
    return finish(
        m,
        "乐都区社区办公和服务场所建设项目图",
        "五型社区建设 · 项目进度（按状态）",
        figures,
        legend,
        opts,
    )
