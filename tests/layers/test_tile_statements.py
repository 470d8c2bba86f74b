"""Statements of the tile path: the shared version read (sees a commit made just before it,
survives a lost connection) and the tile statements, prepared once per connection."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from gis.pg import dsn_of
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


def test_tile_statements_are_prepared_once_and_answer_as_the_plain_ones(engine, monkeypatch):
    import mapbox_vector_tile

    from gis.pg import AsyncPool
    from layers import mvt, registry

    specs = [registry.get("grids"), registry.get("incidents")]
    x, y = mvt.tile_of(102.402, 36.483, 13)
    sql, params = mvt.tile_statement(specs, z=13, x=x, y=y, personal=True)
    statement = mvt.prepared(sql, params)
    assert not isinstance(statement, str) and mvt.prepared(sql, params) is statement
    pool = AsyncPool(dsn_of(engine.url), idle=1, limit=1)

    async def scenario() -> tuple[bytes, bytes, bytes, int]:
        plain = (await pool.fetchone(sql, params))[1]
        first = (await pool.fetchone(statement, params))[1]
        again = (await pool.fetchone(statement, params))[1]
        (kept,) = await pool.fetchone(
            "SELECT count(*) FROM pg_prepared_statements WHERE name = %(n)s",
            {"n": statement.name},
        )
        return bytes(plain), bytes(first), bytes(again), kept

    try:
        with ThreadPoolExecutor(1) as threads:
            plain, first, again, kept = threads.submit(lambda: asyncio.run(scenario())).result()
    finally:
        pool.close()

    def features(data: bytes) -> dict[str, list]:
        layers = mapbox_vector_tile.decode(data)
        return {
            name: sorted(
                (str(f["geometry"]), sorted(f["properties"].items())) for f in layer["features"]
            )
            for name, layer in layers.items()
        }

    assert plain and features(first) == features(plain) == features(again)
    assert set(features(plain)) == {"grids", "incidents"}
    assert kept == 1  # prepared on that connection, once
    monkeypatch.setattr(mvt, "MAX_PREPARED", 0)
    other, other_params = mvt.tile_statement(specs[:1], z=12, x=x // 2, y=y // 2, personal=False)
    if other not in mvt._prepared:
        assert mvt.prepared(other, other_params) == other  # past the bound: plain text
