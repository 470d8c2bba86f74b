"""Benchmark: point locate — SQL, in-process function, and over HTTP; single and batch.

Run by hand against a loaded database (the figures belong in the issue note):

    GRIDMAP_VAR_DIR=/work/team/analysis-var .venv/bin/python bench/locate.py

It starts ``gridmap serve`` (one worker) on a free port for the HTTP figures and stops it.
Points are dwellings of the demo data with ~60 m of jitter (where people report from).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
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
from gis.settings import get_settings  # noqa: E402
from gis.spatial.locate import LOCATE_SQL, locate, locate_many  # noqa: E402

HEADERS = {"X-Gridmap-User": "bench", "X-Gridmap-Role": "commander"}


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--single", type=int, default=2000, help="single-point lookups per method")
    ap.add_argument("--batch", type=int, default=10_000, help="points per batch request")
    ap.add_argument("--batches", type=int, default=5, help="batch requests")
    ap.add_argument("--no-http", action="store_true")
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
        port = free_port()
        env = {**os.environ, "GRIDMAP_DATABASE_URL": url, "GRIDMAP_LOG_LEVEL": "WARNING"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gis.cli.main", "serve", "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(base, proc)
            with httpx.Client(base_url=base, headers=HEADERS, timeout=30) as client:
                for x, y in pts[:50]:  # warm up
                    client.get("/api/v1/locate", params={"lon": float(x), "lat": float(y)})
                h_ms = []
                for x, y in pts[: args.single]:
                    t = time.perf_counter()
                    client.get("/api/v1/locate", params={"lon": float(x), "lat": float(y)})
                    h_ms.append((time.perf_counter() - t) * 1000)
                rows.append(("GET /api/v1/locate over HTTP (keep-alive), ms", pct(h_ms)))
                hb = []
                for i in range(args.batches):
                    chunk = pts[: args.batch] if i == 0 else points(engine, args.batch, seed=i + 10)
                    body = {"points": chunk.tolist()}
                    t = time.perf_counter()
                    r = client.post("/api/v1/locate", json=body)
                    hb.append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
                rows.append(
                    (
                        f"POST /api/v1/locate {args.batch} points over HTTP, ms",
                        f"median {statistics.median(hb):8.1f}  max {max(hb):8.1f}  "
                        f"({len(r.content) / 1e6:.1f} MB answer)",
                    )
                )
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    engine.dispose()
    width = max(len(a) for a, _ in rows)
    print()
    for a, b in rows:
        print(f"{a:<{width}}  {b}")


if __name__ == "__main__":
    main()
