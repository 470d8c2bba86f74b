"""Non-blocking PostgreSQL queries on the event loop (psycopg2's asynchronous connections).

Tile requests and single-point lookups spend most of their life waiting for one statement;
running it on the event loop spares a thread hand-off and a pool check-out per request.
Connections are kept in a small idle list: no queue or lock is bound to an event loop, so one
pool serves whichever loop runs the app. Asynchronous connections are always in autocommit
mode: one statement is one round trip, with no BEGIN/ROLLBACK around it. A hot statement can
be :class:`Prepared`: each connection parses and plans it once, on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

import psycopg2
import psycopg2.extensions as ext

from gis.errors import Unavailable


async def wait_ready(conn: Any) -> None:
    """Drive ``conn.poll()`` of an asynchronous connection until the pending operation
    completes, waiting on the event loop for the socket to be readable or writable."""
    loop = asyncio.get_running_loop()
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        if state == ext.POLL_READ:
            watch, unwatch = loop.add_reader, loop.remove_reader
        elif state == ext.POLL_WRITE:
            watch, unwatch = loop.add_writer, loop.remove_writer
        else:  # pragma: no cover - psycopg2 documents no other state
            raise psycopg2.OperationalError(f"unexpected poll state {state}")
        fut: asyncio.Future[None] = loop.create_future()

        def ready(fut: asyncio.Future[None] = fut) -> None:
            if not fut.done():
                fut.set_result(None)

        fd = conn.fileno()
        watch(fd, ready)
        try:
            await fut
        finally:
            unwatch(fd)


class Prepared:
    """A statement each connection prepares on first use (parsed and planned once there).

    ``sql`` has psycopg2's ``%(name)s`` placeholders; ``types`` names each parameter's SQL
    type, in the order of the prepared statement's ``$1, $2, …``. The first use on a
    connection sends ``PREPARE`` and ``EXECUTE`` in one round trip, later uses ``EXECUTE``.
    """

    def __init__(self, name: str, sql: str, types: dict[str, str]) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a statement name: {name!r}")
        body = sql
        for i, param in enumerate(types, 1):
            body = body.replace(f"%({param})s", f"${i}")
        if "%(" in body:
            raise ValueError(f"a parameter of {name} has no type: {body}")
        args = f"({', '.join(f'%({param})s' for param in types)})" if types else ""
        decl = f"({', '.join(types.values())})" if types else ""
        self.name = name
        self.execute = f"EXECUTE {name}{args}"
        self.prepare_and_execute = f"PREPARE {name}{decl} AS {body.strip()};\n{self.execute}"


class _Connection(ext.connection):  # type: ignore[misc]
    """A connection that remembers the statements it has prepared."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()


class AsyncPool:
    """Up to ``idle`` idle connections kept; more are opened while the load needs them,
    never more than ``limit`` at once.

    A connection found lost (server restarted, backend terminated) is replaced once per
    statement; the idle ones are dropped with it, as they are very likely lost too. When the
    replacement cannot be opened or is lost as well, the statement raises
    :class:`gis.errors.Unavailable` (503).
    """

    def __init__(
        self,
        dsn: str,
        *,
        idle: int = 10,
        limit: int = 64,
        application_name: str = "gridmap-tiles",
    ) -> None:
        self.dsn = dsn
        self.idle = idle
        self.limit = limit
        self.application_name = application_name
        self._free: list[Any] = []
        self._open = 0

    async def _connect(self) -> Any:
        conn = psycopg2.connect(
            self.dsn,
            async_=True,
            connect_timeout=5,
            application_name=self.application_name,
            connection_factory=_Connection,
        )
        try:
            await wait_ready(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    async def _acquire(self) -> Any:
        while True:
            while self._free:
                conn = self._free.pop()
                if not conn.closed:
                    return conn
                self._open -= 1
            if self._open < self.limit:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    raise
            await asyncio.sleep(0.002)

    def _release(self, conn: Any, *, broken: bool) -> None:
        if broken or conn.closed or len(self._free) >= self.idle:
            with contextlib.suppress(Exception):
                conn.close()
            self._open -= 1
        else:
            self._free.append(conn)

    def _drop_idle(self) -> None:
        for conn in self._free:
            with contextlib.suppress(Exception):
                conn.close()
            self._open -= 1
        self._free.clear()

    async def fetchone(
        self, sql: str | Prepared, params: dict[str, Any] | None = None
    ) -> tuple[Any, ...]:
        """The first row of ``sql`` (``()`` when there is none).

        Raises
        ------
        Unavailable
            The server cannot be reached, the connection was lost twice, or the server gave
            up on the statement (an ``OperationalError``: cancelled, timed out …).
        """
        for attempt in (1, 2):
            try:
                conn = await self._acquire()
            except psycopg2.OperationalError as exc:  # cannot connect: down or restarting
                raise Unavailable(
                    "数据库暂不可用 (database unavailable)", field="database"
                ) from exc
            broken = True
            try:
                cur = conn.cursor()
                if isinstance(sql, Prepared):
                    ready = sql.name in conn.prepared
                    cur.execute(sql.execute if ready else sql.prepare_and_execute, params)
                    await wait_ready(conn)
                    conn.prepared.add(sql.name)
                else:
                    cur.execute(sql, params)
                    await wait_ready(conn)
                row = cur.fetchone()
                cur.close()
                broken = False
                return tuple(row) if row is not None else ()
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                if conn.closed:  # lost: the server restarted or the backend was terminated
                    self._drop_idle()
                    if attempt == 1:
                        continue
                elif not isinstance(exc, psycopg2.OperationalError):
                    raise
                # lost twice (down or restarting), or the server gave up on the statement
                # (cancelled, timed out, shutting down): as the session paths answer, a 503
                raise Unavailable(
                    "数据库暂不可用 (database unavailable)", field="database"
                ) from exc
            finally:
                # a cancelled request leaves the connection mid-statement: close it
                self._release(conn, broken=broken)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the idle connections (those in use are closed when they come back)."""
        self._drop_idle()


def dsn_of(engine_url: Any) -> str:
    """A libpq DSN from a SQLAlchemy URL (``postgresql+psycopg2://…``)."""
    url = engine_url.set(drivername="postgresql")
    return str(url.render_as_string(hide_password=False))
