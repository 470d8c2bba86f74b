"""Monthly summary of one township: KPIs, top categories, hotspots and a chart (HTML, PDF).

The KPIs are the platform's own (``gis.spatial.stats.kpis``: 结案率, 按期结案率, overdue …)
for the calendar month in Beijing time; the chart is a matplotlib PNG embedded in the page,
so the HTML is one file and the PDF (WeasyPrint) needs nothing from the network.

Examples
--------
>>> html = monthly_html(session=s, township="630202001000", month="2026-10")  # doctest: +SKIP
>>> pdf = monthly_pdf(session=s, township="630202001000", month="2026-10")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.reports import chrome, data
from gis.spatial.params import window
from gis.spatial.stats import kpis

TOP_N = 10
HOTSPOTS = 8
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "DejaVu Sans"]


@dataclass(frozen=True)
class Month:
    first: date
    last: date

    @property
    def label(self) -> str:
        return f"{self.first.year} 年 {self.first.month} 月"


def parse_month(text: str | None, *, today: date | None = None) -> Month:
    """``YYYY-MM`` (default: the previous full month)."""
    today = today or (datetime.now(UTC) + timedelta(hours=8)).date()
    if not text:
        last = today.replace(day=1) - timedelta(days=1)
        return Month(last.replace(day=1), last)
    try:
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise InvalidInput(
            f"月份格式应为 YYYY-MM (month must be YYYY-MM): {text!r}", field="month"
        ) from None
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Month(first, nxt - timedelta(days=1))


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1%}"


def summary(
    *, session: Session, township: str, month: Month, sees_personal: bool = False
) -> dict[str, Any]:
    """The figures of the monthly summary (what the HTML and PDF show)."""
    area = data.get_area(session=session, level="township", code=township)
    w = window(month.first, month.last)
    prev_last = month.first - timedelta(days=1)
    pw = window(prev_last.replace(day=1), prev_last)
    by_comm = kpis(
        session,
        level="community",
        window=w,
        parent=township,
        min_due=5,
        sort="on_time_rate",
        breakdown=False,
    )
    prev = kpis(session, level="township", window=pw, parent=township, breakdown=False)
    hide = "" if sees_personal else (" AND NOT coalesce(k.sensitive OR p.sensitive, false)")
    params = {"t": township, "s": w.start, "e": w.end}
    cats = (
        session.execute(
            sa.text(
                "SELECT k.code, k.name, p.name AS class_name, count(*) AS n FROM cases c "
                "JOIN categories k ON k.code = c.category_code "
                "LEFT JOIN categories p ON p.code = k.parent_code "
                f"WHERE c.township_code = :t AND c.reported_at >= :s AND c.reported_at < :e{hide} "
                "GROUP BY 1, 2, 3 ORDER BY n DESC, k.code LIMIT :n"
            ),
            {**params, "n": TOP_N},
        )
        .mappings()
        .all()
    )
    hot = (
        session.execute(
            sa.text(
                "SELECT g.code, g.name, count(*) AS n, count(*) FILTER (WHERE c.state IN "
                "('dispatched', 'processing', 'responded') AND c.deadline_at < now()) AS overdue "
                "FROM cases c JOIN grids g ON g.code = c.grid_code AND g.valid_to IS NULL "
                "JOIN categories k ON k.code = c.category_code "
                "LEFT JOIN categories p ON p.code = k.parent_code "
                f"WHERE c.township_code = :t AND c.reported_at >= :s AND c.reported_at < :e{hide} "
                "GROUP BY 1, 2 ORDER BY n DESC, g.code LIMIT :n"
            ),
            {**params, "n": HOTSPOTS},
        )
        .mappings()
        .all()
    )
    daily = session.execute(
        sa.text(
            "SELECT (c.reported_at AT TIME ZONE 'Asia/Shanghai')::date AS d, count(*) AS n "
            "FROM cases c WHERE c.township_code = :t AND c.reported_at >= :s AND c.reported_at < :e "
            "GROUP BY 1 ORDER BY 1"
        ),
        params,
    ).all()
    return {
        "area": area,
        "month": month,
        "total": by_comm["total"],
        "previous": prev["units"][0] if prev["units"] else prev["total"],
        "communities": by_comm["units"],
        "categories": [dict(c) for c in cats],
        "hotspots": [dict(h) for h in hot],
        "daily": [(d, int(n)) for d, n in daily],
    }


def chart_png(s: dict[str, Any]) -> bytes:
    """Top categories (bars) and cases per day (line) as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = CJK_FONTS
    plt.rcParams["axes.unicode_minus"] = False
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=110)
    cats = list(reversed(s["categories"]))
    a.barh([c["name"] for c in cats], [c["n"] for c in cats], color="#3182bd")
    a.set_title("案卷数量前十小类 (top categories)")
    days = s["daily"]
    b.plot([d for d, _ in days], [n for _, n in days], marker="o", ms=3, color="#d7301f")
    b.set_title("每日上报案卷 (cases per day)")
    b.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


