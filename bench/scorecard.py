"""Benchmark: the five-type scorecard — each indicator query and the whole ranking.

Run by hand against a loaded database (read-only):

    GRIDMAP_VAR_DIR=var-bench .venv/bin/python bench/scorecard.py [--repeat 5]

Each indicator's SQL runs ``--repeat`` times; the table shows the median and the worst run and
how many rows the query reads (communities, dwellings); then the full ranking
(``gis.scorecard.score.compute``, all indicators and the scoring) and the per-community report.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.db import make_engine, resolve_url  # noqa: E402
from gis.projects.config import local_today  # noqa: E402
from gis.scorecard import map_report, score  # noqa: E402
from gis.scorecard.indicators import SQL, params  # noqa: E402
from gis.settings import get_settings  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), max(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--community", default="630202001001")
    args = ap.parse_args()
    engine = make_engine(resolve_url(get_settings(), start=False), pool_size=1)
    today = local_today()
    p = params(today)
    with Session(engine) as session:
        sizes = {
            t: session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("residences", "facilities", "cases", "grid_roster", "community_activities")
        }
        print("rows:", ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
        print(f"{'indicator':<20} {'median s':>9} {'worst s':>9}")
        for code, sql in SQL.items():
            med, worst = timed(lambda s=sql: session.execute(sa.text(s), p).all(), args.repeat)
            print(f"{code:<20} {med:>9.3f} {worst:>9.3f}")
        med, worst = timed(lambda: score.compute(session, today=today), args.repeat)
        print(f"{'ranking (all)':<20} {med:>9.3f} {worst:>9.3f}")
        med, worst = timed(
            lambda: map_report.community_report(session=session, code=args.community, today=today),
            max(1, args.repeat // 2),
        )
        print(f"{'report ' + args.community:<20} {med:>9.3f} {worst:>9.3f}")
    engine.dispose()


if __name__ == "__main__":
    main()
