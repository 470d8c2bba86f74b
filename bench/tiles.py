"""Tile and items benchmark: raw SQL floor, gridmap cold and warm, tipg — one table, with ratios.

Run by hand (not a test), on an otherwise idle machine, against a database holding the demo data
with 1,000,000 incidents::

    export GRIDMAP_VAR_DIR=var-bench
    gridmap db start && gridmap db migrate
    gridmap demo load --incidents 1000000            # once
    python3 -m venv .venv-tipg && .venv-tipg/bin/pip install tipg==1.6.1
    .venv/bin/python bench/tiles.py

A fixed list of 300 tiles z8–16 (weighted like a map session, 75 % centred where incidents
are) is fetched from each server for each layer at concurrency 1, 8 and 32 over keep-alive
connections; 40 boxes of about 1.8 km give the feature pages (``limit=1000``). gridmap runs
as ``gridmap serve --workers N`` (one listening socket with TCP_NODELAY); tipg 1.6.1 runs with
the same number of uvicorn workers on the same tables. gridmap's caller is a commander (all
rows, personal fields), named by the test-mode headers because benchmark databases may predate
the accounts tables. "Cold" is a gridmap server with its tile cache switched off (every tile
built), "warm" a second one whose cache was filled by one pass first. The three servers run
side by side and take turns: each cell of the table is the median of ``--rounds`` passes, the
servers' order rotating from round to round, so that a change in the machine's load falls on
all of them alike. The floor runs gridmap's own tile statements (prepared, as gridmap prepares
them) through psycopg2 in two processes, without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from layers.mvt import tile_of  # noqa: E402

ZOOM_WEIGHTS = {8: 2, 9: 3, 10: 5, 11: 8, 12: 12, 13: 15, 14: 20, 15: 20, 16: 15}
LEDU = (102.0993, 36.2055, 102.7932, 36.8524)
LAYERS = ("grids", "communities", "facilities", "incidents")
# tipg: the same tables and (as far as they are columns) the same properties
TIPG_TILE = {
    "grids": "public.grids/tiles/WebMercatorQuad/{z}/{x}/{y}?properties=code,name,households",
    "communities": (
        "public.admin_units/tiles/WebMercatorQuad/{z}/{x}/{y}"
        "?level=5&properties=code,name,households"
    ),
    "facilities": (
        "public.facilities/tiles/WebMercatorQuad/{z}/{x}/{y}"
        "?geom-column=geom&properties=kind,name,status"
    ),
    "incidents": "public.cases/tiles/WebMercatorQuad/{z}/{x}/{y}?properties=category_code,state",
}
MAX_TILE = 500 * 1024
COMMANDER = {"X-Gridmap-User": "bench", "X-Gridmap-Role": "commander"}


@dataclass
class Run:
    """One measured pass: throughput, latencies and sizes (in request order)."""

    n: int
    seconds: float
    latencies: list[float]
    sizes: list[int] = field(default_factory=list)
    errors: int = 0
    bodies: list[bytes] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def pct(self, q: float, subset: list[int] | None = None) -> float:
        xs = sorted(self.latencies[i] for i in subset) if subset else sorted(self.latencies)
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
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        if k.lower() == "content-length":
            length = int(v)
        elif k.lower() == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
    if not chunked:
        return status, (await reader.readexactly(length)) if length else b""
    body = b""
    while True:
        size = int((await reader.readline()).strip(), 16)
        if size == 0:
            await reader.readline()
            return status, body
        body += await reader.readexactly(size)
        await reader.readline()


async def _fetch(port: int, paths: list[str], conc: int, headers: dict[str, str]) -> Run:
    lat = [0.0] * len(paths)
    sizes = [0] * len(paths)
    bodies = [b""] * len(paths)
    errors = 0
    it = iter(range(len(paths)))

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in it:
            t = time.perf_counter()
            status, body = await _get(reader, writer, paths[i], headers)
            lat[i] = time.perf_counter() - t
            sizes[i], bodies[i] = len(body), body
            errors += status >= 400
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return Run(len(paths), time.perf_counter() - t0, lat, sizes, errors, bodies)


def fetch(port: int, paths: list[str], conc: int, headers: dict[str, str] | None = None) -> Run:
    return asyncio.run(_fetch(port, paths, conc, headers or {}))


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A server process (group); ``wait`` until it answers, ``stop`` ends it."""

    def __init__(self, cmd: list[str], env: dict[str, str], port: int, pass_fds=()) -> None:
        self.port = port
        self.log = open(f"/tmp/bench-tiles-{port}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd,
            env={**os.environ, **env},
            cwd=ROOT,
            pass_fds=pass_fds,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, path: str) -> None:
        for _ in range(900):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log.name}")
            try:
                if fetch(self.port, [path], 1).errors == 0:
                    return
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server on {self.port} did not answer {path}")

    def stop(self) -> None:
        os.killpg(self.proc.pid, 15)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        self.log.close()


