"""Case-intake benchmark: sustained ingest rate and latency, and a durability run.

Run by hand (not a test). It starts its own API server(s) against the database of
``GRIDMAP_VAR_DIR`` (or ``DATABASE_URL``) and prints a table.

    GRIDMAP_VAR_DIR=var-bench python bench/ingest.py rate --seconds 60
    GRIDMAP_VAR_DIR=var-bench python bench/ingest.py durability --reports 10000

``rate``: reports (each located, assigned, numbered, with history and NOTIFY) sent by
``--concurrency`` keep-alive connections for ``--seconds``; prints rate and percentiles.
``durability``: ``--reports`` reports with client ids sent with retries while PostgreSQL is
restarted in the middle; then checks that exactly that many cases exist, none twice.

The client is a minimal HTTP/1.1 keep-alive client on asyncio streams so that it takes as
little of the (shared) CPU as possible.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gis.cluster import LocalCluster, free_port  # noqa: E402
from gis.db import make_engine, resolve_url  # noqa: E402
from gis.settings import get_settings  # noqa: E402

HEADERS = {"X-Gridmap-User": "bench", "X-Gridmap-Role": "field_staff"}
BENCH_TEXT = "压测上报 (benchmark report)"


class Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Content-Type: application/json\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
            + f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            if k.lower() == "content-length":
                length = int(v)
            elif k.lower() == "connection" and v.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data


def _sample(url: str, n: int = 4000) -> tuple[list[tuple[float, float]], list[str]]:
    eng = make_engine(url, pool_size=1)
    with eng.connect() as conn:
        # dwellings scattered by up to ~20 m, kept only where a grid covers them (a report
        # outside the district is refused, as it should be)
        pts = conn.execute(
            sa.text("""
                SELECT x, y FROM (
                    SELECT ST_X(geom) + (random() - 0.5) * 0.0004 AS x,
                           ST_Y(geom) + (random() - 0.5) * 0.0004 AS y
                    FROM residences ORDER BY random() LIMIT :n) s
                WHERE EXISTS (SELECT 1 FROM grids g WHERE g.valid_to IS NULL
                              AND ST_Intersects(g.geom, ST_SetSRID(ST_Point(x, y), 4326)))
            """),
            {"n": n},
        ).all()
        cats = (
            conn.execute(sa.text("SELECT code FROM categories WHERE level = 2 AND NOT sensitive"))
            .scalars()
            .all()
        )
    eng.dispose()
    return [(float(x), float(y)) for x, y in pts], list(cats)


def _body(pts: list[tuple[float, float]], cats: list[str], cid: str | None = None) -> bytes:
    x, y = random.choice(pts)
    return json.dumps(
        {
            "client_id": cid or str(uuid.uuid4()),
            "lon": x,
            "lat": y,
            "category": random.choice(cats),
            "description": BENCH_TEXT,
        }
    ).encode()


def start_servers(
    url: str, processes: int, workers: int
) -> tuple[list[subprocess.Popen], list[int]]:
    """``processes`` independent uvicorns (each ``workers`` workers) on free ports."""
    env = {**os.environ, "DATABASE_URL": url, "GRIDMAP_LOG_LEVEL": "WARNING"}
    procs, ports = [], []
    for _ in range(processes):
        port = free_port()
        cmd = [
            sys.executable, "-m", "uvicorn", "api.asgi:app", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--log-level", "warning",
            "--no-access-log",
        ]  # fmt: skip
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env))
        ports.append(port)
    try:
        for port in ports:
            _wait_http(port)
    except BaseException:
        stop_servers(procs)
        raise
    return procs, ports


def _wait_http(port: int, timeout: float = 240) -> None:
    import urllib.request

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server on {port} did not start")


def stop_servers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


def _tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and all its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick)
    keep, total, frontier = {root}, 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += stats.get(pid, (0, 0.0))[1]
        kids = [p for p, (pp, _) in stats.items() if pp == pid and p not in keep]
        keep.update(kids)
        frontier.extend(kids)
    return total


def _postmaster(settings_pg_dir: Path) -> int | None:
    pidfile = settings_pg_dir / "data" / "postmaster.pid"
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


async def run_rate(
    ports: list[int],
    pts,
    cats,
    concurrency: int,
    seconds: float,
    warmup: float,
    empty: bool = False,
):  # type: ignore[no-untyped-def]
    lat: list[float] = []
    statuses: dict[int | str, int] = {}
    t_start = time.monotonic()
    t_measure = t_start + warmup
    t_end = t_measure + seconds

    async def worker(i: int) -> None:
        conn = Conn("127.0.0.1", ports[i % len(ports)])
        while (now := time.monotonic()) < t_end:
            body = b"" if empty else _body(pts, cats)
            t0 = time.monotonic()
            try:
                status, _ = await conn.post("/api/v1/cases", body)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                status = type(exc).__name__  # type: ignore[assignment]
                await conn.close()
            t1 = time.monotonic()
            if t0 >= t_measure:
                lat.append(t1 - t0)
                statuses[status] = statuses.get(status, 0) + 1
            del now
        await conn.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return lat, statuses


async def run_durable(ports, pts, cats, concurrency: int, ids: list[str], restart_at: int, restart):  # type: ignore[no-untyped-def]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for cid in ids:
        queue.put_nowait(cid)
    done = {"ok": 0, "retries": 0, "created": 0, "replayed": 0}
    restarted = asyncio.Event()
    statuses: dict[int | str, int] = {}

    async def worker(i: int) -> None:
        conn = Conn("127.0.0.1", ports[i % len(ports)])
        while True:
            try:
                cid = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            body = _body(pts, cats, cid)  # the same body on every retry
            delay = 0.05
            while True:
                try:  # a phone gives up on a silent connection and resends on a new one
                    status, _ = await asyncio.wait_for(conn.post("/api/v1/cases", body), 30)
                except (
                    OSError,
                    ConnectionError,
                    asyncio.IncompleteReadError,
                    ValueError,
                    TimeoutError,
                ) as exc:
                    status = type(exc).__name__  # type: ignore[assignment]
                    await conn.close()
                statuses[status] = statuses.get(status, 0) + 1
                if status in (200, 201):
                    done["ok"] += 1
                    done["created" if status == 201 else "replayed"] += 1
                    break
                if isinstance(status, int) and 400 <= status < 500 and status not in (408, 429):
                    raise SystemExit(f"client error {status} for {cid}")
                done["retries"] += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            if done["ok"] >= restart_at and not restarted.is_set():
                restarted.set()
                asyncio.get_running_loop().run_in_executor(None, restart)
        await conn.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return done, statuses


def remove_bench_cases(eng: sa.Engine, batch: int = 20_000) -> int:
    """Delete the reports this benchmark stored (any run), a batch per transaction.

    Each run adds thousands of open cases within metres of the same sample points, all in
    the duplicate-suggestion window; left in place, every later run would meet a database
    that is less and less the loaded one. Their audit rows stay (the audit log is
    append-only).
    """
    removed = 0
    while True:
        with eng.begin() as conn:
            n = conn.execute(
                sa.text("""
                    WITH doomed AS (
                        SELECT id FROM cases
                         WHERE reported_by = :who AND description = :text LIMIT :batch
                    ), ev AS (
                        DELETE FROM case_events WHERE case_id IN (SELECT id FROM doomed)
                    )
                    DELETE FROM cases WHERE id IN (SELECT id FROM doomed)
                """),
                {"who": HEADERS["X-Gridmap-User"], "text": BENCH_TEXT, "batch": batch},
            ).rowcount
        removed += n
        if n < batch:
            return removed


def _run(work):  # type: ignore[no-untyped-def]
    """Run the client on uvloop (as the servers run): it shares the cores it measures."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=["rate", "durability", "latency1", "floor"])
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--processes", type=int, default=2, help="independent server processes")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn workers per process")
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep the benchmark's reports (by default they are removed afterwards, so that "
        "every run meets the database as it was loaded)",
    )
    args = ap.parse_args()

    settings = get_settings()
    url = resolve_url(settings)
    pts, cats = _sample(url)
    eng = make_engine(url, pool_size=1)
    with eng.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
    procs, ports = start_servers(url, args.processes, args.workers)
    print(
        f"cases before: {before:,}; servers: {args.processes} × {args.workers} worker(s) "
        f"on {ports}; cores: {os.cpu_count()}"
    )
    try:
        if args.mode in ("rate", "latency1", "floor"):
            conc = 1 if args.mode == "latency1" else args.concurrency
            pm = _postmaster(settings.pg_dir)
            cpu0 = [sum(_tree_cpu(p.pid) for p in procs), _tree_cpu(pm) if pm else 0.0]
            floor = args.mode == "floor"  # empty bodies: refused (400) before any database work
            client0 = time.process_time()
            lat, statuses = _run(
                run_rate(ports, pts, cats, conc, args.seconds, args.warmup, empty=floor)
            )
            client_s = time.process_time() - client0
            cpu1 = [sum(_tree_cpu(p.pid) for p in procs), _tree_cpu(pm) if pm else 0.0]
            ok = statuses.get(400 if floor else 201, 0)
            print(
                "\n| concurrency | seconds | reports | rate (/s) | p50 ms | p95 ms | p99 ms | errors |"
            )
            print("|---|---|---|---|---|---|---|---|")
            errs = {k: v for k, v in statuses.items() if k != (400 if floor else 201)}
            print(
                f"| {conc} | {args.seconds:.0f} | {ok} | {ok / args.seconds:.1f} | "
                f"{_pct(lat, 0.5) * 1000:.1f} | {_pct(lat, 0.95) * 1000:.1f} | "
                f"{_pct(lat, 0.99) * 1000:.1f} | {errs or 0} |"
            )
            if lat:
                print(f"mean {statistics.mean(lat) * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms")
            n_all = max(1, ok * (args.seconds + args.warmup) / args.seconds)
            app_ms = (cpu1[0] - cpu0[0]) / n_all * 1000
            pg_ms = (cpu1[1] - cpu0[1]) / n_all * 1000
            print(
                f"CPU per report: app {app_ms:.1f} ms + PostgreSQL {pg_ms:.1f} ms = "
                f"{app_ms + pg_ms:.1f} ms → at most ≈ {os.cpu_count() * 1000 / (app_ms + pg_ms):.0f}"
                f" reports/s on {os.cpu_count()} otherwise idle cores (client not counted; "
                f"the client took {client_s / n_all * 1000:.2f} ms per report)"
            )
            print(f"load average: {os.getloadavg()}")
        else:
            run = uuid.uuid4().hex[:8]
            ids = [
                str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{run}-{i}")) for i in range(args.reports)
            ]
            cluster = LocalCluster(settings.pg_dir)
            timing: dict[str, float] = {}

            def restart() -> None:
                t0 = time.monotonic()
                cluster.stop("fast")
                time.sleep(2)  # stay down a moment: clients must retry
                cluster.start()
                timing["restart_s"] = time.monotonic() - t0

            t0 = time.monotonic()
            done, statuses = _run(
                run_durable(ports, pts, cats, args.concurrency, ids, args.reports // 3, restart)
            )
            wall = time.monotonic() - t0
            eng.dispose()
            with eng.connect() as conn:
                n = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM cases WHERE client_id = ANY(CAST(:ids AS uuid[]))"
                    ),
                    {"ids": ids},
                ).scalar_one()
                distinct = conn.execute(
                    sa.text(
                        "SELECT count(DISTINCT client_id) FROM cases "
                        "WHERE client_id = ANY(CAST(:ids AS uuid[]))"
                    ),
                    {"ids": ids},
                ).scalar_one()
                dup_no = conn.execute(
                    sa.text("SELECT count(*) - count(DISTINCT case_no) FROM cases")
                ).scalar_one()
                ev = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                        "WHERE c.client_id = ANY(CAST(:ids AS uuid[])) AND e.action = 'report'"
                    ),
                    {"ids": ids},
                ).scalar_one()
            print(
                "\n| reports sent | acknowledged | 201 | 200 (replayed) | retries | "
                "cases stored | distinct client ids | report events | duplicate numbers | "
                "PG restart (s) | wall (s) |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|")
            print(
                f"| {args.reports} | {done['ok']} | {done['created']} | {done['replayed']} | "
                f"{done['retries']} | {n} | {distinct} | {ev} | {dup_no} | "
                f"{timing.get('restart_s', float('nan')):.1f} | {wall:.1f} |"
            )
            print(f"responses: {statuses}")
            print("PASS" if n == distinct == ev == args.reports and dup_no == 0 else "FAIL")
    finally:
        stop_servers(procs)
        if not args.keep:
            removed = remove_bench_cases(eng)
            print(f"benchmark reports removed: {removed:,}")
        eng.dispose()


if __name__ == "__main__":
    main()
