"""Every case write lands in the audit log in its own transaction; a refused one writes nothing."""

from __future__ import annotations

import io
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import Engine

SEAT = (102.40041, 36.48023)
FIELD = {"X-Gridmap-User": "wg_audit", "X-Gridmap-Role": "field_staff"}
CMD = {"X-Gridmap-User": "cmd_audit", "X-Gridmap-Role": "commander"}
CITY = {
    "X-Gridmap-User": "h_audit",
    "X-Gridmap-Role": "handler",
    "X-Gridmap-Department": "cityadmin",
}


def _rows(engine: Engine, case_no: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.text(
                    "SELECT actor, actor_role, action, object_id, before, after, client "
                    "FROM audit_log WHERE object_type = 'case' AND object_id = :no ORDER BY id"
                ),
                {"no": case_no},
            ).mappings()
        ]


def _report(client: TestClient) -> str:
    r = client.post(
        "/api/v1/cases",
        json={
            "client_id": str(uuid.uuid4()),
            "lon": SEAT[0],
            "lat": SEAT[1],
            "category": "0102",
            "description": "审计测试",
        },
        headers=FIELD,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["case"]["case_no"])


def _act(client: TestClient, no: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"/api/v1/cases/{no}/actions", json=body, headers=headers)


def test_report_writes_one_audit_row_and_a_resend_none(client: TestClient, engine: Engine) -> None:
    cid = str(uuid.uuid4())
    body = {"client_id": cid, "lon": SEAT[0], "lat": SEAT[1], "category": "0102"}
    r = client.post("/api/v1/cases", json={**body, "description": "一次"}, headers=FIELD)
    assert r.status_code == 201
    no = r.json()["case"]["case_no"]
    again = client.post("/api/v1/cases", json={**body, "description": "一次"}, headers=FIELD)
    assert again.status_code == 200 and again.json()["case"]["case_no"] == no
    rows = _rows(engine, no)
    assert len(rows) == 1
    row = rows[0]
    assert (row["actor"], row["actor_role"], row["action"]) == (
        "wg_audit",
        "field_staff",
        "case.report",
    )
    assert row["before"] is None and row["after"]["state"] == "reported"
    assert row["after"]["client_id"] == cid and row["after"]["grid"]
    assert row["client"] == "testclient"  # the caller's address


def test_refused_report_writes_nothing(client: TestClient, engine: Engine) -> None:
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    r = client.post(
        "/api/v1/cases",
        json={"lon": 116.4, "lat": 39.9, "category": "0102", "description": "区外"},
        headers=FIELD,
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/cases",
        json={"lon": SEAT[0], "lat": SEAT[1], "category": "9999", "description": "未知类别"},
        headers=FIELD,
    )
    assert r.status_code == 400 and r.json()["field"] == "category"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one() == before


def test_accepted_transition_one_row_refused_none(client: TestClient, engine: Engine) -> None:
    no = _report(client)
    # refused: wrong state (dispatch before register) and wrong role (field staff registers)
    assert _act(client, no, CMD, action="dispatch", department="cityadmin").status_code == 409
    assert _act(client, no, FIELD, action="register").status_code == 403
    assert [r["action"] for r in _rows(engine, no)] == ["case.report"]

    assert _act(client, no, CMD, action="register").status_code == 200
    rows = _rows(engine, no)
    assert [r["action"] for r in rows] == ["case.report", "case.register"]
    reg = rows[-1]
    assert reg["actor"] == "cmd_audit" and reg["actor_role"] == "commander"
    assert reg["before"]["state"] == "reported" and reg["after"]["state"] == "registered"
    assert reg["before"]["registered_at"] is None and reg["after"]["registered_at"]

    d = _act(client, no, CMD, action="dispatch", department="cityadmin", note="请处理")
    assert d.status_code == 200
    last = _rows(engine, no)[-1]
    assert last["action"] == "case.dispatch" and last["after"]["department_code"] == "cityadmin"
    assert last["before"]["deadline_at"] is None and last["after"]["deadline_at"]
    assert last["after"]["note"] == "请处理"
    assert len(_rows(engine, no)) == 3


def test_merge_and_photo_attach_are_audited(client: TestClient, engine: Engine) -> None:
    survivor, merged = _report(client), _report(client)
    r = _act(client, merged, CMD, action="merge", into=survivor)
    assert r.status_code == 200, r.text
    row = _rows(engine, merged)[-1]
    assert row["action"] == "case.merge"
    assert row["after"] == {**row["after"], "state": "merged", "into": survivor}
    assert row["before"]["state"] == "reported"

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(buf, "JPEG")
    bad = client.post(
        f"/api/v1/cases/{survivor}/photos",
        files=[("photos", ("p.jpg", b"GIF89a not a jpeg", "image/jpeg"))],
        headers=CMD,
    )
    assert bad.status_code == 400
    assert [r["action"] for r in _rows(engine, survivor)] == ["case.report"]
    r = client.post(
        f"/api/v1/cases/{survivor}/photos",
        files=[("photos", ("p.jpg", buf.getvalue(), "image/jpeg"))],
        headers=CMD,
    )
    assert r.status_code == 201, r.text
    last = _rows(engine, survivor)[-1]
    assert last["action"] == "case.photos" and last["actor"] == "cmd_audit"
    assert last["after"]["photos"] == [r.json()["photos"][0]["sha256"]]
