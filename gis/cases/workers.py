"""The JSON intake: reports stored on the event loop, the waiting ones together.

A report is checked in Python, then queued for one of a few asynchronous connections kept
per process (:class:`gis.cases.prepared.AsyncPreparedConnection`). A free connection takes
it at once, together with every report queued by then (up to ``batch_max``), and stores
them with ONE prepared statement (:mod:`gis.cases.insert`: cases, first history rows,
NOTIFYs and audit rows — autocommit, so the batch is atomic and durable on its own). While
all connections are busy, arriving reports wait in the queue and the next connection that
frees takes them all: nothing waits on a timer, and under load PostgreSQL runs one
statement and one commit for many reports. No thread hand-off, no BEGIN/COMMIT round trips,
no SQL compilation per report.

A batch that fails (lost connection, server error) fails every report in it and stores none
of them (clients resend; client ids keep each report once). The batch runs on its own task:
a request that goes away does not stop it (its case is simply stored). A connection that
fails is dropped and replaced on the next batch. Rare paths — the first report of a day
(its number sequence), a resent client id, a point outside the district — run on a worker
thread with a pooled connection, as does folding the layer aggregate slot rows together
every few minutes (``layer_compact_case_aggregates``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, ProgrammingError

from gis.cases import insert
from gis.cases.actor import Actor
from gis.cases.intake import check_swapped, created_result, looks_swapped, outcome, report_values
from gis.cases.numbering import ensure_day, known_day, sequence_lost
from gis.cases.prepared import AsyncPreparedConnection
from gis.cases.result import CreateResult, existing_case
from gis.cases.schemas import CaseIn
from gis.pg import dsn_of
from gis.spatial.locate import outside_error

log = logging.getLogger("gridmap.cases.intake")
T = TypeVar("T")
_COMPACT = sa.text("SELECT layer_compact_case_aggregates()")
# The intake statement's plan does not depend on its parameters (arrays of reports): plan
# it once per connection, not for every batch (PostgreSQL would otherwise keep re-planning
# it, as its generic plan's estimate looks dearer than a plan for the actual arrays).
_SESSION = {"plan_cache_mode": "force_generic_plan"}


class _Queued:
    """A checked report waiting for its batch, and where its row (or error) goes."""

    __slots__ = ("values", "row")

    def __init__(self, values: dict[str, Any], row: asyncio.Future[Any]) -> None:
        self.values = values
        self.row = row


def _retrieved(fut: asyncio.Future[Any]) -> None:
    """Mark the outcome seen (the request may have gone away: no "never retrieved")."""
    if not fut.cancelled():
        fut.exception()


def _settle(batch: list[_Queued], rows: list[Any] | None, exc: BaseException | None) -> None:
    """Give each report of ``batch`` its row, or ``exc`` to all of them."""
    if exc is None and (rows is None or len(rows) != len(batch)):
        exc = RuntimeError(f"intake batch of {len(batch)} answered {len(rows or [])} rows")
    for n, item in enumerate(batch):
        if item.row.done():
            continue
        if exc is None:
            assert rows is not None
            item.row.set_result(rows[n])
        elif isinstance(exc, asyncio.CancelledError):
            item.row.cancel()
        else:
            item.row.set_exception(exc)


class IntakeWorkers:
    """Stores reports on up to ``connections`` asynchronous connections of this process.

    Parameters
    ----------
    engine : Engine
        The database (its URL for the intake connections; its pool for the rare paths).
    connections : int
        Most intake connections (and so batches in the database at once) of this process.
    batch_max : int
        Most reports stored by one statement.
    compact_every_s : float
        How often the layer aggregate slots are folded (0: never).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        connections: int = 4,
        batch_max: int = 32,
        compact_every_s: float = 60.0,
    ):
        self._engine = engine
        self._dsn = dsn_of(engine.url)
        self._limit = max(1, connections)
        self._batch_max = max(1, batch_max)
        self._free: list[AsyncPreparedConnection] = []
        self._open = 0  # open or opening
        self._opening = False
        self._starting = False  # a batch task is about to take the queue
        self._queue: collections.deque[_Queued] = collections.deque()
        self._tasks: set[asyncio.Task[None]] = set()
        #: How many batches of each size were stored (or tried).
        self.batch_sizes: collections.Counter[int] = collections.Counter()
        self._compact_every = compact_every_s
        self._compact_due = time.monotonic() + compact_every_s
        self._compacting: asyncio.Task[None] | None = None
        self._closed = False

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _pump(self) -> None:
        """Start a batch on a free connection, or open one, when reports wait."""
        if self._starting or not self._queue:
            return
        if self._closed:
            batch, self._queue = list(self._queue), collections.deque()
            _settle(batch, None, RuntimeError("intake closed"))
        elif self._free:
            self._starting = True
            self._spawn(self._run(self._free.pop()))
        elif self._open < self._limit and not self._opening:
            self._open += 1
            self._opening = True
            self._spawn(self._connect())

    def _take(self) -> list[_Queued]:
        """The next batch: queued reports in order, a client id at most once (a second
        report with the same id waits for the next batch)."""
        batch: list[_Queued] = []
        later: list[_Queued] = []
        ids: set[Any] = set()
        while self._queue and len(batch) < self._batch_max:
            item = self._queue.popleft()
            cid = item.values["client_id"]
            if cid is not None and cid in ids:
                later.append(item)
                continue
            ids.add(cid)
            batch.append(item)
        self._queue.extendleft(reversed(later))
        return batch

    async def _connect(self) -> None:
        try:
            conn = await AsyncPreparedConnection.open(
                self._dsn, application_name="gridmap-intake", settings=_SESSION
            )
        except BaseException as exc:
            self._open -= 1
            self._opening = False
            _settle(self._take(), None, exc)  # the reports that would have gone first
            self._pump()
            if not isinstance(exc, Exception):
                raise
            return
        self._opening = False
        self._release(conn, broken=False)

    async def _run(self, conn: AsyncPreparedConnection) -> None:
        self._starting = False
        batch = self._take()
        self._pump()  # more waiting than one batch holds: the next connection takes them
        if not batch:
            self._release(conn, broken=False)
            return
        self.batch_sizes[len(batch)] += 1
        broken = True  # a failure or a cancelled task leaves the connection in doubt
        try:
            rows = await conn.fetch(insert.TEXT, insert.params([b.values for b in batch]))
            broken = False
        except BaseException as exc:
            if isinstance(exc, DBAPIError) and conn.closed:
                log.warning("intake connection lost (%d reports not stored)", len(batch))
            _settle(batch, None, exc)
            if not isinstance(exc, Exception):
                raise
        else:
            _settle(batch, rows, None)
        finally:
            self._release(conn, broken=broken)

    def _release(self, conn: AsyncPreparedConnection, *, broken: bool) -> None:
        if broken or conn.closed or self._closed:
            conn.close()
            self._open -= 1
        else:
            self._free.append(conn)
        self._pump()

    async def _on_thread(self, work: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self._engine.connect() as conn:
                return work(conn)

        return await asyncio.to_thread(run)

    async def _stored(self, values: dict[str, Any]) -> Any:
        """The statement's row for ``values`` once its batch has run."""
        if self._closed:
            raise RuntimeError("intake closed")
        row = asyncio.get_running_loop().create_future()
        row.add_done_callback(_retrieved)
        self._queue.append(_Queued(values, row))
        self._pump()
        return await asyncio.shield(row)  # a request that goes away leaves its batch alone

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
        for attempt in (1, 2):
            if not known_day(values["day"]):
                await self._on_thread(lambda conn: ensure_day(bind=conn, day=values["day"]))
            try:
                row = await self._stored(values)
                break
            except ProgrammingError as exc:  # nothing of the batch was stored: try once more
                if attempt == 2 or not sequence_lost(exc, values["day"]):
                    raise
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
        def fold(conn: Connection) -> int:
            moved = int(conn.execute(_COMPACT).scalar_one())
            conn.commit()
            return moved

        t0 = time.monotonic()
        try:
            moved = await self._on_thread(fold)
        except DBAPIError as exc:
            log.warning("aggregate slots not folded: %s", exc)
            return
        log.info("aggregate slots folded: %s rows in %.0f ms", moved, (time.monotonic() - t0) * 1e3)

    def close(self) -> None:
        """Close the idle connections (the ones in use close when they come back)."""
        self._closed = True
        conns, self._free = self._free, []
        for conn in conns:
            conn.close()
            self._open -= 1
        batch, self._queue = list(self._queue), collections.deque()
        _settle(batch, None, RuntimeError("intake closed"))
