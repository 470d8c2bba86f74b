"""Field staff on a phone: report by tapping the map, the offline queue, exactly once."""

from __future__ import annotations

import json
import urllib.request

import pytest
import sqlalchemy as sa

from tests.web.conftest import login, shot

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
GRID = "630202001001005"


def _grid_point(engine) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids"
                " WHERE code = :c AND valid_to IS NULL) s"
            ),
            {"c": GRID},
        ).one()
    return float(row[0]), float(row[1])


def _cases_with(engine, description: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [
            (r[0], r[1])
            for r in conn.execute(
                sa.text("SELECT case_no, grid_code FROM cases WHERE description = :d"),
                {"d": description},
            )
        ]


def _routes(server: str) -> list[str]:
    with urllib.request.urlopen(f"{server}/app-config.json") as res:
        return json.loads(res.read())["routes"]


def _report(page, description: str) -> None:  # type: ignore[no-untyped-def]
    page.select_option("#f-major", "01")
    page.select_option("#f-minor", "0102")
    page.fill("#f-desc", description)
    page.click("#f-submit")


def _tap_centre(page) -> None:  # type: ignore[no-untyped-def]
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_worker_taps_map_sees_grid_and_commander_sees_case_live(  # type: ignore[no-untyped-def]
    server, open_context, engine
) -> None:
    if "GET /api/v1/events" not in _routes(server):
        pytest.skip("the live feed (/api/v1/events) is not served yet")
    lon, lat = _grid_point(engine)
    cmd = open_context().new_page()
    cmd.goto(f"{server}/#v=command&m=16/{lat}/{lon}")
    cmd.wait_for_selector("body[data-ready='1']")
    login(cmd, engine, "commander1", "commander")
    cmd.wait_for_selector("body[data-live='1']")

    field = open_context(**PHONE).new_page()
    field.goto(f"{server}/#v=field&m=17/{lat}/{lon}")
    field.wait_for_selector("body[data-ready='1']")
    login(field, engine, f"wg{GRID}", "field_staff", (GRID,))
    _tap_centre(field)
    field.wait_for_selector(f"#f-located[data-grid='{GRID}']")
    description = "浏览器测试：点选上报的暴露垃圾"
    _report(field, description)
    field.wait_for_function(
        "() => /630202-\\d{8}-\\d+/.test(document.getElementById('toast').textContent)"
    )
    assert field.get_attribute("body", "data-pending") == "0"
    [(case_no, grid)] = _cases_with(engine, description)
    assert case_no in field.text_content("#toast")
    assert grid == GRID
    shot(field, "field-reported")

    row = cmd.wait_for_selector(f"#case-list li[data-case='{case_no}']", timeout=3000)
    assert "flash" in (row.get_attribute("class") or "")
    shot(cmd, "command-live")


def test_tap_outside_district_is_refused_on_the_spot(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    page = open_context(**PHONE).new_page()
    page.goto(f"{server}/#v=field&m=12/36.30/102.80")  # south-east, outside the outline
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, f"wg{GRID}", "field_staff", (GRID,))
    _tap_centre(page)
    page.wait_for_selector("#f-located.bad")
    assert page.is_disabled("#f-submit")
    shot(page, "field-outside")


def test_offline_report_is_queued_and_stored_exactly_once(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    lon, lat = _grid_point(engine)
    ctx = open_context(**PHONE, service_workers="block")
    page = ctx.new_page()
    page.goto(f"{server}/#v=field&m=17/{lat}/{lon}")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, f"wg{GRID}", "field_staff", (GRID,))
    page.wait_for_timeout(300)  # the district outline is in

    ctx.context.set_offline(True)
    _tap_centre(page)
    description = "浏览器测试：离线上报"
    _report(page, description)
    page.wait_for_selector("body[data-pending='1']")
    assert "1" in page.text_content("#pending-count")
    shot(page, "field-offline-pending")
    assert _cases_with(engine, description) == []

    # Back online, the first answer is lost on the way (the case is stored, the phone does
    # not hear it): the report stays queued and is sent again with the same client id.
    lost = []

    def lose_first_answer(route) -> None:  # type: ignore[no-untyped-def]
        if not lost:
            lost.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/cases", lose_first_answer)
    ctx.allowed_errors.append("ERR_CONNECTION_RESET")
    ctx.context.set_offline(False)
    for _ in range(200):  # the page sends when it hears it is online again
        if lost:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    assert lost == [201]
    assert len(_cases_with(engine, description)) == 1
    assert page.get_attribute("body", "data-pending") == "1"
    page.click("#pending button")  # send now
    page.wait_for_selector("body[data-pending='0']")
    assert len(_cases_with(engine, description)) == 1
