"""My tasks: the assigned grid worker feeds back with a note and a photo; the supervisor
passes one case and sends another back — each step checked in the database."""

from __future__ import annotations

import io
import json
import urllib.request

import sqlalchemy as sa

from tests.web.conftest import ARTIFACTS, login, shot
from tests.web.test_command import _report_case
from tests.web.test_field import GRID, PHONE, _grid_point

WORKER = f"wg{GRID}"


def _act(server: str, case_no: str, body: dict, user: str, role: str) -> None:  # type: ignore[type-arg]
    req = urllib.request.Request(
        f"{server}/api/v1/cases/{case_no}/actions",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Gridmap-User": user,
            "X-Gridmap-Role": role,
            "X-Gridmap-Grids": GRID,
        },
        method="POST",
    )
    with urllib.request.urlopen(req) as res:
        assert res.status == 200


def _dispatched_to_worker(server: str, engine) -> str:  # type: ignore[no-untyped-def]
    lon, lat = _grid_point(engine)
    case_no = _report_case(server, lon, lat)
    _act(server, case_no, {"action": "register"}, "commander1", "commander")
    _act(server, case_no, {"action": "dispatch", "assignee": WORKER}, "commander1", "commander")
    return case_no


def _state(engine, case_no: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT state, rework_count FROM cases WHERE case_no = :n"), {"n": case_no}
        ).one()
    return str(row[0]), int(row[1])


def _note(engine, case_no: str, action: str) -> str | None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT e.note FROM case_events e JOIN cases c ON c.id = e.case_id"
                " WHERE c.case_no = :n AND e.action = :a"
            ),
            {"n": case_no, "a": action},
        ).scalar()


def _photo() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_worker_feeds_back_with_note_and_photo(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    case_no = _dispatched_to_worker(server, engine)
    page = open_context(**PHONE).new_page()
    page.goto(f"{server}/#v=field")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, WORKER, "field_staff", (GRID,))
    task = f"#tasks li.task[data-case='{case_no}']"
    page.click(f"{task} button:has-text('开始处置')")
    page.wait_for_selector(f"{task} button:has-text('处置反馈')")
    assert _state(engine, case_no)[0] == "processing"
    # The note and the photo are labelled fields of the task card.
    page.get_by_label("处理说明").last.wait_for()
    page.fill(f"{task} textarea", "已清理完毕，附现场照片")
    page.set_input_files(
        f"{task} input[type=file]",
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _photo()}],
    )
    shot(page, "tasks-feedback")
    page.click(f"{task} button:has-text('处置反馈')")
    page.wait_for_selector(task, state="detached")
    assert _state(engine, case_no) == ("responded", 0)
    with engine.connect() as conn:
        photos = conn.execute(
            sa.text(
                "SELECT count(*) FROM case_photos p JOIN cases c ON c.id = p.case_id"
                " WHERE c.case_no = :n AND p.kind = 'response'"
            ),
            {"n": case_no},
        ).scalar()
    assert _note(engine, case_no, "respond") == "已清理完毕，附现场照片"
    assert photos == 1


def test_supervisor_passes_one_case_and_sends_another_back(server, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    cases = []
    for _ in range(2):
        case_no = _dispatched_to_worker(server, engine)
        _act(server, case_no, {"action": "accept"}, WORKER, "field_staff")
        _act(server, case_no, {"action": "respond", "note": "已处置"}, WORKER, "field_staff")
        cases.append(case_no)
    good, bad = cases
    page = open_context(**PHONE).new_page()
    page.goto(f"{server}/#v=field")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, "supervisor-tasks", "supervisor", (GRID,))
    for no in cases:
        page.wait_for_selector(f"#tasks li.task[data-case='{no}']")
    shot(page, "tasks-verify")
    page.click(f"#tasks li.task[data-case='{good}'] button:has-text('核查通过')")
    page.wait_for_selector(f"#tasks li.task[data-case='{good}']", state="detached")
    bad_task = f"#tasks li.task[data-case='{bad}']"
    page.fill(f"{bad_task} textarea", "现场仍有垃圾，返工")
    page.click(f"{bad_task} button:has-text('核查不通过')")
    page.wait_for_selector(bad_task, state="detached")
    assert _state(engine, good) == ("closed", 0)
    assert _state(engine, bad) == ("dispatched", 1)
    assert _note(engine, bad, "verify_fail") == "现场仍有垃圾，返工"
    assert (ARTIFACTS / "tasks-verify.png").exists()
