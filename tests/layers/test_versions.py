"""The shared version read: sees a commit made just before it, survives a lost connection."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from layers.pg import dsn_of
from layers.versions import SharedVersionRead


def _bump(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:  # a committed edit of one grid, as any writer makes it
        conn.execute(
            sa.text("UPDATE grids SET name = name WHERE code = (SELECT min(code) FROM grids)")
        )


def _expected(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT source, version FROM layer_data_versions"))
        return {str(s): int(v) for s, v in rows}


def test_reads_see_the_last_commit_and_survive_a_lost_connection(engine) -> None:
    reader = SharedVersionRead(dsn_of(engine.url))

    async def scenario() -> list[tuple[dict[str, int], dict[str, int]]]:
        seen = []
        first = await reader.read()
        seen.append((first, _expected(engine)))
        _bump(engine)
        seen.append((await reader.read(), _expected(engine)))
        with engine.begin() as conn:  # the reader's connection dies (restart, idle timeout)
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'gridmap-tiles' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        assert killed >= 1
        _bump(engine)
        seen.append((await reader.read(), _expected(engine)))
        many = await asyncio.gather(*(reader.read() for _ in range(20)))  # shared reads
        seen.extend((m, _expected(engine)) for m in many)
        return seen

    try:
        # a loop of its own in a thread of its own (browser tests leave one running here)
        with ThreadPoolExecutor(1) as pool:
            seen = pool.submit(lambda: asyncio.run(scenario())).result()
    finally:
        reader.close()
    for got, want in seen:
        assert got == want
    assert seen[1][0]["grids"] > seen[0][0]["grids"]
    assert seen[2][0]["grids"] > seen[1][0]["grids"]
