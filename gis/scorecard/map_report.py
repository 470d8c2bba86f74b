"""The scorecard report of one community: its map beside its five-type scorecard.

The map (folium, offline like the other map reports of :mod:`gis.reports`: Leaflet inlined,
nothing loaded from outside) shows the community boundary, its grids coloured by households
(tooltips with the roster behind 向心型: party-member posts and volunteer teams), the
facilities with their walking reach (服务型), the co-building units and the year's community
activities (和谐型). Beside it the scorecard panel of :mod:`gis.scorecard.report`.

Examples
--------
>>> html = community_report(session=s, code="630202001001", today=date(2026, 11, 26))  # doctest: +SKIP
>>> "leaflet" in html and "https://" not in html  # doctest: +SKIP
True
"""

from __future__ import annotations

from datetime import date, timedelta

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element
from folium.plugins import MarkerCluster
from sqlalchemy.orm import Session

from gis.reports import data, maps
from gis.reports.styles import style_for
from gis.scorecard import report, score

HOUSEHOLD_COLORS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
UNIT_COLOR = "#6a51a3"
ACTIVITY_COLOR = "#e7298a"
UNIT_ICON = (
    f"<div style='width:11px;height:11px;background:{UNIT_COLOR};border:1px solid #222'></div>"
)
ACTIVITY_DAYS = 365


def household_breaks(values: list[int], classes: int = len(HOUSEHOLD_COLORS)) -> list[int]:
    """Upper bounds of up to ``classes`` quantile classes of household counts (ascending)."""
    if not values:
        return []
    qs = np.quantile(np.asarray(values, dtype=float), np.linspace(0, 1, classes + 1)[1:])
    return sorted({int(np.ceil(q)) for q in qs})


def _color(households: int | None, breaks: list[int]) -> str:
    for i, upper in enumerate(breaks):
        if (households or 0) <= upper:
            return HOUSEHOLD_COLORS[i]
    return HOUSEHOLD_COLORS[-1]


def _grids(session: Session, area: data.Area) -> gpd.GeoDataFrame:
    """The community's current grids with their households and roster counts."""
    return data.read_frame(
        session,
        "SELECT g.code, g.name, coalesce(g.households, 0) AS households, "
        "coalesce(g.population, 0) AS population, "
        "count(r.id) FILTER (WHERE r.post = 'party_post') AS party_posts, "
        "count(r.id) FILTER (WHERE r.post = 'volunteer_team') AS volunteer_teams, "
        "ST_AsBinary(g.geom) AS wkb FROM grids g LEFT JOIN grid_roster r ON r.grid_code = g.code "
        "WHERE g.valid_to IS NULL AND g.community_code = :c GROUP BY g.id ORDER BY g.code",
        {"c": area.code},
    )


def _grid_layer(m: folium.Map, grids: gpd.GeoDataFrame, stroke: str) -> list:
    breaks = household_breaks([int(h) for h in grids["households"]]) if len(grids) else []
    if len(grids):
        folium.GeoJson(
            grids.to_json(default=str),
            name="网格 · 户数 (grids by households)",
            style_function=lambda f: {
                "color": stroke,
                "weight": 1.2,
                "fillColor": _color(f["properties"]["households"], breaks),
                "fillOpacity": 0.65,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=[
                    "name",
                    "code",
                    "households",
                    "population",
                    "party_posts",
                    "volunteer_teams",
                ],
                aliases=["网格", "编码", "户数", "人口", "党员设岗", "志愿服务队"],
            ),  # fmt: skip
        ).add_to(m)
    lows = [0, *[b + 1 for b in breaks[:-1]]]
    return [
        (f"{lo}–{hi} 户", stroke, HOUSEHOLD_COLORS[i], "box")
        for i, (lo, hi) in enumerate(zip(lows, breaks, strict=True))
    ]


