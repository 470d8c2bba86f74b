"""Case intake and reading through the HTTP API, against the test PostGIS."""

from __future__ import annotations

import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image

SEAT = (102.40041, 36.48023)
FIELD = {"X-Gridmap-User": "wg_tester", "X-Gridmap-Role": "field_staff"}
COMMANDER = {"X-Gridmap-User": "cmd1", "X-Gridmap-Role": "commander"}
VIEWER = {"X-Gridmap-User": "view1", "X-Gridmap-Role": "viewer"}


def report(client: TestClient, headers: dict[str, str] | None = None, **over: object):  # type: ignore[no-untyped-def]
    body = {
        "client_id": str(uuid.uuid4()),
        "lon": SEAT[0],
        "lat": SEAT[1],
        "category": "0102",
        "description": "路边有暴露垃圾",
        "reporter_name": "张三",
        "reporter_phone": "13800001111",
    }
    body.update(over)
    return client.post("/api/v1/cases", json=body, headers=headers or FIELD)


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_report_is_located_assigned_numbered_and_logged(client: TestClient) -> None:
    r = report(client)
    assert r.status_code == 201, r.text
    body = r.json()
    case = body["case"]
    assert body["created"] is True
    assert case["case_no"].startswith("630202-")
    assert case["state"] == "reported"
    assert case["township"]["code"] == "630202001000"
    assert case["grid"]["code"].startswith(case["community"]["code"])
    assert case["assignee"] == f"wg{case['grid']['code']}"
    detail = client.get(f"/api/v1/cases/{case['case_no']}", headers=COMMANDER).json()
    assert [h["action"] for h in detail["history"]] == ["report"]
    assert detail["history"][0]["to_state"] == "reported"
    assert detail["reporter"] == {"name": "张三", "phone": "13800001111"}


def test_resend_returns_the_same_case(client: TestClient) -> None:
    cid = str(uuid.uuid4())
    first = report(client, client_id=cid)
    again = report(client, client_id=cid, description="重发")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["case"]["case_no"] == first.json()["case"]["case_no"]
    assert again.json()["created"] is False


