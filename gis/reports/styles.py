"""Styles of the report maps: one lookup, fed by the layer catalogue when it is available.

The layer specs in ``layers/`` carry the styles the dashboard draws with. ``gis`` does not
import ``layers``; the API passes ``{layer id: style}`` from the catalogue as ``overrides`` and
:func:`style_for` merges them over the defaults below (a test keeps the defaults equal to the
catalogue's colours, so CLI reports match too). The defaults follow the same shape (``stroke``, ``stroke_width``, ``fill``, ``fill_opacity``, ``dash``; point layers
``by`` a property with ``symbols``/``classes`` of ``{value: {color, label}}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gis.models.facilities import FACILITY_KINDS

Style = dict[str, Any]
Overrides = Mapping[str, Mapping[str, Any]]

_FACILITY_COLORS = {
    "office_service_site": "#e31a1c",
    "service_centre": "#ff7f00",
    "service_station": "#fdbf6f",
    "mediation_centre": "#6a3d9a",
    "police_room": "#1f78b4",
    "health_station": "#33a02c",
    "elderly_care": "#b15928",
    "culture_sports": "#fb9a99",
    "commercial_outlet": "#a6cee3",
}
_CLASSES = {
    "01": ("市容环境", "#8c510a"),
    "02": ("宣传广告", "#bf812d"),
    "03": ("施工管理", "#dfc27d"),
    "04": ("街面秩序", "#f46d43"),
    "05": ("突发事件", "#d73027"),
    "06": ("矛盾纠纷", "#7b3294"),
    "07": ("治安隐患", "#2166ac"),
    "08": ("特殊人群", "#4d4d4d"),
    "09": ("校园周边安全", "#1a9850"),
    "10": ("民生服务", "#35978f"),
}
PROJECT_STATUS = {
    "not_started": ("未开工", "#bdbdbd"),
    "on_track": ("正常推进", "#238b45"),
    "at_risk": ("存在风险", "#fd8d3c"),
    "late": ("滞后", "#d7301f"),
    "completed": ("已完成", "#2171b5"),
}

DEFAULTS: dict[str, Style] = {
    "district": {
        "type": "fill",
        "stroke": "#252525",
        "stroke_width": 3,
        "fill": "#ffffff",
        "fill_opacity": 0.0,
    },
    "townships": {
        "type": "fill",
        "stroke": "#6a3d9a",
        "stroke_width": 2.5,
        "dash": "6 4",
        "fill": "#cab2d6",
        "fill_opacity": 0.08,
    },
    "communities": {
        "type": "fill",
        "stroke": "#1f78b4",
        "stroke_width": 1.5,
        "fill": "#a6cee3",
        "fill_opacity": 0.12,
    },
    "grids": {
        "type": "fill",
        "stroke": "#33a02c",
        "stroke_width": 0.8,
        "fill": "#b2df8a",
        "fill_opacity": 0.25,
    },
    "facilities": {
        "type": "symbol",
        "by": "kind",
        "radius": 6,
        "symbols": {
            k: {"color": c, "label": FACILITY_KINDS[k]} for k, c in _FACILITY_COLORS.items()
        },
    },
    "incidents": {
        "type": "circle",
        "by": "class_code",
        "radius": 5,
        "classes": {k: {"color": c, "label": n} for k, (n, c) in _CLASSES.items()},
    },
    "construction_sites": {
        "type": "symbol",
        "by": "status",
        "radius": 8,
        "symbols": {k: {"color": c, "label": n} for k, (n, c) in PROJECT_STATUS.items()},
    },
}


def style_for(layer_id: str, overrides: Overrides | None = None) -> Style:
    """The style of ``layer_id``: the catalogue's (if given) over the defaults.

    Examples
    --------
    >>> style_for("grids")["stroke"]
    '#33a02c'
    >>> style_for("grids", {"grids": {"stroke": "#000000"}})["stroke"]
    '#000000'
    """
    base = dict(DEFAULTS.get(layer_id, {}))
    given = dict(overrides.get(layer_id) or {}) if overrides else {}
    if given and given.get("by", base.get("by")) == base.get("by"):
        base.update(given)  # a style keyed by another property does not fit these data
    return base


def path_options(style: Style) -> dict[str, Any]:
    """Leaflet path options for a fill style."""
    out: dict[str, Any] = {
        "color": style.get("stroke", "#555555"),
        "weight": style.get("stroke_width", 1),
        "fillColor": style.get("fill", style.get("stroke", "#555555")),
        "fillOpacity": style.get("fill_opacity", 0.1),
    }
    if style.get("dash"):
        out["dashArray"] = style["dash"]
    return out


def value_colors(style: Style) -> dict[str, tuple[str, str]]:
    """``{value: (color, label)}`` of a point style keyed ``by`` a property."""
    table = style.get("symbols") or style.get("classes") or {}
    return {str(k): (v.get("color", "#555555"), v.get("label", str(k))) for k, v in table.items()}
