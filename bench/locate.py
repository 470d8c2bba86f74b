"""Benchmark: point locate — SQL, in-process function, and over HTTP; single and batch.

Run by hand against a loaded database (the figures belong in the issue note):

    GRIDMAP_VAR_DIR=var-bench .venv/bin/python bench/locate.py

It starts ``gridmap serve`` (``--workers``, default one) on a free port for the HTTP figures and
stops it. The server runs with ``GRIDMAP_ENV=test`` (the development headers stand in for
sign-in) and its access log goes to a temporary file: the "server-side" rows are the
``duration_ms`` the app itself logged for each request (all middleware included, the network
and the client not). Points are dwellings of the demo data with ~60 m of jitter (where people
report from).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.cluster import free_port  # noqa: E402
from gis.db import make_engine, resolve_url  # noqa: E402
from gis.errors import GridmapError  # noqa: E402
from gis.pg import AsyncPool, dsn_of  # noqa: E402
from gis.settings import get_settings  # noqa: E402
from gis.spatial.locate import LOCATE_SQL, locate, locate_many  # noqa: E402
from gis.spatial.lookup import locate_point_async  # noqa: E402

HEADERS = {"X-Gridmap-User": "bench", "X-Gridmap-Role": "commander"}
#: A public route with no database work: the cost of the HTTP stack alone.
CONVERT = {"x": 102.4, "y": 36.48, "from": "wgs84", "to": "gcj02"}


def points(engine: sa.Engine, n: int, seed: int = 1) -> np.ndarray:
    with engine.connect() as conn:
        xy = np.array(conn.execute(sa.text("SELECT ST_X(geom), ST_Y(geom) FROM residences")).all())
    rng = np.random.default_rng(seed)
    pick = xy[rng.integers(0, len(xy), n)]
    return pick + rng.normal(0, 1, pick.shape) * [0.0007, 0.00055]


def pct(ms: list[float]) -> str:
    a = np.asarray(ms)
    return (
        f"p50 {np.percentile(a, 50):7.3f}  p95 {np.percentile(a, 95):7.3f}  "
        f"p99 {np.percentile(a, 99):7.3f}  mean {a.mean():7.3f}"
    )


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


def access_log(path: Path, method: str, route: str) -> list[float]:
    """``duration_ms`` of each logged request to ``route`` (the server's own measure)."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            rec = json.loads(line)
            if rec.get("route") == route and rec.get("method") == method:
                out.append(float(rec["duration_ms"]))
    return out


def http_rows(
    args: argparse.Namespace, url: str, engine: sa.Engine, pts: np.ndarray
) -> list[tuple[str, str]]:
    """Single and batch locate over HTTP: client-side and server-side (access log) times."""
    rows: list[tuple[str, str]] = []
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="gridmap-locate-bench-", suffix=".log")[1])
    env = {
        **os.environ,
        "GRIDMAP_DATABASE_URL": url,
        "GRIDMAP_ENV": "test",
        "GRIDMAP_LOG_LEVEL": "INFO",
        "GRIDMAP_LOG_JSON": "true",
    }
    cmd = [sys.executable, "-m", "gis.cli.main", "serve", "--port", str(port)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*cmd, "--workers", str(args.workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base, proc)
        with httpx.Client(base_url=base, headers=HEADERS, timeout=60) as client:
            for x, y in pts[:50]:  # warm up
                client.get("/api/v1/locate", params={"lon": float(x), "lat": float(y)})
            skip = len(access_log(log_path, "GET", "/api/v1/locate"))
            h_ms, w_ms = [], []
            for x, y in pts[: args.single]:
                t = time.perf_counter()
                r = client.get("/api/v1/locate", params={"lon": float(x), "lat": float(y)})
                h_ms.append((time.perf_counter() - t) * 1000)
                timing = r.headers.get("server-timing", "")
                if "dur=" in timing:
                    w_ms.append(float(timing.split("dur=")[1].split(",")[0]))
            rows.append(("GET /api/v1/locate client-side (keep-alive), ms", pct(h_ms)))
            time.sleep(0.5)  # let the log flush
            s_ms = access_log(log_path, "GET", "/api/v1/locate")[skip:]
            rows.append(
                (f"GET /api/v1/locate server-side (access log, n={len(s_ms)}), ms", pct(s_ms))
            )
            if w_ms:
                rows.append(("GET /api/v1/locate lookup work (Server-Timing), ms", pct(w_ms)))
            for _ in range(50):
                client.get("/api/v1/convert", params=CONVERT)
            skip = len(access_log(log_path, "GET", "/api/v1/convert"))
            for _ in range(args.single):
                client.get("/api/v1/convert", params=CONVERT)
            time.sleep(0.5)
            c_ms = access_log(log_path, "GET", "/api/v1/convert")[skip:]
            rows.append(("GET /api/v1/convert server-side (no database: the floor), ms", pct(c_ms)))
            client.post("/api/v1/locate", json={"points": pts[:100].tolist()})  # warm up
            hb, enc, size = [], [], 0
            for i in range(args.batches):
                chunk = pts[: args.batch] if i == 0 else points(engine, args.batch, seed=i + 10)
                t = time.perf_counter()
                body = json.dumps({"points": chunk.tolist()}).encode()
                enc.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                r = client.post(
                    "/api/v1/locate", content=body, headers={"content-type": "application/json"}
                )
                r.raise_for_status()
                r.json()
                hb.append((time.perf_counter() - t) * 1000)
                size = len(r.content)
            time.sleep(0.5)
            sb = access_log(log_path, "POST", "/api/v1/locate")[1:]
            rows.append(
                (
                    f"POST /api/v1/locate {args.batch} points end to end (answer parsed), ms",
                    f"median {statistics.median(hb):8.1f}  max {max(hb):8.1f}  "
                    f"({len(body) / 1e6:.2f} MB request, {size / 1e6:.2f} MB answer; "
                    f"client JSON encode {statistics.median(enc):.0f} ms not counted)",
                )
            )
            if sb:
                rows.append(
                    (
                        f"POST /api/v1/locate {args.batch} points server-side, ms",
                        f"median {statistics.median(sb):8.1f}  max {max(sb):8.1f}",
                    )
                )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log_path.unlink(missing_ok=True)
    return rows


async def async_lookups(engine: sa.Engine, pts: np.ndarray) -> list[float]:
    """The single-point lookup as the route runs it: one pooled asynchronous connection."""
    pool = AsyncPool(dsn_of(engine.url), idle=1, limit=1, application_name="gridmap-bench")
    out = []
    try:
        for x, y in pts:
            t = time.perf_counter()
            with contextlib.suppress(GridmapError):
                await locate_point_async(
                    pool=pool, lon=float(x), lat=float(y), crs="wgs84", personal=True
                )
            out.append((time.perf_counter() - t) * 1000)
    finally:
        pool.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--single", type=int, default=2000, help="single-point lookups per method")
    ap.add_argument("--batch", type=int, default=10_000, help="points per batch request")
    ap.add_argument("--batches", type=int, default=5, help="batch requests")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    args = ap.parse_args()
    url = args.database_url or resolve_url(get_settings(), start=False)
    engine = make_engine(url, pool_size=2)
    with engine.connect() as conn:
        counts = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM grids "
                "WHERE valid_to IS NULL), (SELECT count(*) FROM spatial_lookup)"
            )
        ).one()
    print(f"cases {counts[0]:,}   current grids {counts[1]}   lookup pieces {counts[2]}")
    pts = points(engine, max(args.single, args.batch))
    rows: list[tuple[str, str]] = []

    with engine.connect() as conn:
        sql_ms = []
        for x, y in pts[: args.single]:
            plan = conn.execute(
                sa.text("EXPLAIN (ANALYZE, FORMAT JSON) " + str(LOCATE_SQL)),
                {"lon": float(x), "lat": float(y)},
            ).scalar_one()
            sql_ms.append(plan[0]["Execution Time"])
        rows.append(("SQL execution (EXPLAIN ANALYZE), ms", pct(sql_ms)))
        fn_ms = []
        for x, y in pts[: args.single]:
            t = time.perf_counter()
            with contextlib.suppress(GridmapError):  # a jittered point can fall outside
                locate(conn, lon=float(x), lat=float(y))
            fn_ms.append((time.perf_counter() - t) * 1000)
        rows.append(("locate() in-process incl. round trip, ms", pct(fn_ms)))
        rows.append(
            (
                "locate_point_async() in-process (event loop, as GET /locate), ms",
                pct(asyncio.run(async_lookups(engine, pts[: args.single]))),
            )
        )
        b_ms = []
        for i in range(args.batches):
            chunk = pts[: args.batch] if i == 0 else points(engine, args.batch, seed=i + 10)
            t = time.perf_counter()
            out = locate_many(conn, points=chunk.tolist())
            b_ms.append((time.perf_counter() - t) * 1000)
        found = sum(1 for r in out if not isinstance(r, Exception))
        rows.append(
            (
                f"locate_many({args.batch}) in-process, ms",
                f"median {statistics.median(b_ms):8.1f}  max {max(b_ms):8.1f}  ({found} found)",
            )
        )

    if not args.no_http:
        rows += http_rows(args, url, engine, pts)
    engine.dispose()
    print("load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    width = max(len(a) for a, _ in rows)
    print()
    for a, b in rows:
        print(f"{a:<{width}}  {b}")


if __name__ == "__main__":
    main()
