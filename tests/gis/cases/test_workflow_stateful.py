"""Property test: random sequences of actions by random roles against the real database.

An independent model of the closed loop predicts, for each step, whether it must succeed
and which state follows; the stored case must agree, refused steps must change nothing,
and no illegal state or broken history is ever reached.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gis.cases.repository import create_case
from gis.cases.schemas import ActionIn, CaseIn
from gis.cases.transitions import apply_action
from gis.cases.workflow import STATES
from gis.errors import GridmapError
from tests.gis.cases.test_idempotency import Who

ACTIONS = [
    "register", "cancel", "dispatch", "accept", "respond", "verify_pass", "verify_fail",
    "request_extension", "approve_extension", "reject_extension", "suspend", "resume", "merge",
]  # fmt: skip
ROLES = ["commander", "supervisor", "handler", "field_staff"]
HANDLING = {"dispatched", "processing"}


class Model:
    """What the closed loop should do (written separately from ``gis.cases.workflow``)."""

    def __init__(self, worker: str) -> None:
        self.state = "reported"
        self.worker = worker
        self.department: str | None = None
        self.pending = False
        self.before_suspend: str | None = None

    def handler_ok(self, role: str) -> bool:
        if self.department:
            return role == "handler"
        return role == "field_staff" and self.state in HANDLING | {"processing"}

    def expect(self, action: str, role: str, to_department: bool) -> str | None:
        """The next state if the step must succeed, else None."""
        s = self.state
        cmd = role == "commander"
        if action == "register":
            return "registered" if cmd and s == "reported" else None
        if action == "cancel":
            return "cancelled" if cmd and s in ("reported", "registered") else None
        if action == "dispatch":
            return "dispatched" if cmd and s == "registered" else None
        if action == "accept":
            return "processing" if s == "dispatched" and self.handler_ok(role) else None
        if action == "respond":
            return "responded" if s == "processing" and self.handler_ok(role) else None
        if action in ("verify_pass", "verify_fail"):
            ok = role == "supervisor" and s == "responded"
            return ("closed" if action == "verify_pass" else "dispatched") if ok else None
        if action == "request_extension":
            ok = s in HANDLING and not self.pending and self.handler_ok(role)
            return s if ok else None
        if action in ("approve_extension", "reject_extension"):
            return s if cmd and s in HANDLING and self.pending else None
        if action == "suspend":
            return "suspended" if cmd and s in HANDLING else None
        if action == "resume":
            return self.before_suspend if cmd and s == "suspended" else None
        if action == "merge":
            ok = cmd and s in ("reported", "registered", "dispatched", "processing", "suspended")
            return "merged" if ok else None
        raise AssertionError(action)

    def apply(self, action: str, to: str, to_department: bool) -> None:
        if action == "dispatch":
            self.department = "cityadmin" if to_department else None
        if action == "request_extension":
            self.pending = True
        if action in ("approve_extension", "reject_extension"):
            self.pending = False
        if action == "suspend":
            self.before_suspend = self.state
        self.state = to


def actor(role: str, worker: str) -> Who:
    if role == "handler":
        return Who(username="h_prop", role="handler", department="cityadmin")
    if role == "field_staff":
        return Who(username=worker, role="field_staff")
    return Who(username=f"{role}_prop", role=role)


class Loop(RuleBasedStateMachine):
    engine: Engine

    @initialize()
    def report(self) -> None:
        def new() -> dict[str, Any]:
            with Session(self.engine) as s:
                return create_case(
                    session=s,
                    case_in=CaseIn(
                        client_id=uuid.uuid4(),
                        lon=102.4102,
                        lat=36.4852,
                        category="0106",
                        description="性质测试",
                    ),
                    actor=Who(username="wg_prop"),
                ).case

        case = new()
        self.case_no = case["case_no"]
        self.survivor = new()["case_no"]
        self.model = Model(worker=case["assignee"])

    @rule(
        action=st.sampled_from(ACTIONS),
        role=st.sampled_from(ROLES),
        to_department=st.booleans(),
    )
    def step(self, action: str, role: str, to_department: bool) -> None:
        expected = self.model.expect(action, role, to_department)
        body: dict[str, Any] = {"action": action, "note": "n", "reason": "invalid"}
        if action == "dispatch":
            body |= (
                {"department": "cityadmin"} if to_department else {"assignee": self.model.worker}
            )
        if action == "request_extension":
            body["hours"] = 4
        if action == "merge":
            body["into"] = self.survivor
        before = self._row()
        with Session(self.engine) as s:
            try:
                out = apply_action(
                    session=s,
                    case_no=self.case_no,
                    action_in=ActionIn(**body),
                    actor=actor(role, self.model.worker),
                )
            except GridmapError as exc:
                assert expected is None, f"{action} by {role} in {before['state']}: {exc}"
                assert self._row() == before, "a refused action changed the case"
                return
        assert expected is not None, f"{action} by {role} in {before['state']} was allowed"
        assert out["state"] == expected
        self.model.apply(action, expected, to_department)

    def _row(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            r = (
                conn.execute(sa.text("SELECT * FROM cases WHERE case_no = :n"), {"n": self.case_no})
                .mappings()
                .one()
            )
            return dict(r)

    @invariant()
    def stored_state_is_legal(self) -> None:
        if not hasattr(self, "case_no"):
            return
        r = self._row()
        assert r["state"] == self.model.state
        assert r["state"] in STATES
        if r["state"] in ("dispatched", "processing", "responded"):
            assert r["deadline_at"] is not None and r["dispatched_at"] is not None
            assert r["department_code"] or r["assignee"]
        if r["state"] == "closed":
            assert r["closed_at"] is not None
        assert (r["state"] == "merged") == (r["merged_into"] is not None)
        assert (r["state"] == "suspended") == (r["suspended_at"] is not None)
        assert (r["extension_request_hours"] is not None) == self.model.pending
        with self.engine.connect() as conn:
            hist = conn.execute(
                sa.text(
                    "SELECT from_state, to_state FROM case_events WHERE case_id = :i "
                    "AND action <> 'overdue' ORDER BY id"
                ),
                {"i": r["id"]},
            ).all()
        assert hist[0] == (None, "reported")
        for (_, prev_to), (frm, _) in zip(hist, hist[1:], strict=False):
            assert frm == prev_to
        assert hist[-1][1] == r["state"]


def test_random_action_sequences_never_reach_an_illegal_state(engine: Engine) -> None:
    Loop.engine = engine
    run = Loop.TestCase
    run.settings = settings(
        max_examples=12,
        stateful_step_count=14,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    run().runTest()