def gridmap_server(dsn: str, workers: int, cache_mb: int, secret: str) -> Server:
    port = free_port()
    env = {
        "GRIDMAP_DATABASE_URL": dsn,
        "GRIDMAP_ENV": "test",  # the caller by header: benchmark databases may lack accounts
        "GRIDMAP_SECRET_KEY": secret,
        "GRIDMAP_LOG_LEVEL": "WARNING",
        "GRIDMAP_TILE_CACHE_MB": str(cache_mb),
    }
    cmd = [sys.executable, "-m", "gis.cli.main", "serve", "--workers", str(workers)]
    return Server([*cmd, "--port", str(port)], env, port)


def tipg_server(dsn: str, python: str, workers: int) -> Server:
    """tipg with ``workers`` uvicorn processes on one socket (TCP_NODELAY on the listener)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    fd = sock.fileno()
    os.set_inheritable(fd, True)
    env = {"DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]'}
    cmd = [
        python,
        "-m",
        "uvicorn",
        "tipg.main:app",
        "--fd",
        str(fd),
        "--workers",
        str(workers),
    ]
    server = Server([*cmd, "--log-level", "warning", "--no-access-log"], env, 0, (fd,))
    server.port = sock.getsockname()[1]
    server.sock = sock  # type: ignore[attr-defined]
    return server


def latency_check(dsn: str, requests: int = 300) -> None:
    """Keep-alive latency at concurrency 1 with 1 and 2 workers (DESIGN §6): ``gridmap serve``
    on both event loops, and uvicorn's own ``--workers 2`` on the asyncio loop for contrast."""
    env = {
        "GRIDMAP_DATABASE_URL": dsn,
        "GRIDMAP_ENV": "test",
        "GRIDMAP_LOG_LEVEL": "WARNING",
    }
    serve = [sys.executable, "-m", "gis.cli.main", "serve"]
    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.asgi:app",
        "--log-level",
        "warning",
    ]
    cases = [
        (
            f"gridmap serve --workers {w} --loop {loop}",
            [*serve, "--workers", str(w), "--loop", loop],
        )
        for loop in ("asyncio", "auto")
        for w in (1, 2)
    ]
    cases.append(
        (
            "uvicorn --workers 2 --loop asyncio",
            [*uvicorn, "--workers", "2", "--loop", "asyncio"],
        )
    )
    print("| server | c1 p50 ms | c1 p95 ms |")
    print("|---|---:|---:|")
    for label, cmd in cases:
        port = free_port()
        server = Server([*cmd, "--port", str(port)], env, port)
        try:
            server.wait("/ogc/conformance")
            fetch(port, ["/ogc/conformance"] * 20, 1)
            r = fetch(port, ["/ogc/conformance"] * requests, 1)
            print(f"| {label} | {r.pct(0.5):.1f} | {r.pct(0.95):.1f} |")
        finally:
            server.stop()


# ---------------------------------------------------------------- raw SQL floor

_conn = None


_ready: set[str] = set()  # statements this floor process has prepared


def _floor_init(dsn: str) -> None:
    global _conn
    _conn = psycopg2.connect(dsn)
    _conn.autocommit = True


