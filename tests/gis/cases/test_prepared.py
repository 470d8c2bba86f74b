"""The intake connection: prepared statements, one transaction per report, lost server → 503."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.cases.prepared import PreparedConnection


def test_statements_are_prepared_once_and_transactions_end_cleanly(engine: Engine) -> None:
    conn = PreparedConnection(engine)
    try:
        q = sa.text("SELECT CAST(:a AS int) + CAST(:b AS int) AS s, CAST(:a AS int) AS a")
        for i in range(3):
            row = conn.execute(q, {"a": i, "b": 10}).one()
            assert (row.s, row.a, row._mapping["s"]) == (i + 10, i, i + 10)
            conn.commit()
        names = conn.execute("SELECT name FROM pg_prepared_statements").mappings().all()
        assert len(names) == 1  # prepared once, executed three times
        conn.rollback()
        conn.execute("CREATE TEMP TABLE t_prep (x int)")
        conn.execute(sa.text("INSERT INTO t_prep VALUES (CAST(:x AS int))"), {"x": 1})
        conn.rollback()  # both statements were in one transaction: nothing is left
        assert conn.execute("SELECT to_regclass('t_prep')").scalar() is None
        conn.rollback()
    finally:
        conn.close()


def test_a_lost_server_connection_is_an_operational_error(engine: Engine) -> None:
    conn = PreparedConnection(engine)
    try:
        pid = conn.execute("SELECT pg_backend_pid()").scalar()
        conn.commit()
        with engine.begin() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        with pytest.raises(sa.exc.OperationalError):  # the API answers 503 to this
            conn.execute(sa.text("SELECT CAST(:a AS int)"), {"a": 1})
        with pytest.raises(sa.exc.OperationalError):  # and so is any later use of it
            conn.execute(sa.text("SELECT CAST(:a AS int)"), {"a": 2})
        conn.rollback()  # no error on a dead connection
        assert conn.closed
    finally:
        conn.close()
