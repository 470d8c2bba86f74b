"""Per-table data versions: one tiny query per request, read on a dedicated connection.

Migration 0002 bumps ``layer_data_versions`` from statement-level triggers in the writer's
transaction, so a version read after a commit always reflects that commit: a tile cached
under an older version is never served once the data has changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from sqlalchemy.engine import Engine

from gis.pg import AsyncPool, Prepared

SQL = "SELECT source, version FROM layer_data_versions"
ONE_ROW_SQL = "SELECT json_object_agg(source, version) FROM layer_data_versions"
VERSIONS = Prepared("gridmap_versions", ONE_ROW_SQL, {})


class VersionReader:
    """Reads every source's version with one query on a connection kept for the purpose."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        proxied = self._engine.raw_connection()
        dbapi: Any = proxied.driver_connection
        proxied.detach()  # ours for good: not returned to the pool
        dbapi.autocommit = True
        return dbapi

    def read(self) -> dict[str, int]:
        """The current version of every source table (retrying once on a lost connection)."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self._connect()
                    with self._conn.cursor() as cur:
                        cur.execute(SQL)
                        return {str(s): int(v) for s, v in cur.fetchall()}
                except Exception:
                    self.close_locked()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def close_locked(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()


class SharedVersionRead:
    """Every source's version, read on the event loop, one read shared by many requests.

    A request joins the next read that *starts* after it arrived (never one already in
    flight), so it sees every commit that finished before it arrived; under load one read
    answers all the requests that arrived while the previous one was running. Reads run one
    at a time on a connection of their own, as a statement prepared on first use (planning
    the view took longer than running it).
    """

    def __init__(self, dsn: str) -> None:
        self._pool = AsyncPool(dsn, idle=1, limit=1)
        self._next: asyncio.Future[dict[str, int]] | None = None
        self._running = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def read(self) -> dict[str, int]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): nothing of the old one is valid
            self._loop, self._next, self._running = loop, None, False
        if self._next is None:
            self._next = loop.create_future()
            if not self._running:
                self._running = True
                loop.create_task(self._drive())
        return await asyncio.shield(self._next)

    async def _fetch(self) -> dict[str, int]:
        row = await self._pool.fetchone(VERSIONS)
        return {str(k): int(v) for k, v in (row[0] or {}).items()}

    async def _drive(self) -> None:
        try:
            while self._next is not None:
                # one turn of the loop first: requests already received join this read
                await asyncio.sleep(0)
                fut, self._next = self._next, None
                try:
                    result = await self._fetch()
                except Exception as exc:  # every waiter of this read gets the error
                    if not fut.done():
                        fut.set_exception(exc)
                    fut.exception()  # retrieved: no "never retrieved" warning if nobody waits
                else:
                    if not fut.done():
                        fut.set_result(result)
        finally:
            self._running = False

    def close(self) -> None:
        self._pool.close()