def _floor_one(args: tuple[str, int, int, int]) -> tuple[float, int]:
    import layers.catalog  # noqa: F401  (registers the specs)
    from layers import registry
    from layers.mvt import prepared, tile_statement

    layer, z, x, y = args
    sql, params = tile_statement([registry.get(layer)], z=z, x=x, y=y, personal=True)
    statement = prepared(sql, params)  # prepared once per connection, as gridmap does
    t = time.perf_counter()
    with _conn.cursor() as cur:  # type: ignore[union-attr]
        if isinstance(statement, str):
            cur.execute(statement, params)
        elif statement.name in _ready:
            cur.execute(statement.execute, params)
        else:
            cur.execute(statement.prepare_and_execute, params)
            _ready.add(statement.name)
        data = cur.fetchone()[1]
    return time.perf_counter() - t, len(data or b"")


def floor(dsn: str, layer: str, tiles: list[tuple[int, int, int]], procs: int = 2) -> Run:
    with Pool(procs, initializer=_floor_init, initargs=(dsn,)) as pool:
        pool.map(_floor_one, [(layer, *t) for t in tiles[:8]])  # imports, catalog caches
        t0 = time.perf_counter()
        res = pool.map(_floor_one, [(layer, *t) for t in tiles], chunksize=4)
        secs = time.perf_counter() - t0
    return Run(len(tiles), secs, [r[0] for r in res], [r[1] for r in res])


# ---------------------------------------------------------------- completeness


def points_per_tile(dsn: str, tiles: list[tuple[int, int, int]]) -> list[int]:
    """Incidents (not cancelled or merged) in each tile, counted in numpy from all points."""
    import numpy as np

    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ST_X(ST_Transform(geom, 3857)), ST_Y(ST_Transform(geom, 3857)) FROM cases "
            "WHERE state NOT IN ('cancelled', 'merged')"
        )
        xy = np.array(cur.fetchall(), dtype=float)
    half = 20037508.342789244
    out = []
    for z, x, y in tiles:
        size = 2 * half / (1 << z)
        x0, y1 = -half + x * size, half - y * size
        inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x0 + size)
        inside &= (xy[:, 1] >= y1 - size) & (xy[:, 1] <= y1)
        out.append(int(inside.sum()))
    return out


def counted(body: bytes) -> int:
    """Points a tile accounts for inside its extent: clusters by their count, points as 1."""
    import mapbox_vector_tile

    got = 0
    for layer in mapbox_vector_tile.decode(body).values() if body else []:
        for f in layer["features"]:
            px, py = f["geometry"]["coordinates"]
            if 0 <= px <= 4096 and 0 <= py <= 4096:
                got += int(f["properties"].get("count", 1))
    return got


