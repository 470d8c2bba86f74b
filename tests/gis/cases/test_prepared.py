"""The intake connections: prepared once, one transaction per statement, lost server → 503."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.cases.prepared import AsyncPreparedConnection
from gis.cases.schemas import CaseIn
from gis.cases.workers import IntakeWorkers
from gis.pg import dsn_of


def test_statements_are_prepared_once_and_each_is_its_own_transaction(engine: Engine) -> None:
    async def run() -> None:
        conn = await AsyncPreparedConnection.open(dsn_of(engine.url))
        try:
            q = sa.text("SELECT CAST(:a AS int) + CAST(:b AS int) AS s, CAST(:a AS int) AS a")
            for i in range(3):
                (row,) = await conn.fetch(q, {"a": i, "b": 10})
                assert (row.s, row.a, row._mapping["s"]) == (i + 10, i, i + 10)
            names = await conn.fetch("SELECT name FROM pg_prepared_statements", {})
            assert len(names) == 1  # q, prepared once and run three times
            await conn.fetch("CREATE TEMP TABLE t_prep (x int)", {})
            await conn.fetch(sa.text("INSERT INTO t_prep VALUES (CAST(:x AS int))"), {"x": 1})
            with pytest.raises(sa.exc.DataError):  # fails on its own: the first row stays
                await conn.fetch(
                    sa.text("INSERT INTO t_prep SELECT 1 UNION ALL SELECT 1 / CAST(:x AS int)"),
                    {"x": 0},
                )
            (row,) = await conn.fetch("SELECT count(*) AS n FROM t_prep", {})
            assert row.n == 1
        finally:
            conn.close()

    asyncio.run(run())


def test_a_lost_server_connection_is_an_operational_error(engine: Engine) -> None:
    async def run() -> None:
        conn = await AsyncPreparedConnection.open(dsn_of(engine.url))
        try:
            (row,) = await conn.fetch("SELECT pg_backend_pid() AS pid", {})
            with engine.begin() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": row.pid})
            with pytest.raises(sa.exc.OperationalError):  # the API answers 503 to this
                await conn.fetch(sa.text("SELECT CAST(:a AS int)"), {"a": 1})
            assert conn.closed
        finally:
            conn.close()

    asyncio.run(run())


def test_an_unreachable_server_is_an_operational_error(engine: Engine) -> None:
    url = engine.url.set(port=1)  # nothing listens there

    async def run() -> None:
        with pytest.raises(sa.exc.OperationalError):
            await AsyncPreparedConnection.open(
                url.set(drivername="postgresql").render_as_string(hide_password=False)
            )

    asyncio.run(run())


def _report(client_id: uuid.UUID) -> CaseIn:
    return CaseIn(
        client_id=client_id,
        lon=102.4004,
        lat=36.4802,
        category="0101",
        description="井盖缺失 (manhole cover missing)",
    )


WHO = SimpleNamespace(
    username="intake-test", role="field_staff", grids=frozenset(), department=None,
    sees_personal=True, client="127.0.0.1",
)  # fmt: skip


def test_intake_after_a_lost_connection_stores_each_report_once(engine: Engine) -> None:
    """A dropped intake connection answers 503 once; the next report gets a fresh one."""
    workers = IntakeWorkers(engine, connections=2, compact_every_s=0)
    cids = [uuid.uuid4() for _ in range(6)]

    async def run() -> None:
        first = await workers.report(case_in=_report(cids[0]), actor=WHO)
        assert first.created
        with engine.begin() as other:  # the server drops every intake connection
            other.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'gridmap-intake'"
                )
            )
        with pytest.raises(sa.exc.OperationalError):
            await workers.report(case_in=_report(cids[1]), actor=WHO)
        # more reports at once than connections: they wait their turn, each stored once
        done = await asyncio.gather(*(workers.report(case_in=_report(c), actor=WHO) for c in cids))
        assert [r.created for r in done] == [False, True, True, True, True, True]
        assert len({r.case["case_no"] for r in done}) == len(cids)
        again = await workers.report(case_in=_report(cids[3]), actor=WHO)
        assert (again.created, again.case["case_no"]) == (False, done[3].case["case_no"])

    try:
        asyncio.run(run())
    finally:
        workers.close()
    with engine.connect() as conn:
        n, audited, events = conn.execute(
            sa.text(
                "SELECT count(*), (SELECT count(*) FROM audit_log a WHERE a.action = "
                "'case.report' AND a.object_id = ANY(array_agg(c.case_no)) AND a.actor = "
                "'intake-test' AND a.client = '127.0.0.1'), (SELECT count(*) FROM case_events e "
                "WHERE e.case_id = ANY(array_agg(c.id)) AND e.action = 'report') "
                "FROM cases c WHERE c.client_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": [str(c) for c in cids]},
        ).one()
        conn.execute(sa.text("DELETE FROM case_events WHERE case_id IN (SELECT id FROM cases "
                             "WHERE client_id = ANY(CAST(:ids AS uuid[])))"),
                     {"ids": [str(c) for c in cids]})  # fmt: skip
        conn.execute(
            sa.text("DELETE FROM cases WHERE client_id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": [str(c) for c in cids]},
        )
        conn.commit()
    assert (n, audited, events) == (len(cids), len(cids), len(cids))
