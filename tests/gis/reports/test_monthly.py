"""The monthly township summary: figures from the KPI module, chart, HTML offline, PDF."""

from __future__ import annotations

import re

import pytest

from gis.errors import InvalidInput
from gis.reports.monthly import monthly_html, monthly_pdf, parse_month, summary
from gis.spatial.params import window
from gis.spatial.stats import kpis

TOWNSHIP = "630202001000"


def test_parse_month() -> None:
    m = parse_month("2024-02")
    assert (m.first.isoformat(), m.last.isoformat()) == ("2024-02-01", "2024-02-29")
    with pytest.raises(InvalidInput):
        parse_month("2024-13")


def test_summary_matches_kpis(db) -> None:
    month = parse_month(None)
    s = summary(session=db, township=TOWNSHIP, month=month)
    ref = kpis(db, level="township", window=window(month.first, month.last), parent=TOWNSHIP)
    unit = next(u for u in ref["units"] if u["code"] == TOWNSHIP)
    for key in ("due", "closed", "closed_on_time", "overdue", "reported"):
        assert s["total"][key] == unit[key], key
    assert s["total"]["reported"] > 0
    assert sum(c["n"] for c in s["categories"]) <= s["total"]["reported"]
    assert s["hotspots"] and s["hotspots"][0]["n"] >= s["hotspots"][-1]["n"]


def test_monthly_html_offline_and_pdf(db, open_page) -> None:
    html = monthly_html(session=db, township=TOWNSHIP)
    assert "data:image/png;base64," in html and "按期结案率" in html
    assert not re.search(r"(src|href)=['\"]https?://", html)
    facts = open_page(html, "report-monthly")
    assert facts["outside"] == [] and facts["failed"] == [] and facts["errors"] == []
    pdf = monthly_pdf(session=db, township=TOWNSHIP)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
