"""Planning view: the nine seed projects on the map, in the register and on the timeline."""

from __future__ import annotations

import sqlalchemy as sa

from tests.web.conftest import login, shot


def test_planner_sees_register_and_timeline_of_seed_projects(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        names = set(conn.execute(sa.text("SELECT name FROM projects")).scalars())
    assert len(names) == 9
    ctx = open_context()
    page = ctx.new_page()
    page.goto(f"{server}/#v=planning")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, "planner1", "planner")
    page.wait_for_selector(".gantt .g-row[data-project]")
    rows = page.locator(".gantt .g-row[data-project]")
    assert rows.count() == 9
    shown = {
        n.strip()
        for n in page.locator(".gantt .g-row[data-project] .g-name strong").all_inner_texts()
    }
    assert shown == names
    # Every project has planned bars; statuses are given by a word, not colour alone.
    assert page.locator(".gantt .bar.planned").count() >= 9
    assert page.locator("#register tbody tr").count() == 9
    statuses = page.locator("#register tbody .pstatus").all_inner_texts()
    assert all(len(s.split(" ", 1)[1]) >= 2 for s in statuses)
    # The projects are on the map.
    assert page.locator(".leaflet-marker-icon.project-pin").count() == 9
    shot(page, "planning")
