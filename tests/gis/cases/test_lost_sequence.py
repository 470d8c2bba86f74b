"""The day's number sequence dropped under a running process (a restore, a recreated
database): the next report makes it again and is stored, on both intake paths."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.cases.intake import store_report
from gis.cases.numbering import day_of, ensure_day, known_day, sequence_name
from gis.cases.workers import IntakeWorkers
from tests.gis.cases.test_batch_intake import WHO, _report
from tests.threadloop import run_in_thread


def _drop_todays_sequence(engine: Engine) -> str:
    day = day_of(datetime.now(UTC))
    with engine.connect() as conn:
        ensure_day(bind=conn, day=day)  # this process now believes it exists
        conn.execute(sa.text(f"DROP SEQUENCE {sequence_name(day)}"))
        conn.commit()
    assert known_day(day)
    return day


def _count(engine: Engine, cid: uuid.UUID) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM cases WHERE client_id = :c"), {"c": str(cid)}
            ).scalar_one()
        )


def test_intake_makes_a_lost_sequence_again(engine: Engine) -> None:
    _drop_todays_sequence(engine)
    cid = uuid.uuid4()

    async def go():  # type: ignore[no-untyped-def]
        workers = IntakeWorkers(engine, connections=1, compact_every_s=0)
        try:
            return await workers.report(case_in=_report(cid), actor=WHO)
        finally:
            workers.close()

    res = run_in_thread(go())
    assert res.created
    assert _count(engine, cid) == 1


def test_session_path_makes_a_lost_sequence_again(engine: Engine) -> None:
    _drop_todays_sequence(engine)
    cid = uuid.uuid4()
    with engine.connect() as conn:
        res = store_report(bind=conn, case_in=_report(cid), actor=WHO)
    assert res.created and _count(engine, cid) == 1