def test_numbers_do_not_collide_with_existing(client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    nos = {report(client).json()["case"]["case_no"] for _ in range(3)}
    assert len(nos) == 3
    with engine.connect() as conn:
        dup = conn.execute(
            sa.text("SELECT count(*) FROM cases GROUP BY case_no HAVING count(*) > 1")
        ).first()
    assert dup is None


@pytest.mark.parametrize(
    ("over", "status", "field"),
    [
        ({"lon": 100.0, "lat": 30.0}, 422, "lon"),
        ({"lon": SEAT[1], "lat": SEAT[0]}, 422, "lon"),
        ({"category": "9999"}, 400, "category"),
        ({"category": "01"}, 400, "category"),
        ({"description": "   "}, 400, "description"),
        ({"crs": "mars"}, 400, "crs"),
        ({"client_id": "not-a-uuid"}, 400, "client_id"),
    ],
)
def test_bad_reports_are_refused_and_nothing_stored(
    client: TestClient,
    engine,
    over: dict,
    status: int,
    field: str,  # type: ignore[no-untyped-def]
) -> None:
    import sqlalchemy as sa

    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
    r = report(client, **over)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == before


def test_swapped_coordinates_are_named(client: TestClient) -> None:
    r = report(client, lon=SEAT[1], lat=SEAT[0])
    assert "swapped" in r.json()["message"]


def test_gcj02_point_is_converted(client: TestClient) -> None:
    r = report(client, lon=102.402431, lat=36.480291, crs="gcj02")
    assert r.status_code == 201
    case = r.json()["case"]
    assert abs(case["lon"] - SEAT[0]) < 1e-4 and abs(case["lat"] - SEAT[1]) < 1e-4


def test_personal_fields_hidden_from_viewer(client: TestClient) -> None:
    no = report(client).json()["case"]["case_no"]
    seen = client.get(f"/api/v1/cases/{no}", headers=VIEWER).json()
    assert "reporter" not in seen
    assert "张三" not in str(seen) and "13800001111" not in str(seen)
    listed = client.get("/api/v1/cases", params={"q": no}, headers=VIEWER).json()
    assert listed["items"][0]["case_no"] == no
    assert "13800001111" not in str(listed)


def test_special_population_details_are_personal(client: TestClient) -> None:
    r = report(
        client,
        category="0801",
        description="矫正人员李四未按时报到",
        attributes={"subject": "李四"},
    )
    no = r.json()["case"]["case_no"]
    seen = client.get(f"/api/v1/cases/{no}", headers=VIEWER).json()
    assert "李四" not in str(seen)
    full = client.get(f"/api/v1/cases/{no}", headers=COMMANDER).json()
    assert full["attributes"] == {"subject": "李四"}


def test_anonymous_and_wrong_roles_refused(client: TestClient) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    r = report(client, headers={"X-Gridmap-User": "p", "X-Gridmap-Role": "planner"})
    assert r.status_code == 403


def test_list_filters(client: TestClient) -> None:
    made = report(client, category="0404", description="乱堆物料").json()["case"]
    params = {"category": "0404", "state": "reported", "grid": made["grid"]["code"]}
    page = client.get("/api/v1/cases", params=params, headers=COMMANDER).json()
    assert made["case_no"] in [c["case_no"] for c in page["items"]]
    assert all(c["category"]["code"] == "0404" for c in page["items"])
    assert all(c["state"] == "reported" for c in page["items"])
    far = client.get(
        "/api/v1/cases",
        params={"bbox": "102.0,36.2,102.1,36.3", "q": made["case_no"]},
        headers=COMMANDER,
    ).json()
    assert far["items"] == []
    near = client.get(
        "/api/v1/cases",
        params={"bbox": "102.39,36.47,102.41,36.49", "q": made["case_no"]},
        headers=COMMANDER,
    ).json()
    assert [c["case_no"] for c in near["items"]] == [made["case_no"]]
    overdue = client.get(
        "/api/v1/cases", params={"overdue": "true", "limit": 20}, headers=COMMANDER
    ).json()
    assert overdue["total"] > 0
    assert all(c["overdue"] for c in overdue["items"])
    paged = client.get("/api/v1/cases", params={"limit": 5, "offset": 5}, headers=COMMANDER)
    assert len(paged.json()["items"]) == 5
    assert (
        client.get("/api/v1/cases", params={"bbox": "1,2,3"}, headers=COMMANDER).json()["field"]
        == "bbox"
    )
    assert (
        client.get("/api/v1/cases", params={"state": "nope"}, headers=COMMANDER).json()["field"]
        == "state"
    )


def test_field_staff_see_their_grids_only(client: TestClient) -> None:
    made = report(client).json()["case"]
    other = {"X-Gridmap-User": "wg_other", "X-Gridmap-Role": "field_staff"}
    assert client.get(f"/api/v1/cases/{made['case_no']}", headers=other).status_code == 404
    mine = {**other, "X-Gridmap-Grids": made["grid"]["code"]}
    assert client.get(f"/api/v1/cases/{made['case_no']}", headers=mine).status_code == 200


def test_duplicate_is_suggested(client: TestClient) -> None:
    pt = (102.4031, 36.4811)
    first = report(client, category="0108", lon=pt[0], lat=pt[1]).json()["case"]
    second = report(client, category="0108", lon=pt[0] + 0.0002, lat=pt[1]).json()
    assert first["case_no"] in [d["case_no"] for d in second["duplicates"]]
    d = next(d for d in second["duplicates"] if d["case_no"] == first["case_no"])
    assert 10 < d["distance_m"] < 25
    far = report(client, category="0108", lon=pt[0] + 0.002, lat=pt[1]).json()
    assert first["case_no"] not in [x["case_no"] for x in far["duplicates"]]
    other_kind = report(client, category="0107", lon=pt[0], lat=pt[1]).json()
    assert first["case_no"] not in [x["case_no"] for x in other_kind["duplicates"]]
    later = client.get(f"/api/v1/cases/{first['case_no']}/duplicates", headers=COMMANDER).json()
    found = [d["case_no"] for d in later["duplicates"]]
    assert second["case"]["case_no"] in found and first["case_no"] not in found


def test_report_with_photo_and_thumbnail(client: TestClient) -> None:
    body = {
        "client_id": str(uuid.uuid4()),
        "lon": SEAT[0],
        "lat": SEAT[1],
        "category": "0102",
        "description": "带照片",
    }
    import json

    r = client.post(
        "/api/v1/cases",
        data={"case": json.dumps(body)},
        files=[("photos", ("x.png", jpeg((800, 600)), "image/png"))],
        headers=FIELD,
    )
    assert r.status_code == 201, r.text
    no = r.json()["case"]["case_no"]
    photos = client.get(f"/api/v1/cases/{no}", headers=COMMANDER).json()["photos"]
    assert photos[0]["mime"] == "image/jpeg"  # by content, not by the name
    pid = photos[0]["id"]
    full = client.get(f"/api/v1/cases/{no}/photos/{pid}", headers=COMMANDER)
    thumb = client.get(f"/api/v1/cases/{no}/photos/{pid}?thumb=true", headers=COMMANDER)
    assert full.content == jpeg((800, 600))
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320


def test_bad_photo_stores_nothing(client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    import json

    import sqlalchemy as sa

    body = {"lon": SEAT[0], "lat": SEAT[1], "category": "0102", "description": "假照片"}
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
    r = client.post(
        "/api/v1/cases",
        data={"case": json.dumps(body)},
        files=[("photos", ("a.jpg", b"GIF89a not really", "image/jpeg"))],
        headers=FIELD,
    )
    assert r.status_code == 400 and r.json()["field"] == "photos[0]"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == before


def test_create_answer_matches_the_stored_case(client: TestClient) -> None:
    made = report(client, address="七里店村口").json()["case"]
    stored = client.get(f"/api/v1/cases/{made['case_no']}", headers=FIELD).json()
    for key in ("history", "photos"):
        stored.pop(key)
    for key in ("updated_at", "reported_at"):
        made.pop(key), stored.pop(key)
    assert made == stored