def completeness(want: list[int], bodies: list[bytes], tiles) -> tuple[int, str]:
    short, worst = 0, ""
    for (z, _, _), n, body in zip(tiles, want, bodies, strict=True):
        got = counted(body)
        if got < n:
            short += 1
            worst = worst or f"z{z}: {got:,} of {n:,}"
    return len(tiles) - short, worst


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--dsn", help="PostGIS DSN (default: the local cluster of GRIDMAP_VAR_DIR)")
    ap.add_argument("--tipg-python", default=".venv-tipg/bin/python")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--layers", default=",".join(LAYERS))
    ap.add_argument("--rounds", type=int, default=3, help="passes per server and cell (median)")
    ap.add_argument(
        "--latency",
        action="store_true",
        help="only the c1 latency check, 1 vs 2 workers",
    )
    args = ap.parse_args()
    dsn = args.dsn
    if not dsn:
        from gis.db import resolve_url
        from gis.settings import get_settings

        dsn = resolve_url(get_settings(), start=False)
    if args.latency:
        print(f"load average: {os.getloadavg()}")
        latency_check(dsn)
        print(f"load average: {os.getloadavg()}")
        return
    started = time.time()
    print(f"load average at start: {os.getloadavg()}")
    concs = [int(c) for c in args.concurrency.split(",")]
    layers = [s for s in args.layers.split(",") if s]
    tiles = make_tiles(dsn)
    bboxes = make_bboxes(dsn)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM grids WHERE valid_to IS "
            "NULL), (SELECT count(*) FROM admin_units WHERE level = 5 AND valid_to IS NULL), "
            "(SELECT count(*) FROM facilities)"
        )
        n_cases, n_grids, n_comm, n_fac = cur.fetchone()
    print(
        f"data: {n_cases:,} incidents, {n_grids:,} grids, {n_comm:,} communities, "
        f"{n_fac:,} facilities; {len(tiles)} tiles z8–16, {len(bboxes)} item boxes"
    )
    rows: dict[tuple[str, str, int], Run] = {}
    secret = secrets.token_urlsafe(32)

    def gm_url(layer: str, z: int, x: int, y: int) -> str:
        return f"/tiles/{layer}/{z}/{x}/{y}.pbf"

    tp_url: Callable[..., str] = lambda layer, z, x, y: (  # noqa: E731
        "/collections/" + TIPG_TILE[layer].format(z=z, x=x, y=y)
    )
    gm_items = [f"/ogc/collections/incidents/items?bbox={b}&limit=1000" for b in bboxes]
    tp_items = [f"/collections/public.cases/items?bbox={b}&limit=1000" for b in bboxes]

    for layer in layers:
        r = floor(dsn, layer, tiles)
        rows[("floor", layer, 0)] = r
        print(f"floor {layer}: {r.rate:.0f} tiles/s")

    def show(name: str, what: str, c: int, r: Run) -> None:
        unit = "pages" if what == "items" else "tiles"
        print(
            f"{name} {what} c{c}: {r.rate:.1f} {unit}/s p50 {r.pct(0.5):.1f} "
            f"p95 {r.pct(0.95):.1f} ms, max {max(r.sizes) / 1024:.0f} KB, err {r.errors}",
            flush=True,
        )

    def rounds(what: str, c: int, passes: dict[str, tuple[Server, list[str], dict]]) -> None:
        """``--rounds`` passes of each server in turn (the order rotating), so that a change
        in the machine's load falls on all of them; each cell keeps its median round."""
        runs: dict[str, list[Run]] = {name: [] for name in passes}
        names = list(passes)
        for i in range(args.rounds):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                server, paths, headers = passes[name]
                runs[name].append(fetch(server.port, paths, c, headers))
        for name, got in runs.items():
            r = sorted(got, key=lambda r: r.rate)[len(got) // 2]
            rows[(name, what, c)] = r
            show(name, what, c, r)

    cold = gridmap_server(dsn, args.workers, 0, secret)
    warm = gridmap_server(dsn, args.workers, 256, secret)
    tipg = tipg_server(dsn, args.tipg_python, args.workers)
    try:
        for server, path in ((cold, "/healthz"), (warm, "/healthz"), (tipg, "/collections")):
            server.wait(path)
        for layer in layers:
            gm = [gm_url(layer, *t) for t in tiles]
            tp = [tp_url(layer, *t) for t in tiles]
            fetch(warm.port, gm, 8, COMMANDER)  # fill the cache
            fetch(cold.port, gm[:40], 8, COMMANDER)  # open and warm the connections
            fetch(tipg.port, tp[:40], 8, {})
            for c in concs:
                rounds(
                    layer,
                    c,
                    {
                        "gridmap cold": (cold, gm, COMMANDER),
                        "gridmap warm": (warm, gm, COMMANDER),
                        "tipg": (tipg, tp, {}),
                    },
                )
        fetch(cold.port, gm_items[:4], 1, COMMANDER)
        fetch(tipg.port, tp_items[:4], 1, {})
        for c in (1, 8):
            rounds(
                "items", c, {"gridmap": (cold, gm_items, COMMANDER), "tipg": (tipg, tp_items, {})}
            )
    finally:
        for server in (cold, warm, tipg):
            server.stop()
        tipg.sock.close()  # type: ignore[attr-defined]
    loads = os.getloadavg()
    report(rows, tiles, dsn, concs, layers, time.time() - started, loads)


def _cell(r: Run | None) -> str:
    return f"{r.rate:.1f} ({r.pct(0.5):.0f}/{r.pct(0.95):.0f})" if r else "—"


def _ratio(a: Run | None, b: Run | None) -> float | None:
    return a.rate / b.rate if a and b and b.rate else None


def _x(v: float | None) -> str:
    return f"{v:.1f}×" if v is not None else "—"


def report(rows, tiles, dsn: str, concs, layers, seconds: float, loads) -> None:
    """One table, then one line per target."""
    print()
    print(
        "| layer | conc | raw SQL floor /s | gridmap cold /s (p50/p95 ms) | gridmap warm /s "
        "(p50/p95 ms) | tipg 1.6.1 /s (p50/p95 ms) | cold ÷ tipg | warm ÷ tipg | max KB "
        "gridmap / tipg |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for layer in layers:
        for c in concs:
            fl = rows.get(("floor", layer, 0))
            cold, warm, tp = (
                rows.get((n, layer, c)) for n in ("gridmap cold", "gridmap warm", "tipg")
            )
            gm_max = max(max(r.sizes) for r in (cold, warm) if r) / 1024
            tp_max = max(tp.sizes) / 1024 if tp else 0
            print(
                f"| {layer} | {c} | {fl.rate:.0f} | {_cell(cold)} | {_cell(warm)} | {_cell(tp)} | "
                f"{_x(_ratio(cold, tp))} | {_x(_ratio(warm, tp))} | {gm_max:.0f} / {tp_max:.0f} |"
            )
    for c in (1, 8):
        gm, tp = rows.get(("gridmap", "items", c)), rows.get(("tipg", "items", c))
        print(
            f"| items (limit=1000, bbox) pages | {c} | — | {_cell(gm)} | — | {_cell(tp)} | "
            f"{_x(_ratio(gm, tp))} | — | {max(gm.sizes) / 1024:.0f} / {max(tp.sizes) / 1024:.0f} |"
        )
    print()
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    for layer in ("grids", "communities", "facilities"):
        if layer in layers:
            r = _ratio(rows.get(("gridmap cold", layer, 8)), rows.get(("tipg", layer, 8)))
            print(f"target {layer} tiles cold ≥ 2× tipg at c8: {_x(r)} — {verdict((r or 0) >= 2)}")
    if "incidents" in layers:
        want = points_per_tile(dsn, tiles)
        first = concs[0]
        gm_ok, gm_worst = completeness(
            want, rows[("gridmap cold", "incidents", first)].bodies, tiles
        )
        tp_ok, tp_worst = completeness(want, rows[("tipg", "incidents", first)].bodies, tiles)
        print(
            f"target incident tiles complete: gridmap {gm_ok}/{len(tiles)} tiles count every "
            f"point{f' (short: {gm_worst})' if gm_worst else ''}; tipg {tp_ok}/{len(tiles)}"
            f"{f' (cut, e.g. {tp_worst})' if tp_worst else ''} — {verdict(gm_ok == len(tiles))}"
        )
        r = _ratio(
            rows.get(("gridmap cold", "incidents", 8)),
            rows.get(("tipg", "incidents", 8)),
        )
        print(f"target incident tiles cold ≥ 2× tipg at c8: {_x(r)} — {verdict((r or 0) >= 2)}")
        cold8 = rows.get(("gridmap cold", "incidents", 8))
        if cold8:
            sub = [i for i, (z, _, _) in enumerate(tiles) if 12 <= z <= 15]
            p95 = cold8.pct(0.95, sub)
            print(
                f"target incident tiles p95 z12–15 at c8 < 100 ms (cold): {p95:.0f} ms over "
                f"{len(sub)} tiles — {verdict(p95 < 100)}"
            )
    biggest = max(
        max(r.sizes)
        for (n, lay, _), r in rows.items()
        if n.startswith("gridmap") and lay != "items"
    )
    print(
        f"target no gridmap tile over 500 KB: largest {biggest / 1024:.0f} KB — "
        f"{verdict(biggest <= MAX_TILE)}"
    )
    for layer in layers:
        r = _ratio(rows.get(("gridmap warm", layer, 8)), rows.get(("tipg", layer, 8)))
        print(f"target {layer} tiles warm ≥ 10× tipg at c8: {_x(r)} — {verdict((r or 0) >= 10)}")
    r = _ratio(rows.get(("gridmap", "items", 8)), rows.get(("tipg", "items", 8)))
    print(f"target items pages ≥ 1.5× tipg at c8: {_x(r)} — {verdict((r or 0) >= 1.5)}")
    print(f"\nrun took {seconds:.0f} s; load average at the end: {loads}")


if __name__ == "__main__":
    main()
