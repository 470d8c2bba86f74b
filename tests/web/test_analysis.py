"""Planning analysis, the scorecard radar and export from the dashboard, in Chromium."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa

from tests.web.conftest import login, shot


def test_planner_runs_coverage_and_balance(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    page = open_context().new_page()
    page.goto(f"{server}/#v=planning&m=12/36.49/102.41")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, "planner1", "planner")
    # Tabs are keyboard reachable: focus the first, arrow to the coverage tab.
    page.focus("#tab-projects")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-coverage", "aria-selected") == "true"
    assert "pt=coverage" in page.url
    # Every input has a label.
    for sel in ("#cov-kind", "#cov-reach", "#cov-level", "#cov-planned"):
        assert page.locator(f"label[for='{sel[1:]}']").count() == 1, sel
    page.select_option("#cov-kind", "service_station")
    with page.expect_response(lambda r: "/api/v1/analysis/coverage" in r.url) as resp:
        page.click("#cov-run")
        page.wait_for_selector("#cov-out .busy [role=status], #cov-out .busy progress")
    result = resp.value.json()
    page.wait_for_selector("body[data-analysis='coverage']")
    rows = page.locator("#coverage-table tbody tr")
    assert rows.count() == len(result["units"]) > 0
    # Lowest share first; each share is a number and a word/symbol, not a colour alone.
    first = min(u["household_share"] for u in result["units"] if u["household_share"] is not None)
    assert f"{first * 100:.1f}%" in rows.first.text_content()
    total = result["total"]
    assert str(total["covered_households"]) in page.text_content("#cov-total")
    with engine.connect() as conn:
        stations = conn.execute(
            sa.text(
                "SELECT count(*) FROM facilities WHERE kind = 'service_station'"
                " AND status = 'in_service'"
            )
        ).scalar()
    # Reach circles (one per in-service station) and the uncovered gaps are drawn on the map.
    assert page.get_attribute("#cov-out", "data-sites") == str(stations)
    assert page.get_attribute("#cov-out", "data-gaps") == str(len(result["gaps"]["features"]))
    assert len(result["gaps"]["features"]) >= 1
    assert f"{len(result['gaps']['features'])}" in page.text_content("#cov-gaps")
    shot(page, "planning-coverage")

    page.click("#tab-balance")
    page.fill("#bal-min", "300")
    page.fill("#bal-max", "400")
    with page.expect_response(lambda r: "/api/v1/analysis/balance" in r.url) as resp:
        page.click("#bal-run")
    bal = resp.value.json()
    assert bal["band"] == {"min_households": 300, "max_households": 400}
    page.wait_for_selector("body[data-analysis='balance']")
    for flag in ("under", "within", "over"):
        assert str(bal["summary"][flag]) in page.text_content(f"#bal-summary [data-flag='{flag}']")
    outliers = [g for g in bal["grids"] if g["flag"] in ("under", "over")]
    if outliers:
        listed = page.locator("#bal-outliers tbody tr")
        assert listed.count() == len(outliers)
        assert {r.get_attribute("data-code") for r in listed.all()} == {g["code"] for g in outliers}
        assert "▲" in page.text_content("#bal-outliers") or "▼" in page.text_content(
            "#bal-outliers"
        )
    shot(page, "planning-balance")
    page.click("#lang")
    assert "Grid balance" in page.text_content("#tab-balance")
    page.click("#lang")


def test_scorecard_radar_and_report(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    ctx = open_context(accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{server}/#v=planning&pt=scorecard")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, "planner1", "planner")
    page.wait_for_selector("#score-ranking tbody tr")
    with engine.connect() as conn:
        n = conn.execute(
            sa.text("SELECT count(*) FROM admin_units WHERE level = 5 AND valid_to IS NULL")
        ).scalar()
    assert page.locator("#score-ranking tbody tr").count() == n
    # Pick the last-ranked community: its radar is drawn and its values are listed in words.
    last = page.locator("#score-ranking tbody tr").last
    code = last.get_attribute("data-code")
    with page.expect_response(lambda r: f"/api/v1/scorecard/{code}" in r.url) as resp:
        last.locator("button").click()
    card = resp.value.json()
    page.wait_for_selector(f"#score-card[data-code='{code}'] #score-radar[data-drawn='1']")
    assert f"sc={code}" in page.url
    label = page.get_attribute("#score-radar", "aria-label") or ""
    for h in card["heading_names"].values():
        assert h["name"] in label
    assert page.locator("#score-radar canvas").count() >= 1
    flagged = [c for c in page.locator("#score-ranking tbody td.flags").all_inner_texts() if c]
    assert all(f.startswith("※") for f in flagged)
    shot(page, "scorecard-radar")
    with page.expect_download() as dl:
        page.click("#score-report")
    path = dl.value.path()
    assert dl.value.suggested_filename == f"scorecard-{code}.html"
    assert card["name"] in Path(path).read_text(encoding="utf-8")


def test_commander_exports_cases_in_view(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    ctx = open_context(accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{server}/#v=command&m=14/36.49/102.41")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#export-form").count() == 0  # not signed in: no export
    login(page, engine, "commander1", "commander")
    page.wait_for_selector("#export-form")
    page.select_option("#fl-cat", "01")  # the list's category filter goes along as CQL2
    page.select_option("#ex-layer", "cases")
    page.select_option("#ex-format", "geojson")
    with (
        page.expect_request(lambda r: "/exchange/export/cases" in r.url) as req,
        page.expect_download() as dl,
    ):
        page.click("#ex-go")
    q = parse_qs(urlparse(req.value.url).query)
    assert q["format"] == ["geojson"]
    assert q["filter"] == ["class_code = '01'"]
    west, south, east, north = (float(x) for x in q["bbox"][0].split(","))
    start = datetime.fromisoformat(q["datetime"][0].split("/")[0].replace("Z", "+00:00"))
    with open(dl.value.path(), encoding="utf-8") as f:
        features = json.load(f)["features"]
    with engine.connect() as conn:
        expected = conn.execute(
            sa.text(
                # a filtered export reads the incident layer: no cancelled or merged cases
                "SELECT count(*) FROM cases WHERE reported_at >= :s AND category_code LIKE '01%'"
                " AND state NOT IN ('cancelled', 'merged')"
                " AND ST_Intersects(geom, ST_MakeEnvelope(:w, :so, :e, :n, 4326))"
            ),
            {"s": start, "w": west, "so": south, "e": east, "n": north},
        ).scalar()
    assert len(features) == expected
    page.wait_for_selector("#ex-out[data-count]")
    assert page.get_attribute("#ex-out", "data-count") == str(expected)
    shot(page, "command-export")


def test_grid_card_opens_on_click_and_links_to_the_scorecard(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.web.test_field import GRID, _grid_point

    lon, lat = _grid_point(engine)
    page = open_context().new_page()
    page.goto(f"{server}/#v=command&m=13/{lat}/{lon}&l=grids")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, "commander1", "commander")
    page.wait_for_selector("body[data-ready='1']")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#gridcard")
    assert page.text_content("#card-code") == GRID
    shot(page, "command-gridcard")
    page.click("#card-scorecard")
    page.wait_for_selector(f"#score-card[data-code='{GRID[:12]}'] #score-radar[data-drawn='1']")
    assert "pt=scorecard" in page.url
