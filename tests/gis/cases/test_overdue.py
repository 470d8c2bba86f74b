"""Overdue is derived from deadlines; the sweeper announces each crossing exactly once."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gis.cases.feed import sweep_overdue
from gis.cases.query import CaseFilter, list_cases
from gis.cases.repository import create_case, get_case
from gis.cases.schemas import ActionIn, CaseIn
from gis.cases.transitions import apply_action
from tests.gis.cases.test_idempotency import Who

CMD = Who(username="cmd_od", role="commander")


def test_overdue_is_derived_and_announced_once(engine: Engine) -> None:
    with Session(engine) as s:
        no = create_case(
            session=s,
            case_in=CaseIn(
                client_id=uuid.uuid4(), lon=102.4009, lat=36.4803, category="0102", description="od"
            ),
            actor=Who(),
        ).case["case_no"]
        apply_action(session=s, case_no=no, action_in=ActionIn(action="register"), actor=CMD)
        d = apply_action(
            session=s,
            case_no=no,
            action_in=ActionIn(action="dispatch", department="cityadmin"),
            actor=CMD,
        )
        assert d["overdue"] is False
    with engine.begin() as conn:  # the clock runs out
        conn.execute(
            sa.text(
                "UPDATE cases SET deadline_at = now() - interval '1 minute' WHERE case_no = :n"
            ),
            {"n": no},
        )
    with Session(engine) as s:
        assert get_case(session=s, case_no=no, actor=CMD)["overdue"] is True
        page = list_cases(session=s, flt=CaseFilter(overdue=True, q=no), actor=CMD)
        assert [c["case_no"] for c in page["items"]] == [no]
        none = list_cases(session=s, flt=CaseFilter(overdue=False, q=no), actor=CMD)
        assert none["items"] == []
    assert sweep_overdue(engine=engine) >= 1
    assert sweep_overdue(engine=engine) == 0  # exactly once per deadline
    with Session(engine) as s:
        hist = get_case(session=s, case_no=no, actor=CMD)["history"]
        assert [h["action"] for h in hist].count("overdue") == 1
        # suspended cases stop the clock: not overdue
        apply_action(
            session=s, case_no=no, action_in=ActionIn(action="suspend", note="雨天"), actor=CMD
        )
        assert get_case(session=s, case_no=no, actor=CMD)["overdue"] is False
