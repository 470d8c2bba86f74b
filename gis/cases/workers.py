"""The JSON intake: reports stored on the event loop, one statement each.

A report is checked in Python, then stored by one prepared statement (case, first history
row, NOTIFY and audit row — autocommit, so it is atomic and durable on its own) on one of a
few asynchronous connections kept per process (:class:`gis.cases.prepared.AsyncPreparedConnection`):
no thread hand-off, no BEGIN/COMMIT round trips, no SQL compilation per report. A
connection that fails is dropped (the caller gets a 503) and replaced on the next report.
Rare paths — the first report of a day (its number sequence), a resent client id, a point
outside the district — run on a worker thread with a pooled connection. Every few minutes
the layer aggregate slot rows are folded together (``layer_compact_case_aggregates``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from gis.cases import insert
from gis.cases.actor import Actor
from gis.cases.intake import check_swapped, created_result, looks_swapped, outcome, report_values
from gis.cases.numbering import ensure_day, known_day
from gis.cases.prepared import AsyncPreparedConnection
from gis.cases.result import CreateResult, existing_case
from gis.cases.schemas import CaseIn
from gis.pg import dsn_of
from gis.spatial.locate import outside_error

log = logging.getLogger("gridmap.cases.intake")
T = TypeVar("T")


class IntakeWorkers:
    """Stores reports on up to ``connections`` asynchronous connections of this process.

    Parameters
    ----------
    engine : Engine
        The database (its URL for the intake connections; its pool for the rare paths).
    connections : int
        Most intake connections (and so reports in the database at once) of this process.
    compact_every_s : float
        How often the layer aggregate slots are folded (0: never).
    """

    def __init__(self, engine: Engine, *, connections: int = 4, compact_every_s: float = 60.0):
        self._engine = engine
        self._dsn = dsn_of(engine.url)
        self._limit = max(1, connections)
        self._free: list[AsyncPreparedConnection] = []
        self._open = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._compact_every = compact_every_s
        self._compact_due = time.monotonic() + compact_every_s
        self._compacting: asyncio.Task[None] | None = None
        self._closed = False

    async def _acquire(self) -> AsyncPreparedConnection:
        while True:
            if self._free:
                return self._free.pop()
            if self._closed:
                raise RuntimeError("intake closed")
            if self._open < self._limit:
                self._open += 1
                try:
                    return await AsyncPreparedConnection.open(
                        self._dsn, application_name="gridmap-intake"
                    )
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done():  # woken but leaving: pass the turn on
                    self._wake()
                else:
                    self._waiters.remove(waiter)
                raise

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _release(self, conn: AsyncPreparedConnection, *, broken: bool) -> None:
        if broken or conn.closed or self._closed:
            conn.close()
            self._open -= 1
        else:
            self._free.append(conn)
        self._wake()

    async def _fetch(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        conn = await self._acquire()
        broken = True  # a failure or a cancelled request leaves the connection in doubt
        try:
            rows = await conn.fetch(statement, params)
            broken = False
            return rows
        except DBAPIError:
            if conn.closed:
                log.warning("intake connection lost")
            raise
        finally:
            self._release(conn, broken=broken)

    async def _on_thread(self, work: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self._engine.connect() as conn:
                return work(conn)

        return await asyncio.to_thread(run)

    async def report(self, *, case_in: CaseIn, actor: Actor, source: str = "field") -> CreateResult:
        """Store one report (see :func:`gis.cases.intake.store_report`; no photos here).

        Raises
        ------
        InvalidInput, Unprocessable, Forbidden
            As :func:`gis.cases.intake.store_report`.
        sqlalchemy.exc.OperationalError
            The database is unreachable (the API answers 503; the client resends).
        """
        values = report_values(
            case_in=case_in, actor=actor, source=source, now=datetime.now(UTC), audited=True
        )
        if looks_swapped(case_in):
            await self._on_thread(lambda conn: check_swapped(bind=conn, case_in=case_in))
        if not known_day(values["day"]):
            await self._on_thread(lambda conn: ensure_day(bind=conn, day=values["day"]))
        (row,) = await self._fetch(insert.TEXT, insert.params(values))
        self._maybe_compact()
        done = outcome(row, case_in)
        if done == "outside":
            raise await self._on_thread(
                lambda conn: outside_error(conn, values["lon"], values["lat"])
            )
        if done == "exists":
            assert case_in.client_id is not None
            cid = case_in.client_id
            return await self._on_thread(
                lambda conn: existing_case(bind=conn, client_id=cid, actor=actor)
            )
        return created_result(row, values, actor=actor, photos=[])

    def _maybe_compact(self) -> None:
        if self._compact_every <= 0 or time.monotonic() < self._compact_due:
            return
        if self._compacting is not None and not self._compacting.done():
            return
        self._compact_due = time.monotonic() + self._compact_every
        self._compacting = asyncio.get_running_loop().create_task(self._compact())

    async def _compact(self) -> None:
        t0 = time.monotonic()
        try:
            (row,) = await self._fetch("SELECT layer_compact_case_aggregates() AS moved", {})
        except DBAPIError as exc:
            log.warning("aggregate slots not folded: %s", exc)
            return
        log.info(
            "aggregate slots folded: %s rows in %.0f ms", row.moved, (time.monotonic() - t0) * 1e3
        )

    def close(self) -> None:
        """Close the idle connections (the ones in use close when they come back)."""
        self._closed = True
        conns, self._free = self._free, []
        for conn in conns:
            conn.close()
            self._open -= 1