def _registers(m: folium.Map, session: Session, code: str, today: date) -> tuple[int, int, list]:
    units = data.read_frame(
        session,
        "SELECT name, kind, meetings_held, ST_AsBinary(geom) AS wkb FROM cobuilding_units "
        "WHERE community_code = :c ORDER BY id",
        {"c": code},
    )
    acts = data.read_frame(
        session,
        "SELECT title, kind, held_on, participants, ST_AsBinary(geom) AS wkb "
        "FROM community_activities WHERE community_code = :c AND held_on > :since "
        "AND held_on <= :today ORDER BY held_on",
        {"c": code, "since": today - timedelta(days=ACTIVITY_DAYS), "today": today},
    )
    group = folium.FeatureGroup(name="共驻共建单位 (co-building units)")
    for r in units.itertuples():
        folium.Marker(  # a square drawn by Leaflet itself (no icon images to load)
            [r.geometry.y, r.geometry.x], icon=folium.DivIcon(html=UNIT_ICON, icon_size=(12, 12),
            icon_anchor=(6, 6), class_name="sc-unit"), tooltip=f"{r.name} · 会议 {r.meetings_held} 次",
        ).add_to(group)  # fmt: skip
    group.add_to(m)
    cluster = MarkerCluster(name=f"社区活动 · 近{ACTIVITY_DAYS}天 (activities)")
    for r in acts.itertuples():
        folium.CircleMarker(
            [r.geometry.y, r.geometry.x], radius=5, color=ACTIVITY_COLOR, weight=1, fill=True,
            fill_opacity=0.85, tooltip=f"{r.held_on} · {r.title} · {r.participants} 人",
        ).add_to(cluster)  # fmt: skip
    cluster.add_to(m)
    items = [
        (f"共驻共建单位 ({len(units)})", "#222222", UNIT_COLOR, "box"),
        (f"社区活动 ({len(acts)})", ACTIVITY_COLOR, ACTIVITY_COLOR, "dot"),
    ]
    return len(units), len(acts), items


def community_report(
    *, session: Session, code: str, today: date, options: maps.ReportOptions | None = None
) -> str:
    """The scorecard report of community ``code`` as one self-contained HTML page.

    Parameters
    ----------
    session
        A database session.
    code
        The community's 12-digit code.
    today
        The day the scorecard is computed for (activities of the year before it are shown).
    options
        Styles from the layer catalogue (the API passes them; the CLI uses the defaults).

    Raises
    ------
    InvalidInput, NotFound
        A malformed code or no such current community (field ``code``).
    """
    opts = options or maps.ReportOptions()
    card = score.one(session, code=code, today=today)
    area = data.get_area(session=session, level="community", code=code)
    st = opts.styles
    m = maps.base_map(area.geom.bounds, width="66%")
    boundary = gpd.GeoDataFrame(
        {"name": [area.name], "code": [area.code]}, geometry=[area.geom], crs=4326
    )
    line = {**style_for("communities", st), "fill_opacity": 0.0, "stroke_width": 3}
    maps.polygons(m, boundary, f"边界 · {area.name}", line, ["name", "code"], ["名称", "代码"])
    grids = _grids(session, area)
    grid_items = _grid_layer(m, grids, style_for("grids", st).get("stroke", "#33a02c"))
    fac = data.facilities(session=session, area=area)
    fac_items = maps.facility_layers(m, fac, st)
    n_units, n_acts, register_items = _registers(m, session, code, today)
    total = "—" if card["total"] is None else f"{card['total']:.1f}"
    figures = [
        ("综合得分 (score)", f"{total} · 第 {card['rank']}/{card['of']} 名"),
        ("网格数 (grids)", f"{len(grids)}"),
        ("户数 (households)", f"{int(grids['households'].sum()) if len(grids) else 0:,}"),
        ("设施 (facilities)", f"{len(fac)}"),
        ("共建单位 (units)", f"{n_units}"),
        (f"近{ACTIVITY_DAYS}天活动 (activities)", f"{n_acts}"),
    ]
    legend = [
        ("边界", [maps.fill_item(f"{area.name} 边界", "communities", st)]),
        ("网格户数 (悬停查看设岗、志愿队)", grid_items),
        ("设施及步行服务半径", fac_items),
        ("共驻共建与社区活动", register_items),
    ]
    root = m.get_root()
    root.header.add_child(Element(report.CSS))  # type: ignore[attr-defined]
    root.html.add_child(Element(report.panel(card, today=today.isoformat())))  # type: ignore[attr-defined]
    subtitle = f"{area.parent_name or ''} · {area.code} · 评估日期 {today.isoformat()}"
    return maps.finish(m, f"{area.name} 五型社区评估", subtitle, figures, legend, opts)
