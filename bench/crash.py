"""Crash safety: ingest cases while the server, then PostgreSQL, are killed with SIGKILL.

Run by hand (it starts its own throwaway cluster and server, ~1–2 minutes)::

    .venv/bin/python bench/crash.py [--reports 600] [--concurrency 8]

Clients send reports with client-generated ids and retry until acknowledged (HTTP 200/201),
as field phones do. After a third of the reports the server process is SIGKILLed and
restarted; after two thirds the postmaster is SIGKILLed and restarted (crash recovery).
Afterwards: every acknowledged report is present, none twice, and ``pg_amcheck`` checks
every heap and B-tree index. The cluster runs with fsync, full_page_writes and
synchronous_commit on (printed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gis import migrate  # noqa: E402
from gis.cluster import LocalCluster, free_port  # noqa: E402
from gis.db import make_engine  # noqa: E402
from gis.demo.load import load_demo  # noqa: E402

HEADERS = {"X-Gridmap-User": "crash-bench", "X-Gridmap-Role": "field_staff"}


class Server:
    def __init__(self, url: str, var: Path, port: int) -> None:
        self.url, self.var, self.port = url, var, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            GRIDMAP_DATABASE_URL=self.url,
            GRIDMAP_VAR_DIR=str(self.var),
            GRIDMAP_ENV="development",
            GRIDMAP_BACKUP_INTERVAL_HOURS="0",
            GRIDMAP_LOG_LEVEL="WARNING",
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.asgi:app",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="gridmap-crash-"))
    work.chmod(0o755)
    cluster = LocalCluster(work / "pg", port=free_port())
    server: Server | None = None
    try:
        url = cluster.ensure()
        engine = make_engine(url, pool_size=1)
        migrate.upgrade(engine)
        load_demo(engine, incidents=0)
        with engine.connect() as conn:
            import sqlalchemy as sa

            cat = conn.execute(
                sa.text(
                    "SELECT code FROM categories WHERE level = 2 AND NOT sensitive ORDER BY code LIMIT 1"
                )
            ).scalar()
            points = conn.execute(
                sa.text(
                    "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids) s"
                )
            ).all()
        engine.dispose()
        server = Server(url, work / "var", free_port())
        server.start()

        acked: dict[str, str] = {}
        attempts = {"n": 0, "errors": 0}
        lock = threading.Lock()
        ids = [str(uuid.uuid4()) for _ in range(args.reports)]
        todo = list(enumerate(ids))

        def worker() -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as c:
                while True:
                    with lock:
                        if not todo:
                            return
                        i, cid = todo.pop()
                    lon, lat = points[i % len(points)]
                    body = {
                        "client_id": cid,
                        "lon": lon,
                        "lat": lat,
                        "category": cat,
                        "description": f"崩溃测试 {i}",
                        "reporter_name": "测试",
                        "reporter_phone": "13800000000",
                    }
                    while True:
                        with lock:
                            attempts["n"] += 1
                        try:
                            r = c.post("/api/v1/cases", content=json.dumps(body), headers=HEADERS)
                            if r.status_code in (200, 201):
                                with lock:
                                    acked[cid] = r.json()["case"]["case_no"]
                                break
                        except httpx.HTTPError:
                            pass
                        with lock:
                            attempts["errors"] += 1
                        time.sleep(0.2)

        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        kills = []
        while len(acked) < args.reports // 3:
            time.sleep(0.05)
        server.kill()
        kills.append(f"server SIGKILL at {len(acked)} acknowledged")
        time.sleep(1)
        server.start()
        while len(acked) < 2 * args.reports // 3:
            time.sleep(0.05)
        pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        kills.append(f"postmaster SIGKILL at {len(acked)} acknowledged")
        time.sleep(1)
        cluster.start()  # crash recovery from the WAL
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0

        conn = psycopg2.connect(**cluster.admin_params("gridmap"))
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("SELECT client_id::text, case_no FROM cases WHERE client_id IS NOT NULL")
        stored = cur.fetchall()
        cur.execute(
            "SELECT count(*) FROM (SELECT client_id FROM cases WHERE client_id IS NOT NULL "
            "GROUP BY client_id HAVING count(*) > 1) d"
        )
        twice = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM cases c WHERE client_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM case_events e WHERE e.case_id = c.id)"
        )
        no_history = cur.fetchone()[0]
        cur.execute(
            "SELECT current_setting('fsync'), current_setting('full_page_writes'), "
            "current_setting('synchronous_commit')"
        )
        durability = cur.fetchone()
        conn.close()
        by_id = dict(stored)
        missing = [c for c in acked if c not in by_id]
        wrong_no = [c for c, no in acked.items() if c in by_id and by_id[c] != no]
        amcheck = cluster._pg(
            "pg_amcheck",
            "-h",
            str(cluster.socket_dir),
            "-p",
            str(cluster.admin_params()["port"]),
            "-U",
            "postgres",
            "--heapallindexed",
            "--install-missing",
            "gridmap",
            check=False,
        )
        rows = [
            ("reports sent (client ids)", args.reports),
            ("acknowledged (200/201)", len(acked)),
            ("HTTP attempts / failed attempts", f"{attempts['n']} / {attempts['errors']}"),
            *[("kill", k) for k in kills],
            ("cases stored with these ids", len(stored)),
            ("acknowledged but missing", len(missing)),
            ("stored twice", twice),
            ("case number differs from the ack", len(wrong_no)),
            ("cases without history", no_history),
            (
                "pg_amcheck --heapallindexed",
                "ok"
                if amcheck.returncode == 0
                else f"FAILED: {amcheck.stdout[-300:]} {amcheck.stderr[-300:]}",
            ),
            ("fsync / full_page_writes / synchronous_commit", " / ".join(durability)),
            ("wall time", f"{elapsed:.1f} s"),
        ]
        w = max(len(k) for k, _ in rows)
        print(f"{'check'.ljust(w)}  result")
        for k, v in rows:
            print(f"{k.ljust(w)}  {v}")
        ok = not missing and not twice and not wrong_no and amcheck.returncode == 0
        print("PASS" if ok else "FAIL")
        sys.exit(0 if ok else 1)
    finally:
        if server is not None:
            server.kill()
        cluster.destroy()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
