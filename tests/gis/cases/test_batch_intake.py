"""Reports that wait are stored together: one statement per batch, each report its own answer."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.cases.schemas import CaseIn
from gis.cases.workers import IntakeWorkers
from gis.errors import InvalidInput, Unprocessable
from tests.threadloop import run_in_thread

WHO = SimpleNamespace(
    username="batch-test", role="field_staff", grids=frozenset(), department=None,
    sees_personal=True, client="127.0.0.2",
)  # fmt: skip


def _report(cid: uuid.UUID | None, n: int = 0, **kw: Any) -> CaseIn:
    return CaseIn(
        client_id=cid,
        lon=kw.get("lon", 102.4004 + n * 0.00001),
        lat=kw.get("lat", 36.4802),
        category=kw.get("category", "0101"),
        description=f"批量 {n} (batch report {n})",
    )


def _stored(engine: Engine, cids: list[uuid.UUID]) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.client_id::text AS cid, c.case_no, c.description, ST_X(c.geom) AS lon, "
                "(SELECT count(*) FROM case_events e WHERE e.case_id = c.id "
                " AND e.action = 'report') AS events, "
                "(SELECT count(*) FROM audit_log a WHERE a.object_id = c.case_no "
                " AND a.action = 'case.report' AND a.client = '127.0.0.2') AS audits "
                "FROM cases c WHERE c.client_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": [str(c) for c in cids]},
        ).all()
    return {r.cid: r for r in rows}


def _forget(engine: Engine, cids: list[uuid.UUID]) -> None:
    ids = {"ids": [str(c) for c in cids]}
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "DELETE FROM case_events WHERE case_id IN "
                "(SELECT id FROM cases WHERE client_id = ANY(CAST(:ids AS uuid[])))"
            ),
            ids,
        )
        conn.execute(sa.text("DELETE FROM cases WHERE client_id = ANY(CAST(:ids AS uuid[]))"), ids)


def test_many_reports_at_once_are_stored_in_batches_each_with_its_own_answer(
    engine: Engine,
) -> None:
    workers = IntakeWorkers(engine, connections=2, batch_max=16, compact_every_s=0)
    cids = [uuid.uuid4() for _ in range(40)]

    async def run() -> list[Any]:
        await workers.report(case_in=_report(uuid.uuid4(), 99), actor=WHO)  # day, connection
        workers.batch_sizes.clear()
        reports = [workers.report(case_in=_report(c, n), actor=WHO) for n, c in enumerate(cids)]
        return await asyncio.gather(*reports)

    try:
        done = run_in_thread(run())
    finally:
        workers.close()
    stored = _stored(engine, cids)
    try:
        assert all(r.created for r in done)
        assert len({r.case["case_no"] for r in done}) == len(cids)  # numbers distinct
        for n, (cid, res) in enumerate(zip(cids, done, strict=True)):
            assert res.case["client_id"] == str(cid)  # each answer is its own report's
            assert res.case["description"] == f"批量 {n} (batch report {n})"
            assert res.case["grid"]["code"]
            row = stored[str(cid)]
            assert (row.case_no, row.description) == (res.case["case_no"], res.case["description"])
            assert row.lon == pytest.approx(102.4004 + n * 0.00001)
            assert (row.events, row.audits) == (1, 1)
        sizes = workers.batch_sizes
        assert sum(k * v for k, v in sizes.items()) == len(cids)
        assert max(sizes) > 1 and max(sizes) <= 16  # batches formed, none above the cap
        assert sum(sizes.values()) < len(cids) / 2
    finally:
        _forget(engine, cids)


def test_a_mixed_batch_answers_each_report_and_stores_only_the_valid_ones(engine: Engine) -> None:
    workers = IntakeWorkers(engine, connections=1, compact_every_s=0)
    old, good1, good2, badcat, outside = (uuid.uuid4() for _ in range(5))

    async def run() -> list[Any]:
        first = await workers.report(case_in=_report(old, 1), actor=WHO)
        assert first.created
        workers.batch_sizes.clear()
        reports = [
            _report(good1, 2),
            _report(badcat, 3, category="9999"),
            _report(old, 4),  # resent: the stored case
            _report(outside, 5, lon=100.0, lat=30.0),
            _report(good2, 6),
        ]
        return await asyncio.gather(
            *(workers.report(case_in=r, actor=WHO) for r in reports), return_exceptions=True
        )

    try:
        ok1, cat_err, again, out_err, ok2 = run_in_thread(run())
    finally:
        workers.close()
    try:
        assert dict(workers.batch_sizes) == {5: 1}  # one statement for the five
        assert ok1.created and ok2.created and ok1.case["case_no"] != ok2.case["case_no"]
        assert isinstance(cat_err, InvalidInput) and cat_err.field == "category"
        assert isinstance(out_err, Unprocessable) and out_err.field == "lon"
        assert not again.created and again.case["client_id"] == str(old)
        assert again.case["description"] == "批量 1 (batch report 1)"  # the first one kept
        stored = _stored(engine, [old, good1, good2, badcat, outside])
        assert set(stored) == {str(old), str(good1), str(good2)}
        assert all((r.events, r.audits) == (1, 1) for r in stored.values())
    finally:
        _forget(engine, [old, good1, good2])


def test_the_same_client_id_twice_at_once_is_one_case(engine: Engine) -> None:
    workers = IntakeWorkers(engine, connections=1, compact_every_s=0)
    cid, other = uuid.uuid4(), uuid.uuid4()

    async def run() -> list[Any]:
        await workers.report(case_in=_report(other, 1), actor=WHO)
        workers.batch_sizes.clear()
        return await asyncio.gather(
            *(workers.report(case_in=_report(cid, n), actor=WHO) for n in (2, 3))
        )

    try:
        a, b = run_in_thread(run())
    finally:
        workers.close()
    try:
        assert sorted([a.created, b.created]) == [False, True]
        assert a.case["case_no"] == b.case["case_no"]
        assert dict(workers.batch_sizes) == {1: 2}  # the twin waited for the next batch
        assert len(_stored(engine, [cid])) == 1
    finally:
        _forget(engine, [cid, other])


def _blocked_batch(engine: Engine, workers: IntakeWorkers, cids: list[uuid.UUID], act: Any) -> Any:
    """Send ``cids`` as one batch while ``audit_log`` is locked, ``act(pid)`` once the batch
    waits in the server, then unlock; returns what each report answered."""

    async def run() -> list[Any]:
        await workers.report(case_in=_report(uuid.uuid4(), 0), actor=WHO)
        workers.batch_sizes.clear()
        with engine.connect() as locker:
            locker.execute(sa.text("LOCK TABLE audit_log IN SHARE MODE"))
            tasks = [
                asyncio.ensure_future(workers.report(case_in=_report(c, n), actor=WHO))
                for n, c in enumerate(cids)
            ]
            pid = None
            for _ in range(200):
                await asyncio.sleep(0.02)
                with engine.connect() as conn:
                    pid = conn.execute(
                        sa.text(
                            "SELECT pid FROM pg_stat_activity WHERE application_name = "
                            "'gridmap-intake' AND wait_event_type = 'Lock'"
                        )
                    ).scalar()
                if pid:
                    break
            assert pid, "the batch never waited for the lock"
            act(pid, tasks)
            await asyncio.sleep(0.05)
            locker.rollback()
        return await asyncio.gather(*tasks, return_exceptions=True)

    return run_in_thread(run())


def test_a_lost_connection_fails_the_whole_batch_and_stores_none_of_it(engine: Engine) -> None:
    workers = IntakeWorkers(engine, connections=1, compact_every_s=0)
    cids = [uuid.uuid4() for _ in range(6)]

    def kill(pid: int, tasks: list[Any]) -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})

    try:
        answers = _blocked_batch(engine, workers, cids, kill)
    finally:
        workers.close()
    assert dict(workers.batch_sizes) == {6: 1}
    assert all(isinstance(a, sa.exc.OperationalError) for a in answers), answers
    assert _stored(engine, cids) == {}


def test_a_request_that_goes_away_leaves_its_batch_alone(engine: Engine) -> None:
    workers = IntakeWorkers(engine, connections=1, compact_every_s=0)
    cids = [uuid.uuid4() for _ in range(4)]

    def cancel_one(pid: int, tasks: list[Any]) -> None:
        tasks[1].cancel()

    try:
        answers = _blocked_batch(engine, workers, cids, cancel_one)
    finally:
        workers.close()
    try:
        assert isinstance(answers[1], asyncio.CancelledError)
        assert [a.created for n, a in enumerate(answers) if n != 1] == [True, True, True]
        stored = _stored(engine, cids)
        assert set(stored) == {str(c) for c in cids}  # the one that left is stored too
        assert all((r.events, r.audits) == (1, 1) for r in stored.values())
    finally:
        _forget(engine, cids)


def test_the_intake_statement_is_planned_once_per_connection(engine: Engine) -> None:
    """Its plan does not depend on the arrays: no re-planning per batch."""
    workers = IntakeWorkers(engine, connections=1, compact_every_s=0)
    cids = [uuid.uuid4() for _ in range(8)]

    async def run() -> Any:
        for n, cid in enumerate(cids):
            await workers.report(case_in=_report(cid, n), actor=WHO)
        (conn,) = workers._free
        return await conn.fetch(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements", {}
        )

    try:
        (plans,) = run_in_thread(run())
    finally:
        workers.close()
    _forget(engine, cids)
    assert (plans.generic_plans, plans.custom_plans) == (len(cids), 0)
