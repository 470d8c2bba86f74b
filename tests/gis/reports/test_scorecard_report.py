"""The per-community scorecard report: a folium map beside the scorecard, drawn offline."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis.errors import InvalidInput, NotFound
from gis.projects.config import local_today
from gis.scorecard.map_report import HOUSEHOLD_COLORS, community_report, household_breaks

COMMUNITY = "630202001001"


def test_household_breaks() -> None:
    assert household_breaks([]) == []
    assert household_breaks([300, 300, 300]) == [300]
    b = household_breaks([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
    assert b == sorted(b) and b[-1] == 1000 and len(b) == len(HOUSEHOLD_COLORS)


def test_scorecard_report_map_draws_offline(db, open_page) -> None:
    html = community_report(session=db, code=COMMUNITY, today=local_today())
    n_grids, distinct = db.execute(
        sa.text(
            "SELECT count(*), count(DISTINCT households) FROM grids "
            "WHERE community_code = :c AND valid_to IS NULL"
        ),
        {"c": COMMUNITY},
    ).one()
    n_fac = db.execute(
        sa.text(
            "SELECT count(*) FROM facilities f JOIN admin_units u ON u.code = :c "
            "AND u.valid_to IS NULL AND ST_Intersects(f.geom, u.geom)"
        ),
        {"c": COMMUNITY},
    ).scalar_one()
    facts = open_page(html, "report-scorecard")
    assert facts["leaflet"] and not facts["outside"] and not facts["failed"], facts
    assert not facts["errors"], facts["errors"]
    # boundary + grids + a reach circle and a marker per facility, at least
    assert facts["paths"] >= 1 + n_grids + 2 * n_fac, facts["paths"]
    assert "户" in facts["legend"] and "服务半径" in facts["legend"]
    assert "示意边界" in facts["sources"] and "五型社区评估" in facts["title"]
    fills = facts["grid_fills"]
    assert len(fills) == n_grids and set(fills) <= set(HOUSEHOLD_COLORS)
    if distinct > 1:
        assert len(set(fills)) > 1  # coloured by households
    aside = facts["aside"]
    assert "综合得分" in aside and "设岗定责" in aside and facts["radar"]


def test_scorecard_report_refusals(db) -> None:
    with pytest.raises(NotFound):
        community_report(session=db, code="630202999999", today=local_today())
    with pytest.raises(InvalidInput):
        community_report(session=db, code="12", today=local_today())
