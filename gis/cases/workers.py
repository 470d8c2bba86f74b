"""Intake workers: a few threads, each with its own database connection, that store reports.

A report is one prepared statement, the (prepared) audit insert and a commit on a
connection the thread keeps (:class:`gis.cases.prepared.PreparedConnection`: no pool
checkout, ping or reset, no SQL compilation per report). A connection that fails is
dropped and replaced on the next report. Every few minutes one worker folds the layer
aggregate slot rows together (``layer_compact_case_aggregates``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from gis.cases.actor import Actor
from gis.cases.intake import store_report
from gis.cases.prepared import PreparedConnection
from gis.cases.result import CreateResult
from gis.cases.schemas import CaseIn

log = logging.getLogger("gridmap.cases.intake")


class IntakeWorkers:
    """Stores reports on ``threads`` worker threads with dedicated connections.

    Parameters
    ----------
    engine : Engine
        Where connections come from (each thread keeps one).
    threads : int
        Worker threads (and connections) of this process.
    compact_every_s : float
        How often the layer aggregate slots are folded (0: never).
    """

    def __init__(self, engine: Engine, *, threads: int = 4, compact_every_s: float = 60.0):
        self._engine = engine
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="case-intake")
        self._conns: list[PreparedConnection] = []
        self._lock = threading.Lock()
        self._compact_every = compact_every_s
        self._compact_due = time.monotonic() + compact_every_s
        self._closed = False

    def _conn(self) -> PreparedConnection:
        conn: PreparedConnection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = PreparedConnection(self._engine)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def _drop(self, conn: PreparedConnection) -> None:
        self._local.conn = None
        with self._lock, contextlib.suppress(ValueError):
            self._conns.remove(conn)
        conn.close()

    def _store(self, **kwargs: Any) -> CreateResult:
        conn = self._conn()
        try:
            return store_report(bind=conn, **kwargs)
        except DBAPIError:
            self._drop(conn)  # lost or in an unknown state: start afresh next time
            raise

    def _compact(self) -> None:
        conn = self._conn()
        try:
            t0 = time.monotonic()
            moved = conn.execute("SELECT layer_compact_case_aggregates()").scalar()
            conn.commit()
            log.info(
                "aggregate slots folded: %s rows in %.0f ms", moved, (time.monotonic() - t0) * 1e3
            )
        except DBAPIError as exc:
            log.warning("aggregate slots not folded: %s", exc)
            self._drop(conn)

    def _maybe_compact(self) -> None:
        if self._compact_every <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if now < self._compact_due:
                return
            self._compact_due = now + self._compact_every
        self._pool.submit(self._compact)

    async def report(self, *, case_in: CaseIn, actor: Actor, source: str = "field") -> CreateResult:
        """Store one report on a worker thread (see :func:`gis.cases.intake.store_report`)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(self._store, case_in=case_in, actor=actor, source=source)
        result = await loop.run_in_executor(self._pool, call)
        self._maybe_compact()
        return result

    def close(self) -> None:
        """Stop the threads and close their connections."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
