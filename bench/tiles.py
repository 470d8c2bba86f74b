"""Tile and items benchmark: raw SQL floor, gridmap cold and warm, tipg — one table, with ratios.

Run by hand (not a test) against a database holding the demo data with 1,000,000 incidents::

    export GRIDMAP_VAR_DIR=/work/team/bench-var
    .venv/bin/gridmap db start && .venv/bin/gridmap db migrate
    .venv/bin/gridmap demo load --incidents 1000000
    python3 -m venv /work/team/tipg-venv && /work/team/tipg-venv/bin/pip install tipg uvicorn
    .venv/bin/python bench/tiles.py --tipg-python /work/team/tipg-venv/bin/python

A fixed list of 300 tiles z8–16 (weighted like a map session, centred mostly where people
live) is fetched for each server, layer and concurrency. Servers run as two worker processes
sharing one listening socket with TCP_NODELAY set on it (accepted sockets inherit it; without
it, uvicorn's multi-worker sockets meet Nagle and delayed ACK at concurrency 1).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from layers.mvt import tile_of  # noqa: E402

ZOOM_WEIGHTS = {8: 2, 9: 3, 10: 5, 11: 8, 12: 12, 13: 15, 14: 20, 15: 20, 16: 15}
LEDU = (102.0993, 36.2055, 102.7932, 36.8524)
COMMANDER = {"X-Gridmap-User": "bench", "X-Gridmap-Role": "commander"}
FLOOR_SQL = {
    "grids": (
        "SELECT ST_AsMVT(t, 'grids', 4096, 'geom') FROM (SELECT ST_AsMVTGeom(ST_Transform(geom, "
        "3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom, code, name, "
        "households FROM grids WHERE geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), "
        "4326)) t"
    ),
    "incidents": (
        "SELECT ST_AsMVT(t, 'incidents', 4096, 'geom') FROM (SELECT ST_AsMVTGeom(ST_Transform("
        "geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom, "
        "category_code, state FROM cases WHERE geom && ST_Transform(ST_TileEnvelope(%(z)s, "
        "%(x)s, %(y)s), 4326)) t"
    ),
}


@dataclass
class Run:
    """One measured pass: throughput, latencies and sizes."""

    label: str
    n: int
    seconds: float
    latencies: list[float]
    sizes: list[int] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else 0.0


def make_tiles(dsn: str, n: int = 300, seed: int = 630202) -> list[tuple[int, int, int]]:
    """300 tiles z8–16: 75 % centred on incident points (where people live), 25 % anywhere."""
    rnd = random.Random(seed)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT ST_X(geom), ST_Y(geom) FROM cases WHERE id % 499 = 0 ORDER BY id")
        pts = cur.fetchall()
    zooms = [z for z, w in ZOOM_WEIGHTS.items() for _ in range(w)]
    out = []
    for _ in range(n):
        z = rnd.choice(zooms)
        if rnd.random() < 0.75:
            lon, lat = rnd.choice(pts)
        else:
            lon, lat = rnd.uniform(LEDU[0], LEDU[2]), rnd.uniform(LEDU[1], LEDU[3])
        out.append((z, *tile_of(lon, lat, z)))
    return out


def make_bboxes(dsn: str, n: int = 40, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT ST_X(geom), ST_Y(geom) FROM cases WHERE id % 997 = 0 ORDER BY id")
        pts = cur.fetchall()
    out = []
    for _ in range(n):
        lon, lat = rnd.choice(pts)
        out.append(f"{lon - 0.01:.5f},{lat - 0.008:.5f},{lon + 0.01:.5f},{lat + 0.008:.5f}")
    return out


# ---------------------------------------------------------------- HTTP client (keep-alive)


async def _get(reader, writer, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{extra}\r\n".encode())
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        if k.lower() == "content-length":
            length = int(v)
        elif k.lower() == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return status, body
    return status, (await reader.readexactly(length)) if length else b""


async def _fetch(port: int, paths: list[str], conc: int, headers: dict[str, str]) -> Run:
    lat: list[float] = []
    sizes: list[int] = []
    errors = 0
    it = iter(range(len(paths)))
    bodies: dict[int, bytes] = {}
    by_index: dict[int, float] = {}

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in it:
            t = time.perf_counter()
            status, body = await _get(reader, writer, paths[i], headers)
            lat.append(time.perf_counter() - t)
            by_index[i] = lat[-1]
            sizes.append(len(body))
            bodies[i] = body
            if status >= 400:
                errors += 1
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    run = Run("", len(paths), time.perf_counter() - t0, lat, sizes, errors)
    run.bodies = [bodies[i] for i in range(len(paths))]  # type: ignore[attr-defined]
    run.by_index = [by_index[i] for i in range(len(paths))]  # type: ignore[attr-defined]
    return run


def fetch(port: int, paths: list[str], conc: int, headers: dict[str, str] | None = None) -> Run:
    return asyncio.run(_fetch(port, paths, conc, headers or {}))


# ---------------------------------------------------------------- servers


class Server:
    """``workers`` uvicorn processes accepting on one socket that has TCP_NODELAY set."""

    def __init__(self, python: str, app: str, env: dict[str, str], workers: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(2048)
        self.port = self.sock.getsockname()[1]
        fd = self.sock.fileno()
        os.set_inheritable(fd, True)
        cmd = [
            python,
            "-m",
            "uvicorn",
            app,
            "--fd",
            str(fd),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.procs = [
            subprocess.Popen(
                cmd,
                env={**os.environ, **env},
                pass_fds=[fd],
                cwd=Path(__file__).resolve().parent.parent,
            )
            for _ in range(workers)
        ]

    def wait(self, path: str) -> None:
        for _ in range(600):
            try:
                if fetch(self.port, [path], 1).errors == 0:
                    return
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server on {self.port} did not answer {path}")

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=30)
        self.sock.close()


# ---------------------------------------------------------------- raw SQL floor

_conn = None


def _floor_init(dsn: str) -> None:
    global _conn
    _conn = psycopg2.connect(dsn)
    _conn.autocommit = True


def _floor_one(args: tuple[str, int, int, int]) -> tuple[float, int]:
    layer, z, x, y = args
    t = time.perf_counter()
    with _conn.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(FLOOR_SQL[layer], {"z": z, "x": x, "y": y})
        data = cur.fetchone()[0]
    return time.perf_counter() - t, len(data or b"")


def floor(dsn: str, layer: str, tiles: list[tuple[int, int, int]], procs: int = 2) -> Run:
    with Pool(procs, initializer=_floor_init, initargs=(dsn,)) as pool:
        t0 = time.perf_counter()
        res = pool.map(_floor_one, [(layer, *t) for t in tiles], chunksize=4)
        secs = time.perf_counter() - t0
    return Run("floor", len(tiles), secs, [r[0] for r in res], [r[1] for r in res])


# ---------------------------------------------------------------- completeness


def incident_completeness(dsn: str, tiles, bodies: list[bytes], *, clustered: bool) -> str:
    """Tiles whose points (or cluster counts) fall short of the points in the tile."""
    import mapbox_vector_tile

    short = 0
    worst = ""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        for (z, x, y), body in zip(tiles, bodies, strict=True):
            cur.execute(
                "SELECT count(*) FROM cases WHERE geom && ST_Transform(ST_TileEnvelope(%s, %s, "
                "%s), 4326) AND ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(%s, %s, "
                "%s))" + (" AND state NOT IN ('cancelled', 'merged')" if clustered else ""),
                (z, x, y, z, x, y),
            )
            want = cur.fetchone()[0]
            got = 0
            for layer in mapbox_vector_tile.decode(body).values() if body else []:
                for f in layer["features"]:
                    px, py = f["geometry"]["coordinates"]
                    if 0 <= px < 4096 and 0 <= py <= 4096:
                        got += int(f["properties"].get("count", 1))
            if got < want:
                short += 1
                worst = worst or f"z{z}: {got} of {want}"
    return f"{len(tiles) - short}/{len(tiles)} complete" + (f" (e.g. {worst})" if worst else "")


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", help="PostGIS DSN (default: the local cluster of GRIDMAP_VAR_DIR)")
    ap.add_argument("--tipg-python", default="/work/team/tipg-venv/bin/python")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", default="1,8,32")
    args = ap.parse_args()
    dsn = args.dsn
    if not dsn:
        from gis.db import resolve_url
        from gis.settings import get_settings

        dsn = resolve_url(get_settings(), start=False)
    concs = [int(c) for c in args.concurrency.split(",")]
    tiles = make_tiles(dsn)
    bboxes = make_bboxes(dsn)
    rows: list[tuple[str, str, int, Run]] = []
    out = print

    for layer in ("grids", "incidents"):
        r = floor(dsn, layer, tiles)
        rows.append(("raw SQL floor (2 procs)", layer, 2, r))
        out(f"floor {layer}: {r.rate:.0f}/s")

    gm_env = {"GRIDMAP_DATABASE_URL": dsn, "GRIDMAP_ENV": "demo", "GRIDMAP_LOG_LEVEL": "WARNING"}
    tipg_env = {"DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]'}
    gm_paths: dict[str, Callable[[int, int, int], str]] = {
        "grids": lambda z, x, y: f"/tiles/grids/{z}/{x}/{y}.pbf",
        "incidents": lambda z, x, y: f"/tiles/incidents/{z}/{x}/{y}.pbf",
    }
    tipg_paths: dict[str, Callable[[int, int, int], str]] = {
        "grids": lambda z, x, y: (
            f"/collections/public.grids/tiles/WebMercatorQuad/{z}/{x}/{y}"
            "?properties=code,name,households"
        ),
        "incidents": lambda z, x, y: (
            f"/collections/public.cases/tiles/WebMercatorQuad/{z}/{x}/{y}"
            "?properties=category_code,state"
        ),
    }
    gm_items = [f"/ogc/collections/incidents/items?bbox={b}&limit=1000" for b in bboxes]
    tipg_items = [f"/collections/public.cases/items?bbox={b}&limit=1000" for b in bboxes]
    completeness: dict[str, str] = {}

    def measure(name: str, server: Server, paths, headers, warm: bool) -> None:
        for layer, make in paths.items():
            urls = [make(*t) for t in tiles]
            if warm:
                fetch(server.port, urls, 8, headers)
            for c in concs:
                r = fetch(server.port, urls, c, headers)
                rows.append((name, layer, c, r))
                out(f"{name} {layer} c{c}: {r.rate:.0f}/s p95 {r.pct(0.95):.1f} ms err {r.errors}")
                if layer == "incidents" and c == concs[0] and not warm:
                    completeness[name] = incident_completeness(
                        dsn,
                        tiles,
                        r.bodies,
                        clustered=name.startswith("gridmap"),  # type: ignore[attr-defined]
                    )

    def items(name: str, server: Server, urls: list[str], headers) -> None:
        for c in (1, 8):
            r = fetch(server.port, urls, c, headers)
            rows.append((name, "items", c, r))
            out(f"{name} items c{c}: {r.rate:.1f} pages/s")

    gm_cold = Server(
        sys.executable, "api.asgi:app", {**gm_env, "GRIDMAP_TILE_CACHE_MB": "0"}, args.workers
    )
    try:
        gm_cold.wait("/healthz")
        measure("gridmap cold", gm_cold, gm_paths, COMMANDER, warm=False)
        items("gridmap", gm_cold, gm_items, COMMANDER)
    finally:
        gm_cold.stop()
    gm_warm = Server(sys.executable, "api.asgi:app", gm_env, args.workers)
    try:
        gm_warm.wait("/healthz")
        measure("gridmap warm", gm_warm, gm_paths, COMMANDER, warm=True)
    finally:
        gm_warm.stop()
    tipg = Server(args.tipg_python, "tipg.main:app", tipg_env, args.workers)
    try:
        tipg.wait("/collections")
        measure("tipg 1.6", tipg, tipg_paths, {}, warm=False)
        items("tipg 1.6", tipg, tipg_items, {})
    finally:
        tipg.stop()
    report(rows, completeness, tiles)


def report(rows: list[tuple[str, str, int, Run]], completeness: dict[str, str], tiles) -> None:
    base = {(layer, c): r.rate for name, layer, c, r in rows if name.startswith("tipg")}
    print()
    print("| server | what | conc | req/s | × tipg | p50 ms | p95 ms | max size KB | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, layer, c, r in rows:
        ratio = r.rate / base[(layer, c)] if base.get((layer, c)) else None
        if name.startswith("raw") and base.get((layer, 8)):
            ratio = r.rate / base[(layer, 8)]
        print(
            f"| {name} | {layer} | {c} | {r.rate:.1f} | {f'{ratio:.1f}×' if ratio else '—'} | "
            f"{r.pct(0.5):.1f} | {r.pct(0.95):.1f} | {max(r.sizes or [0]) / 1024:.0f} | {r.errors} |"
        )
    print()
    for name, text in completeness.items():
        print(f"incident tiles, {name}: {text}")
    for name, layer, c, r in rows:
        if layer == "incidents" and c == 8 and hasattr(r, "by_index"):
            sub = sorted(t for (z, _, _), t in zip(tiles, r.by_index, strict=True) if 12 <= z <= 15)
            p95 = sub[min(len(sub) - 1, int(0.95 * len(sub)))] * 1000 if sub else 0.0
            print(
                f"incident tiles z12–15 at concurrency 8, {name}: p95 {p95:.1f} ms ({len(sub)} tiles)"
            )


if __name__ == "__main__":
    main()
