"""The single-point lookup on the event loop answers exactly as the session one, against PostGIS."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis import crs
from gis.cluster import free_port
from gis.errors import GridmapError, InvalidInput, Unavailable, Unprocessable
from gis.pg import AsyncPool, dsn_of
from gis.spatial.lookup import locate_point, locate_point_async
from tests.threadloop import run_in_thread

SEAT = (102.40041, 36.48023)
APP_NAME = "gridmap-locate-test"


@pytest.fixture
def pool(engine: Engine) -> Iterator[AsyncPool]:
    p = AsyncPool(dsn_of(engine.url), idle=2, limit=4, application_name=APP_NAME)
    yield p
    p.close()


def _sync(engine: Engine, **kw: Any) -> Any:
    with engine.connect() as conn:
        try:
            return locate_point(conn, **kw)
        except GridmapError as exc:
            return exc


async def _async(pool: AsyncPool, **kw: Any) -> Any:
    try:
        return await locate_point_async(pool=pool, **kw)
    except GridmapError as exc:
        return exc


def _same(a: Any, b: Any) -> None:
    if isinstance(a, GridmapError):
        assert type(b) is type(a), (a, b)
        assert (b.message, b.field, b.detail) == (a.message, a.field, a.detail)
    else:
        assert not isinstance(b, Exception), b
        assert list(b) == list(a) and b == a


def _cases(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        homes = conn.execute(
            sa.text("SELECT ST_X(geom), ST_Y(geom) FROM residences ORDER BY id LIMIT 400")
        ).all()
    rng = np.random.default_rng(4)
    picked = [homes[i] for i in rng.choice(len(homes), 12, replace=False)]
    pts = [(float(x) + 0.0003, float(y) - 0.0002) for x, y in picked]
    out = [{"lon": x, "lat": y, "crs": "wgs84"} for x, y in [SEAT, *pts]]
    out += [{"lon": x, "lat": y, "crs": "gcj02"} for x, y in [crs.wgs84_to_gcj02(*SEAT)]]
    out += [{"lon": x, "lat": y, "crs": "bd09"} for x, y in [crs.wgs84_to_bd09(*pts[0])]]
    out += [
        {"lon": SEAT[1], "lat": SEAT[0], "crs": "wgs84"},  # swapped (lat beyond 90)
        {"lon": SEAT[1], "lat": SEAT[0], "crs": "gcj02"},  # swapped, before any conversion
        {"lon": 101.78, "lat": 36.62, "crs": "wgs84"},  # Xining: outside
        {"lon": 10.0, "lat": 120.0, "crs": "wgs84"},  # lat out of range, not Ledu swapped
        {"lon": 102.4, "lat": -91.0, "crs": "wgs84"},
        {"lon": 181.0, "lat": 36.4, "crs": "wgs84"},
        {"lon": float("nan"), "lat": 36.4, "crs": "wgs84"},
        {"lon": 102.4, "lat": 36.4, "crs": "mars"},
    ]
    return out


def test_async_lookup_answers_as_the_session_lookup(engine: Engine, pool: AsyncPool) -> None:
    cases = _cases(engine)

    async def run_all(personal: bool) -> list[Any]:
        return [await _async(pool, **c, personal=personal) for c in cases]

    kinds: set[str] = set()
    staffed = 0
    for personal in (True, False):
        got = run_in_thread(run_all(personal))
        for c, b in zip(cases, got, strict=True):
            a = _sync(engine, **c, personal=personal)
            _same(a, b)
            kinds.add(type(a).__name__)
            if isinstance(a, dict) and a["staff"]:
                has_names = all("name" in s and "phone" in s for s in a["staff"])
                assert has_names is personal
                staffed += 1
    # the comparison covered answers, outside/swapped points and bad input
    assert {"dict", "Unprocessable", "InvalidInput"} <= kinds and staffed >= 4


def test_async_lookup_errors(pool: AsyncPool) -> None:
    async def go(**kw: Any) -> Any:
        return await _async(pool, personal=False, **kw)

    swapped = run_in_thread(go(lon=SEAT[1], lat=SEAT[0], crs="wgs84"))
    assert isinstance(swapped, Unprocessable) and swapped.detail == {"swapped": True}
    assert "swapped" in swapped.message and swapped.field == "lon"
    outside = run_in_thread(go(lon=101.78, lat=36.62, crs="wgs84"))
    assert isinstance(outside, Unprocessable) and outside.detail == {"swapped": False}
    bad = run_in_thread(go(lon=102.4, lat=36.4, crs="mars"))
    assert isinstance(bad, InvalidInput) and bad.field == "crs"
    glon, glat = crs.wgs84_to_gcj02(*SEAT)
    found = run_in_thread(go(lon=glon, lat=glat, crs="gcj02"))
    assert abs(found["lon"] - SEAT[0]) < 1e-6 and abs(found["lat"] - SEAT[1]) < 1e-6


def _terminate(engine: Engine, app_name: str) -> int:
    """Terminate the backends of ``app_name`` and wait until they are gone; how many."""
    find = sa.text(
        "SELECT pid FROM pg_stat_activity "
        "WHERE application_name = :n AND datname = current_database()"
    )
    with engine.connect() as conn:
        pids = conn.execute(find, {"n": app_name}).scalars().all()
        conn.execute(sa.text("SELECT pg_terminate_backend(p) FROM unnest(:p) p"), {"p": pids})
        conn.commit()
    for _ in range(200):
        with engine.connect() as conn:
            if not set(conn.execute(find, {"n": app_name}).scalars()) & set(pids):
                return len(pids)
        time.sleep(0.01)
    raise AssertionError(f"backends {pids} still there")


def test_lost_connections_are_replaced(engine: Engine, pool: AsyncPool) -> None:
    async def two_at_once() -> list[Any]:
        sql = "SELECT pg_backend_pid() FROM pg_sleep(0.05)"
        return [r[0] for r in await asyncio.gather(pool.fetchone(sql), pool.fetchone(sql))]

    pids = run_in_thread(two_at_once())
    assert len(set(pids)) == 2 and len(pool._free) == 2  # two idle connections kept
    assert _terminate(engine, APP_NAME) == 2
    # both idle connections are dead: the first failure drops them, one fresh one answers
    after = run_in_thread(_async(pool, lon=SEAT[0], lat=SEAT[1], crs="wgs84", personal=True))
    _same(_sync(engine, lon=SEAT[0], lat=SEAT[1], crs="wgs84", personal=True), after)
    (pid,) = run_in_thread(pool.fetchone("SELECT pg_backend_pid()"))
    assert pid not in pids and pool._open == 1


def test_database_unreachable_is_unavailable(engine: Engine, pool: AsyncPool) -> None:
    run_in_thread(pool.fetchone("SELECT 1"))
    assert _terminate(engine, APP_NAME) == 1
    pool.dsn = dsn_of(engine.url.set(port=free_port()))
    with pytest.raises(Unavailable) as e:
        run_in_thread(
            locate_point_async(pool=pool, lon=SEAT[0], lat=SEAT[1], crs="wgs84", personal=False)
        )
    assert e.value.field == "database" and pool._open == 0


def test_statement_prepared_once_per_connection(engine: Engine, pool: AsyncPool) -> None:
    count = "SELECT count(*) FROM pg_prepared_statements WHERE name = 'gridmap_locate_staff'"

    async def go() -> tuple[Any, ...]:
        before = await pool.fetchone(count)
        answers = [
            await locate_point_async(pool=pool, lon=x, lat=y, crs="wgs84", personal=True)
            for x, y in (SEAT, (SEAT[0] + 0.001, SEAT[1]), SEAT)
        ]
        after = await pool.fetchone(count)
        return before[0], after[0], answers, pool._open

    before, after, answers, n_open = run_in_thread(go())
    assert (before, after, n_open) == (0, 1, 1)  # one connection, prepared on first use
    want = _sync(engine, lon=SEAT[0], lat=SEAT[1], crs="wgs84", personal=True)
    assert answers[0] == answers[2] == want


def test_statement_given_up_by_the_server_is_unavailable(pool: AsyncPool) -> None:
    async def go() -> None:
        await pool.fetchone("SET statement_timeout = 50; SELECT pg_sleep(2)")

    with pytest.raises(Unavailable) as e:
        run_in_thread(go())
    assert e.value.field == "database" and "cancel" in str(e.value.__cause__)
    assert pool._open == 0  # the connection with the changed setting is not kept
    assert run_in_thread(pool.fetchone("SELECT current_setting('statement_timeout')")) == ("0",)
