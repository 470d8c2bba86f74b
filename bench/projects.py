"""Benchmark: the project register, portfolio, Gantt payload and export at a larger scale.

Run by hand against a migrated database with the demo data (``gridmap demo load``):

    GRIDMAP_VAR_DIR=/path/to/var .venv/bin/python bench/projects.py --projects 5000

Adds ``--projects`` synthetic projects (eight milestones, funding) next to the nine demo ones
inside a transaction that is rolled back at the end, then times each read ``--repeat`` times
in-process (database round trips included, no HTTP). Prints median and worst run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.db import make_engine, resolve_url  # noqa: E402
from gis.models.projects import MILESTONES  # noqa: E402
from gis.projects import export, portfolio, register  # noqa: E402
from gis.settings import get_settings  # noqa: E402

TODAY = date(2026, 11, 26)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    runs, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), max(runs), out


def add_projects(session: Session, n: int, seed: int) -> None:
    rng = random.Random(seed)
    comms = session.execute(
        sa.text(
            "SELECT code, ST_X(seat), ST_Y(seat) FROM admin_units "
            "WHERE level = 5 AND valid_to IS NULL AND seat IS NOT NULL"
        )
    ).all()
    rows, ms, fund = [], [], []
    first = session.execute(sa.text("SELECT coalesce(max(id), 0) FROM projects")).scalar_one()
    for i in range(n):
        pid = first + 1 + i
        code, x, y = rng.choice(comms)
        budget = rng.randint(100, 500) * 10_000
        rows.append({"id": pid, "n": f"压测项目{i}", "c": code, "x": x, "y": y, "b": budget,
                     "s": round(budget * rng.random(), 2)})  # fmt: skip
        day = TODAY - timedelta(days=rng.randint(0, 700))
        done = rng.randint(0, 8)
        for seq, kind in enumerate(MILESTONES, start=1):
            day += timedelta(days=rng.randint(10, 90))
            actual = day + timedelta(days=rng.randint(-5, 20)) if seq <= done else None
            ms.append({"p": pid, "s": seq, "k": kind, "pd": day,
                       "ad": actual if actual and actual <= TODAY else None})  # fmt: skip
        fund += [
            {"p": pid, "s": "budget", "a": budget * 0.8},
            {"p": pid, "s": "lottery", "a": budget * 0.2},
        ]
    session.execute(
        sa.text(
            "INSERT INTO projects (id, name, facility_kind, community_code, site, budget_total, "
            "spent_to_date) VALUES (:id, :n, 'office_service_site', :c, "
            "ST_SetSRID(ST_Point(:x, :y), 4326), :b, :s)"
        ),
        rows,
    )
    session.execute(
        sa.text(
            "INSERT INTO project_milestones (project_id, seq, kind, planned_date, actual_date) "
            "VALUES (:p, :s, :k, :pd, :ad)"
        ),
        ms,
    )
    session.execute(
        sa.text("INSERT INTO project_funding (project_id, source, amount) VALUES (:p, :s, :a)"),
        fund,
    )
    session.execute(sa.text("ANALYZE projects, project_milestones, project_funding"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=630202)
    args = ap.parse_args()
    engine = make_engine(resolve_url(get_settings(), start=False), pool_size=1)
    with engine.connect() as conn:
        trans = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        t = time.perf_counter()
        add_projects(session, args.projects, args.seed)
        print(
            f"inserted {args.projects} projects × 8 milestones in {time.perf_counter() - t:.1f} s"
        )
        total = session.execute(sa.text("SELECT count(*) FROM projects")).scalar_one()
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("view project_overview (all rows)",
             lambda: session.execute(sa.text("SELECT * FROM project_overview")).all()),
            ("register list (as_of)", lambda: register.list_projects(session=session, today=TODAY)),
            ("register filtered status=late",
             lambda: register.list_projects(session=session, today=TODAY, status="late")),
            ("one project detail",
             lambda: register.get_project(session=session, project_id=1, today=TODAY, personal=True)),
            ("portfolio", lambda: portfolio.portfolio(session=session, today=TODAY)),
            ("gantt", lambda: portfolio.gantt(session=session, today=TODAY)),
            ("export csv", lambda: export.export_register(session=session, today=TODAY, fmt="csv",
                                                         personal=False)),
            ("export gpkg", lambda: export.export_register(session=session, today=TODAY,
                                                          fmt="gpkg", personal=False)),
        ]  # fmt: skip
        print(f"\nprojects in the register: {total}; repeat {args.repeat}\n")
        print(f"| {'operation':<34} | {'median ms':>9} | {'worst ms':>9} |")
        print(f"|{'-' * 36}|{'-' * 11}|{'-' * 11}|")
        for name, fn in cases:
            med, worst, _ = timed(fn, args.repeat)
            print(f"| {name:<34} | {med * 1000:>9.1f} | {worst * 1000:>9.1f} |")
        session.close()
        trans.rollback()
    engine.dispose()


if __name__ == "__main__":
    main()
