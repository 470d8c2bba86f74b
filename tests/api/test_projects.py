"""The project API: roles, writes with history, bad input refused whole, personal data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from gis.projects.config import local_today

PLANNER = {"X-Gridmap-User": "plan1", "X-Gridmap-Role": "planner"}
ADMIN = {"X-Gridmap-User": "root", "X-Gridmap-Role": "admin"}
COMMANDER = {"X-Gridmap-User": "cmd1", "X-Gridmap-Role": "commander"}
VIEWER = {"X-Gridmap-User": "v1", "X-Gridmap-Role": "viewer"}
FIELD = {"X-Gridmap-User": "wg1", "X-Gridmap-Role": "field_staff"}
BASE = "/api/v1/projects"
TODAY = local_today()


def _seat(engine: Engine, code: str = "630202001001") -> tuple[float, float]:
    with engine.connect() as c:
        x, y = c.execute(
            sa.text(
                "SELECT ST_X(seat), ST_Y(seat) FROM admin_units WHERE code = :c AND valid_to IS NULL"
            ),
            {"c": code},
        ).one()
    return float(x), float(y)


def _body(engine: Engine, **over: Any) -> dict[str, Any]:
    x, y = _seat(engine)
    d = TODAY - timedelta(days=200)
    body: dict[str, Any] = {
        "name": "测试社区服务站建设",
        "facility_kind": "service_station",
        "community_code": "630202001001",
        "site": {"lon": x, "lat": y},
        "planned_floor_area": 700,
        "responsible_unit": "乐都区民政局",
        "contact_name": "王建国",
        "contact_phone": "17009720001",
        "budget_total": 1_000_000,
        "spent_to_date": 200_000,
        "funding": [{"source": "budget", "amount": 800_000}, {"source": "lottery", "amount": 200_000}],
        "milestones": [
            {"kind": "site_selection", "planned_date": str(d), "actual_date": str(d)},
            {"kind": "approval", "planned_date": str(d + timedelta(days=30)),
             "actual_date": str(d + timedelta(days=35))},
            {"kind": "design", "planned_date": str(TODAY + timedelta(days=60))},
            {"kind": "acceptance", "planned_date": str(TODAY + timedelta(days=300))},
        ],
    }  # fmt: skip
    body.update(over)
    return body


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text(sql)).scalar_one())


@pytest.fixture
def created(client: TestClient, engine: Engine) -> dict[str, Any]:
    r = client.post(BASE, json=_body(engine), headers=PLANNER)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    yield out
    client.delete(f"{BASE}/{out['id']}", headers=ADMIN)


def test_roles(client: TestClient, engine: Engine) -> None:
    assert client.get(BASE).status_code == 401
    assert client.get(BASE, headers=FIELD).status_code == 403
    for h in (COMMANDER, VIEWER, PLANNER, ADMIN):
        assert client.get(BASE, headers=h).status_code == 200
    for h in (COMMANDER, VIEWER, FIELD):
        assert client.post(BASE, json=_body(engine), headers=h).status_code == 403
    assert client.patch(f"{BASE}/1", json={"notes": "x"}, headers=VIEWER).status_code == 403


def test_register_lists_the_nine_plan_projects(client: TestClient) -> None:
    body = client.get(BASE, params={"as_of": "2026-11-26"}, headers=VIEWER).json()
    names = {p["name"][: -len("社区办公和服务场所建设")] for p in body["projects"]}
    assert {"朝阳山", "九哈家", "七里店", "寿乐", "汉庄", "文化街", "新乐西街", "水磨营",
            "古城西街"} <= names  # fmt: skip
    late = client.get(BASE, params={"as_of": "2026-11-26", "status": "late"}, headers=VIEWER)
    assert {p["status"] for p in late.json()["projects"]} == {"late"}
    assert client.get(BASE, params={"status": "lost"}, headers=VIEWER).json()["field"] == "status"


def test_create_returns_derived_status_warnings_and_history(
    client: TestClient, created: dict[str, Any]
) -> None:
    assert created["status"] == "on_track"
    assert created["progress"] == 25.0  # weights 5 + 5 done of 5 + 5 + 10 + 20
    assert created["warnings"] == []
    assert created["floor_area"]["meets_standard"] is True
    assert created["township_name"] == "碾伯街道"
    h = client.get(f"{BASE}/{created['id']}/history", headers=ADMIN).json()["history"]
    assert [e["action"] for e in h] == ["create"]
    assert (h[0]["actor"], h[0]["actor_role"]) == ("plan1", "planner") and h[0]["before"] is None
    assert h[0]["after"]["funding"] == {"budget": 800000.0, "lottery": 200000.0}


def test_every_change_is_in_the_history(client: TestClient, created: dict[str, Any]) -> None:
    pid = created["id"]
    r = client.patch(
        f"{BASE}/{pid}",
        json={
            "spent_to_date": 250_000,
            "milestones": [{"kind": "design", "actual_date": str(TODAY)}],
        },
        headers=PLANNER,
    )
    assert r.status_code == 200, r.text
    assert set(r.json()["changed"]) == {"spent_to_date", "milestones"}
    r2 = client.patch(f"{BASE}/{pid}", json={"notes": "改为二层"}, headers=ADMIN)
    assert r2.status_code == 200
    same = client.patch(f"{BASE}/{pid}", json={"notes": "改为二层"}, headers=ADMIN)
    assert same.json()["changed"] == []
    h = client.get(f"{BASE}/{pid}/history", headers=ADMIN).json()["history"]
    assert [e["action"] for e in h] == ["create", "update", "update"]
    assert h[1]["before"] == {
        "spent_to_date": 200000.0,
        "milestones": {
            "design": {"planned_date": str(TODAY + timedelta(days=60)), "actual_date": None}
        },
    }
    assert h[1]["after"]["milestones"]["design"]["actual_date"] == str(TODAY)
    assert h[2]["actor"] == "root" and h[2]["after"] == {"notes": "改为二层"}
    # the design milestone kept its planned date: only the date sent changed
    got = client.get(f"{BASE}/{pid}", headers=VIEWER).json()
    design = next(m for m in got["milestones"] if m["kind"] == "design")
    assert design["planned_date"] == str(TODAY + timedelta(days=60))


def test_personal_contact_only_for_roles_that_see_personal_data(
    client: TestClient, created: dict[str, Any]
) -> None:
    pid = created["id"]
    assert client.get(f"{BASE}/{pid}", headers=COMMANDER).json()["contact_phone"] == "17009720001"
    for h in (VIEWER, PLANNER):
        got = client.get(f"{BASE}/{pid}", headers=h).json()
        assert got["contact_phone"] is None and got["contact_name"] is None
        assert got["personal_hidden"] is True
        hist = client.get(f"{BASE}/{pid}/history", headers=h).json()["history"]
        assert hist[0]["after"]["contact_phone"] == "***"
        csv = client.get(f"{BASE}/export", params={"format": "csv"}, headers=h).content
        assert b"17009720001" not in csv
    assert b"17009720001" in client.get(f"{BASE}/export?format=csv", headers=ADMIN).content


def test_funding_not_adding_up_is_a_warning(client: TestClient, engine: Engine) -> None:
    body = _body(engine, funding=[{"source": "budget", "amount": 600_000}])
    r = client.post(BASE, json=body, headers=PLANNER)
    assert r.status_code == 201
    assert [w["field"] for w in r.json()["warnings"]] == ["funding"]
    assert "400,000.00" in r.json()["warnings"][0]["message"]
    assert r.json()["funding_gap"] == 400000.0
    client.delete(f"{BASE}/{r.json()['id']}", headers=PLANNER)


def _shift(engine: Engine, dlon: float) -> dict[str, float]:
    x, y = _seat(engine)
    return {"lon": x + dlon, "lat": y}


BAD = [
    ("future actual", {"milestones": [{"kind": "site_selection", "actual_date": str(TODAY + timedelta(days=3))}]},
     400, "milestones.site_selection.actual_date"),
    ("acceptance before start", {"milestones": [
        {"kind": "construction_start", "planned_date": "2026-03-01", "actual_date": "2026-03-05"},
        {"kind": "acceptance", "planned_date": "2026-04-01", "actual_date": "2026-03-01"}]},
     400, "milestones.acceptance.actual_date"),
    ("planned out of order", {"milestones": [
        {"kind": "design", "planned_date": "2026-06-01"},
        {"kind": "tendering", "planned_date": "2026-05-01"}]},
     400, "milestones.tendering.planned_date"),
    ("done before predecessor", {"milestones": [
        {"kind": "approval", "planned_date": "2026-03-01"},
        {"kind": "design", "planned_date": "2026-04-01", "actual_date": "2026-04-01"}]},
     400, "milestones.design.actual_date"),
    ("unknown milestone", {"milestones": [{"kind": "ribbon_cutting"}]}, 400, "milestones.kind"),
    ("negative budget", {"budget_total": -1}, 400, "budget_total"),
    ("negative spending", {"spent_to_date": -5}, 400, "spent_to_date"),
    ("negative funding", {"funding": [{"source": "budget", "amount": -10}]}, 400, "funding[0].amount"),
    ("unknown source", {"funding": [{"source": "bank", "amount": 10}]}, 400, "funding[0].source"),
    ("unknown kind", {"facility_kind": "spaceport"}, 400, "facility_kind"),
    ("unknown community", {"community_code": "630202999999"}, 400, "community_code"),
    ("override without reason", {"progress_override": 50}, 400, "progress_reason"),
    ("override out of range", {"progress_override": 150, "progress_reason": "x"}, 400, "progress_override"),
    ("not a number", {"budget_total": "lots"}, 400, "budget_total"),
    ("missing site", {"site": None}, 400, "site"),
    ("bad phone", {"contact_phone": "call me"}, 400, "contact_phone"),
    ("NUL in text", {"notes": "a\x00b"}, 400, "notes"),
    ("huge floor area", {"planned_floor_area": 5e9}, 400, "planned_floor_area"),
    ("bad polygon", {"site_polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}, 400,
     "site_polygon"),
    ("duplicate source", {"funding": [{"source": "budget", "amount": 1},
                                      {"source": "budget", "amount": 2}]}, 400, "funding[1].source"),
]  # fmt: skip


@pytest.mark.parametrize(("why", "over", "status", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field_and_saves_nothing(
    client: TestClient, engine: Engine, why: str, over: dict[str, Any], status: int, field: str
) -> None:
    before = [_count(engine, f"SELECT count(*) FROM {t}") for t in
              ("projects", "project_funding", "project_milestones", "project_history")]  # fmt: skip
    r = client.post(BASE, json=_body(engine, **over), headers=PLANNER)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    after = [_count(engine, f"SELECT count(*) FROM {t}") for t in
             ("projects", "project_funding", "project_milestones", "project_history")]  # fmt: skip
    assert after == before


def test_sites_outside_the_district_or_far_from_the_community(
    client: TestClient, engine: Engine
) -> None:
    x, y = _seat(engine)
    far = client.post(BASE, json=_body(engine, site={"lon": 100.0, "lat": 30.0}), headers=PLANNER)
    assert far.status_code == 422 and far.json()["field"] == "site"
    swapped = client.post(BASE, json=_body(engine, site={"lon": y, "lat": x}), headers=PLANNER)
    assert swapped.status_code in (400, 422) and swapped.json()["field"] == "site"
    # a point in the district but in another township's community, kilometres away
    other = _seat(engine, "630202102001")
    r = client.post(
        BASE, json=_body(engine, site={"lon": other[0], "lat": other[1]}), headers=PLANNER
    )
    assert r.status_code == 422 and r.json()["field"] == "site"
    assert r.json()["detail"]["distance_m"] > 1000


def test_bad_patch_changes_nothing(client: TestClient, created: dict[str, Any]) -> None:
    pid = created["id"]
    r = client.patch(
        f"{BASE}/{pid}",
        json={
            "notes": "不应保存",
            "milestones": [{"kind": "design", "actual_date": str(TODAY + timedelta(days=1))}],
        },
        headers=PLANNER,
    )
    assert r.status_code == 400 and r.json()["field"] == "milestones.design.actual_date"
    got = client.get(f"{BASE}/{pid}", headers=VIEWER).json()
    assert got["notes"] is None
    h = client.get(f"{BASE}/{pid}/history", headers=ADMIN).json()["history"]
    assert len(h) == 1
    assert client.patch(f"{BASE}/999999", json={"notes": "x"}, headers=PLANNER).status_code == 404


def test_progress_override_with_reason(client: TestClient, created: dict[str, Any]) -> None:
    pid = created["id"]
    r = client.patch(
        f"{BASE}/{pid}",
        json={"progress_override": 42.5, "progress_reason": "监理月报核定"},
        headers=PLANNER,
    )
    assert r.status_code == 200
    assert r.json()["progress"] == 42.5 and r.json()["progress_derived"] != 42.5
    back = client.patch(f"{BASE}/{pid}", json={"progress_override": None}, headers=PLANNER).json()
    assert back["progress"] == back["progress_derived"]
    assert back["progress_reason"] is None


def test_delete_keeps_the_last_state_in_history(client: TestClient, engine: Engine) -> None:
    pid = client.post(BASE, json=_body(engine), headers=PLANNER).json()["id"]
    assert client.delete(f"{BASE}/{pid}", headers=PLANNER).status_code == 204
    assert client.get(f"{BASE}/{pid}", headers=VIEWER).status_code == 404
    h = client.get(f"{BASE}/{pid}/history", headers=ADMIN).json()["history"]
    assert [e["action"] for e in h] == ["create", "delete"]
    assert h[1]["before"]["name"] == "测试社区服务站建设" and h[1]["after"] is None


def _square(x: float, y: float, d: float = 0.0002) -> dict[str, Any]:
    ring = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_site_polygon_and_gcj02_input(client: TestClient, engine: Engine) -> None:
    from gis.crs import wgs84_to_gcj02

    x, y = _seat(engine)
    gx, gy = wgs84_to_gcj02(x, y)
    ring = _square(gx, gy)
    body = _body(engine, site={"lon": gx, "lat": gy}, crs="gcj02", site_polygon=ring)
    r = client.post(BASE, json=body, headers=PLANNER)
    assert r.status_code == 201, r.text
    lon, lat = r.json()["site"]["coordinates"]
    assert abs(lon - x) < 1e-5 and abs(lat - y) < 1e-5  # converted on the way in (~1 m)
    poly = r.json()["site_polygon"]
    assert poly["type"] == "MultiPolygon"
    assert abs(poly["coordinates"][0][0][0][0] - (x - 0.0002)) < 1e-5
    far = client.patch(
        f"{BASE}/{r.json()['id']}", json={"site_polygon": _square(x + 0.02, y)}, headers=PLANNER
    )
    assert far.status_code == 422 and far.json()["field"] == "site_polygon"
    client.delete(f"{BASE}/{r.json()['id']}", headers=PLANNER)
