"""Command centre: filters, KPIs, the case drawer with history and the commander's actions."""

from __future__ import annotations

import json
import urllib.request
import uuid

import sqlalchemy as sa

from tests.web.conftest import login, shot
from tests.web.test_field import GRID, _grid_point


def _report_case(server: str, lon: float, lat: float) -> str:
    body = {
        "client_id": str(uuid.uuid4()),
        "lon": lon,
        "lat": lat,
        "category": "0102",
        "description": "浏览器测试：指挥中心办理",
    }
    req = urllib.request.Request(
        f"{server}/api/v1/cases",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Gridmap-User": f"wg{GRID}",
            "X-Gridmap-Role": "field_staff",
        },
        method="POST",
    )
    with urllib.request.urlopen(req) as res:
        return str(json.loads(res.read())["case"]["case_no"])


def test_commander_registers_and_dispatches_from_the_drawer(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    lon, lat = _grid_point(engine)
    case_no = _report_case(server, lon, lat)
    page = open_context().new_page()
    page.goto(f"{server}/#v=command&m=16/{lat}/{lon}")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, "commander1", "commander")
    # The new case is listed in the view and opens in the drawer.
    page.click(f"#case-list li[data-case='{case_no}'] button")
    page.wait_for_selector("#drawer:not([hidden]) #drawer-h")
    assert page.text_content("#drawer-h") == case_no
    assert "case=" + case_no in page.url
    assert page.locator("#drawer ol.timeline li").count() == 1

    page.click("#drawer button[data-action='register']")
    page.click("#drawer .action-form button[type=submit]")
    page.wait_for_selector("#drawer button[data-action='dispatch']")
    page.click("#drawer button[data-action='dispatch']")
    page.select_option("#act-dept", "cityadmin")
    page.fill("#act-note", "请尽快清理")
    page.click("#drawer .action-form button[type=submit]")
    page.wait_for_selector("#drawer ol.timeline li:nth-child(3)")
    with engine.connect() as conn:
        state, dept = conn.execute(
            sa.text("SELECT state, department_code FROM cases WHERE case_no = :n"), {"n": case_no}
        ).one()
    assert (state, dept) == ("dispatched", "cityadmin")
    shot(page, "command-drawer")
    # KPI tiles show numbers, and the state filter narrows the list to dispatched cases.
    assert page.text_content("#kpi-open .kpi-value").strip().rstrip("+").isdigit()
    page.keyboard.press("Escape")
    page.select_option("#fl-state", "dispatched")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#case-list .state')].every(s => /派遣|超期/.test(s.textContent))"
    )
    assert "fs=dispatched" in page.url
    shot(page, "command-filtered")
