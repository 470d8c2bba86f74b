"""The live feed behind ``/api/v1/events``: one LISTEN connection per server process.

A :class:`Feed` holds a dedicated psycopg2 connection that ``LISTEN``s on the events
channel. Its socket is watched with ``loop.add_reader`` so waiting never blocks the event
loop; notifications are fanned out to per-subscriber queues. When the database goes away
the feed reconnects with back-off and replays what it missed from ``case_events`` (ids
above the last one seen), so subscribers see no gap. Works with several server workers:
every worker has its own feed and PostgreSQL delivers each NOTIFY to all of them.

The same process also runs the overdue sweeper: cases whose deadline has just passed get
one ``overdue`` history row each (a unique index makes that exactly once across workers),
which is announced like any other event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import psycopg2
import psycopg2.extensions
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.cases.events import EVENT_JSON, channel, last_event_id, replay
from gis.cases.settings import get_case_settings
from gis.cases.workflow import CLOCK_STATES

log = logging.getLogger("gridmap.feed")

QUEUE_SIZE = 1000

_SWEEP = sa.text(f"""
    WITH due AS (
        SELECT id, state, deadline_at FROM cases
        WHERE state = ANY(:clock) AND deadline_at <= now()
          AND deadline_at > now() - make_interval(secs => :window)
    ), e AS (
        INSERT INTO case_events (case_id, actor, action, from_state, to_state, data)
        SELECT id, 'system', 'overdue', state, state,
               jsonb_build_object('deadline_at', deadline_at::text)
        FROM due
        ON CONFLICT (case_id, (data->>'deadline_at')) WHERE action = 'overdue' DO NOTHING
        RETURNING *
    )
    SELECT count(pg_notify(:channel, {EVENT_JSON}::text))
    FROM e JOIN cases c ON c.id = e.case_id JOIN categories cat ON cat.code = c.category_code
""")


def sweep_overdue(*, engine: Engine, window_s: float = 3600.0) -> int:
    """Record and announce cases that became overdue within the last ``window_s`` seconds.

    Returns
    -------
    int
        How many cases were newly marked (0 when another worker was first).
    """
    with engine.begin() as conn:
        return int(
            conn.execute(
                _SWEEP,
                {"clock": sorted(CLOCK_STATES), "window": window_s, "channel": channel()},
            ).scalar_one()
        )


class Subscription:
    """One listener's queue; ``closed`` is set when it fell too far behind."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.closed = asyncio.Event()


class Feed:
    """Fan-out of database notifications to in-process subscribers."""

    def __init__(self, engine: Engine, *, connect: Callable[[], Any] | None = None) -> None:
        self.engine = engine
        self._connect = connect or self._default_connect
        self.subscribers: set[Subscription] = set()
        self.last_id: int | None = None
        self.connected = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def _default_connect(self) -> Any:
        url = self.engine.url
        conn = psycopg2.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database,
            connect_timeout=5,
            application_name="gridmap-feed",
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        return conn

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._sweep())]

    async def stop(self) -> None:
        self._stopping = True
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    # -- subscribers ---------------------------------------------------------------------

    def subscribe(self) -> Subscription:
        sub = Subscription()
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)

    def publish(self, event: dict[str, Any]) -> None:
        eid = int(event["id"])
        self.last_id = eid if self.last_id is None else max(self.last_id, eid)
        for sub in list(self.subscribers):
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.closed.set()  # the client reconnects with Last-Event-ID and replays
                self.subscribers.discard(sub)

    # -- the listening loop --------------------------------------------------------------

    async def _listen(self) -> None:
        delay = 0.2
        loop = asyncio.get_running_loop()
        while not self._stopping:
            conn = None
            try:
                conn = await asyncio.to_thread(self._connect)
                with conn.cursor() as cur:
                    cur.execute(f"LISTEN {channel()}")
                await self._catch_up()
                ready = asyncio.Event()
                loop.add_reader(conn.fileno(), ready.set)
                self.connected.set()
                delay = 0.2
                try:
                    while True:
                        try:
                            await asyncio.wait_for(ready.wait(), timeout=20)
                        except TimeoutError:
                            with conn.cursor() as cur:  # keep-alive; raises when the server is gone
                                cur.execute("SELECT 1")
                        ready.clear()
                        conn.poll()
                        while conn.notifies:
                            note = conn.notifies.pop(0)
                            try:
                                self.publish(json.loads(note.payload))
                            except (ValueError, KeyError, TypeError):
                                log.warning("bad notification payload: %.200s", note.payload)
                finally:
                    loop.remove_reader(conn.fileno())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — the feed must outlive database restarts
                self.connected.clear()
                log.warning("event feed disconnected (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()

    async def _catch_up(self) -> None:
        """After (re)connecting: start from the newest id, or replay what was missed."""
        if self.last_id is None:

            def newest() -> int:
                with self.engine.connect() as conn:
                    return last_event_id(bind=conn)

            self.last_id = await asyncio.to_thread(newest)
            return
        after = self.last_id

        def fetch() -> list[dict[str, Any]]:
            with self.engine.connect() as conn:
                return replay(bind=conn, after=after)

        for event in await asyncio.to_thread(fetch):
            self.publish(event)

    async def _sweep(self) -> None:
        every = get_case_settings().overdue_sweep_s
        while not self._stopping:
            try:
                n = await asyncio.to_thread(sweep_overdue, engine=self.engine)
                if n:
                    log.info("marked %d cases overdue", n)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — try again next round
                log.warning("overdue sweep failed: %s", exc)
            await asyncio.sleep(every)
