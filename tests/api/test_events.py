"""The live feed: an event committed by another connection reaches an SSE client quickly,
and a client resuming with Last-Event-ID gets what it missed."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gis.cases.repository import create_case
from gis.cases.schemas import CaseIn
from tests.gis.cases.livesrv import live_server
from tests.gis.cases.test_idempotency import Who

CMD = {"X-Gridmap-User": "cmd_feed", "X-Gridmap-Role": "commander"}
VIEW = {"X-Gridmap-User": "view_feed", "X-Gridmap-Role": "viewer"}


@pytest.fixture(scope="module")
def server(engine: Engine, pg_url: str) -> Iterator[str]:
    with live_server(pg_url) as url:
        yield url


def _events(resp: httpx.Response) -> Iterator[dict[str, Any]]:
    """Parse an SSE stream into dicts with ``event``, ``id`` and ``data``."""
    cur: dict[str, Any] = {}
    for line in resp.iter_lines():
        if not line:
            if "data" in cur:
                cur["data"] = json.loads(cur["data"])
                yield cur
            cur = {}
        elif line.startswith(":"):
            continue
        else:
            key, _, value = line.partition(":")
            cur[key] = value.lstrip(" ")


def _report(engine: Engine, category: str = "0102") -> str:
    with Session(engine) as session:
        res = create_case(
            session=session,
            case_in=CaseIn(
                client_id=uuid.uuid4(),
                lon=102.4006,
                lat=36.4801,
                category=category,
                description="实时推送测试",
            ),
            actor=Who(username="wg_feed"),
        )
    return str(res.case["case_no"])


def _wait_for(events: Iterator[dict[str, Any]], case_no: str) -> dict[str, Any]:
    for ev in events:
        if ev["event"] != "ready" and ev["data"].get("case_no") == case_no:
            return ev
    raise AssertionError("stream ended")


def test_event_from_another_connection_arrives_within_a_second(server: str, engine: Engine) -> None:
    with (
        httpx.Client(timeout=10) as http,
        http.stream("GET", f"{server}/api/v1/events", headers=CMD) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = _events(resp)
        assert next(events)["event"] == "ready"
        t0 = time.monotonic()
        case_no = _report(engine)
        ev = _wait_for(events, case_no)
        elapsed = time.monotonic() - t0
    assert ev["event"] == "case.created"
    assert ev["data"]["state"] == "reported" and ev["data"]["action"] == "report"
    assert int(ev["id"]) == ev["data"]["id"]
    assert elapsed < 1.0, elapsed


def test_resume_with_last_event_id_replays_missed_events(server: str, engine: Engine) -> None:
    first = _report(engine)
    with httpx.Client(timeout=10) as http:
        with http.stream("GET", f"{server}/api/v1/events", params={"since": 0}, headers=CMD) as r:
            seen = _wait_for(_events(r), first)
        missed = [_report(engine), _report(engine)]  # while disconnected
        headers = {**CMD, "Last-Event-ID": seen["id"]}
        with http.stream("GET", f"{server}/api/v1/events", headers=headers) as r:
            got = []
            for ev in _events(r):
                if ev["event"] == "ready":
                    break
                got.append(ev["data"]["case_no"])
    assert first not in got
    assert [n for n in got if n in missed] == missed


def test_sensitive_events_are_coarse_for_viewers(server: str, engine: Engine) -> None:
    with (
        httpx.Client(timeout=10) as http,
        http.stream("GET", f"{server}/api/v1/events", headers=VIEW) as resp,
    ):
        events = _events(resp)
        next(events)
        case_no = _report(engine, category="0803")
        ev = _wait_for(events, case_no)
    assert ev["data"]["grid"] is None
    assert ev["data"]["lon"] == round(ev["data"]["lon"], 3)


def test_feed_needs_a_signed_in_caller(server: str) -> None:
    assert httpx.get(f"{server}/api/v1/events", timeout=5).status_code == 401
    r = httpx.get(f"{server}/api/v1/events", headers={**CMD, "Last-Event-ID": "x"}, timeout=5)
    assert r.status_code == 400
