"""The scorecard of one community as a panel: total, radar chart (inline SVG), the indicators
with their definitions, sources and weights. :mod:`gis.scorecard.map_report` puts it beside
the community's map."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from gis.scorecard.config import HEADINGS


def _radar(card: dict[str, Any], size: int = 320) -> str:
    c, r = size / 2, size / 2 - 50
    pts, axes, labels = [], [], []
    for i, h in enumerate(HEADINGS):
        a = -math.pi / 2 + 2 * math.pi * i / len(HEADINGS)
        v = card["headings"][h] or 0.0
        pts.append(f"{c + r * v * math.cos(a):.1f},{c + r * v * math.sin(a):.1f}")
        x, y = c + r * math.cos(a), c + r * math.sin(a)
        axes.append(f'<line x1="{c}" y1="{c}" x2="{x:.1f}" y2="{y:.1f}" stroke="#bbb"/>')
        lx, ly = c + (r + 26) * math.cos(a), c + (r + 26) * math.sin(a)
        name = card["heading_names"][h]["name"]
        score = "—" if card["headings"][h] is None else f"{card['headings'][h] * 100:.0f}"
        labels.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" '
            f'font-size="13">{escape(name)} {score}</text>'
        )
    rings = "".join(
        '<polygon fill="none" stroke="#e3e3e3" points="'
        + " ".join(
            f"{c + r * k / 4 * math.cos(-math.pi / 2 + 2 * math.pi * i / 5):.1f},"
            f"{c + r * k / 4 * math.sin(-math.pi / 2 + 2 * math.pi * i / 5):.1f}"
            for i in range(5)
        )
        + '"/>'
        for k in range(1, 5)
    )
    return (
        f'<svg class="radar" width="{size}" height="{size}" role="img" '
        f'aria-label="五型社区雷达图">{rings}{"".join(axes)}'
        f'<polygon fill="rgba(200,40,40,0.25)" stroke="#c82828" stroke-width="2" '
        f'points="{" ".join(pts)}"/>{"".join(labels)}</svg>'
    )


FLAG_NAMES = {"small_population": "人口较少", "few_disputes": "纠纷样本不足"}
CSS = """
<style>
 .sc-aside {position:fixed; top:0; right:0; bottom:0; width:34%; overflow:auto;
   background:#fff; border-left:1px solid #bbb; padding:12px 16px; box-sizing:border-box;
   font-size:13px; color:#222; z-index:1001;}
 .sc-aside h2 {font-size:17px; margin:4px 0;}
 .sc-aside .total {font-size:36px; color:#c82828; line-height:1.1;}
 .sc-aside table {border-collapse:collapse; width:100%; margin-top:8px;}
 .sc-aside td, .sc-aside th {border:1px solid #ddd; padding:4px 5px; vertical-align:top;}
 .sc-aside th {background:#f4f4f4;}
 .sc-aside .def {color:#555; font-size:12px;}
 .sc-aside .radar {display:block; margin:0 auto;}
 .gm-legend {right:calc(34% + 10px);}
</style>
"""


def _num(v: float | None, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def panel(card: dict[str, Any], *, today: str) -> str:
    """The scorecard beside the map: total and rank, radar, heading scores, indicators."""
    rows = []
    for d in card["definitions"]:
        ind = card["indicators"][d["code"]]
        score = _num(None if ind["score"] is None else ind["score"] * 100, ".0f")
        flag = "（样本不足）" if ind["small_sample"] else ""
        rows.append(
            f"<tr><td>{escape(card['heading_names'][d['heading']]['name'])}</td>"
            f"<td>{escape(d['name'])}<div class=def>{escape(d['definition'])}<br>"
            f"来源: {escape(d['source'])} · 权重 {d['weight']}</div></td>"
            f"<td>{_num(ind['value'], '.2f')}</td><td>{ind['n']}</td><td>{score}{flag}</td></tr>"
        )
    headings = "".join(
        f"<tr><td>{escape(h['name'])}</td><td>{h['weight']}</td>"
        f"<td>{_num(None if card['headings'][k] is None else card['headings'][k] * 100, '.0f')}"
        "</td></tr>"
        for k, h in card["heading_names"].items()
    )
    flags = "、".join(FLAG_NAMES[f] for f in card["flags"]) or "无"
    return f"""<aside class="sc-aside" id="sc-aside">
<h2>{escape(card["name"])} · 五型社区评估</h2>
<div>{escape(card["township_name"])} · {card["code"]} · 人口 {card["population"]:,}
 · 户数 {card["households"]:,} · 评估日期 {escape(today)}</div>
<div class="total">{_num(card["total"], ".1f")}</div>
<div>综合得分（满分100） · 全区排名 {card["rank"]} / {card["of"]} · 提示: {flags}</div>
{_radar(card)}
<table><thead><tr><th>维度 (heading)</th><th>权重</th><th>得分</th></tr></thead>
<tbody>{headings}</tbody></table>
<table><thead><tr><th>维度</th><th>指标、定义与来源</th><th>原始值</th><th>样本</th><th>得分</th>
</tr></thead><tbody>{"".join(rows)}</tbody></table>
</aside>"""