CSS = """<style>
@page {size: A4; margin: 14mm;}
body {font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 11px; color: #222;}
h1 {font-size: 19px; margin: 0;} h2 {font-size: 14px; margin: 16px 0 6px; color: #08519c;}
.kpis {display: flex; flex-wrap: wrap; gap: 8px;} .kpi {border: 1px solid #ccc; padding: 6px 10px;
 border-radius: 4px; min-width: 95px;} .kpi b {display: block; font-size: 17px;}
table {border-collapse: collapse; width: 100%;} th, td {border: 1px solid #ddd; padding: 3px 5px;}
th {background: #f0f4f8;} img {width: 100%;} .note {color: #b30000;} .small {color: #666;}
</style>"""


def monthly_html(
    *, session: Session, township: str, month: str | None = None, sees_personal: bool = False
) -> str:
    """The monthly summary as one self-contained HTML page."""
    s = summary(
        session=session, township=township, month=parse_month(month), sees_personal=sees_personal
    )
    t, p, area = s["total"], s["previous"], s["area"]
    kpi = [
        ("应结案 (due)", str(t["due"])),
        ("已结案 (closed)", str(t["closed"])),
        ("结案率", _pct(t["closure_rate"])),
        ("按期结案率", _pct(t["on_time_rate"])),
        ("超期未结 (overdue)", str(t["overdue"])),
        ("当前超期 (now)", str(t["overdue_now"])),
        ("上报 (reported)", str(t["reported"])),
        ("上月结案率", _pct(p.get("closure_rate"))),
        ("上月按期结案率", _pct(p.get("on_time_rate"))),
    ]
    boxes = "".join(f"<div class='kpi'>{escape(k)}<b>{escape(v)}</b></div>" for k, v in kpi)
    comms = _table(
        ["社区", "应结案", "结案率", "按期结案率", "超期", "上报"],
        [
            [
                u["name"],
                str(u["due"]),
                _pct(u["closure_rate"]),
                _pct(u["on_time_rate"]),
                str(u["overdue"]),
                str(u["reported"]),
            ]
            for u in s["communities"]
            if u["reported"] or u["due"]
        ],
    )
    cats = _table(
        ["小类", "大类", "数量"],
        [[c["name"], c["class_name"] or "", str(c["n"])] for c in s["categories"]],
    )
    hot = _table(
        ["网格", "编码", "案卷", "当前超期"],
        [[h["name"], h["code"], str(h["n"]), str(h["overdue"])] for h in s["hotspots"]],
    )
    img = base64.b64encode(chart_png(s)).decode("ascii")
    generated = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    return (
        f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(area.name)} {s['month'].label} 网格化管理月报</title>{CSS}</head><body>"
        f"<h1>{escape(area.name)} 网格化管理月报 · {s['month'].label}</h1>"
        f"<div class='small'>{area.code} · 统计期 {s['month'].first} 至 {s['month'].last}（北京时间）"
        f" · 生成于 {generated}</div>"
        f"<h2>关键指标 (KPIs)</h2><div class='kpis'>{boxes}</div>"
        f"<h2>图表 (chart)</h2><img alt='chart' src='data:image/png;base64,{img}'>"
        f"<h2>高发小类 (top categories)</h2>{cats}"
        f"<h2>热点网格 (hotspots)</h2>{hot}"
        f"<h2>各社区指标 (by community)</h2>{comms}"
        f"<p class='small'>结案率 = 结案数 / 应结案数；按期结案率 = 按期结案数 / 应结案数；应结案数为期限落在本月的已派遣案卷。"
        f"</p><p class='note'>{escape(chrome.ILLUSTRATIVE_NOTE)}</p>"
        f"<p class='small'>数据来源：{escape('；'.join(chrome.SOURCES))}</p></body></html>"
    )


def monthly_pdf(
    *, session: Session, township: str, month: str | None = None, sees_personal: bool = False
) -> bytes:
    """The monthly summary as PDF (WeasyPrint; fonts from the system, nothing fetched)."""
    from weasyprint import HTML

    html = monthly_html(
        session=session, township=township, month=month, sees_personal=sees_personal
    )
    return HTML(string=html, base_url=None).write_pdf()  # type: ignore[no-any-return]
