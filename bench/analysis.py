"""Benchmark: district-wide analysis — coverage, hotspots, KPIs, site suggestion, balance.

Run by hand against a loaded database (e.g. ``gridmap demo load --incidents 1000000``):

    GRIDMAP_VAR_DIR=var-bench .venv/bin/python bench/analysis.py

Each analysis runs ``--repeat`` times in-process (the database round trips included, no
HTTP); the table shows the median and the worst run, and the size of the input.
"""

from __future__ import annotations

import argparse
import os
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
from gis.settings import get_settings  # noqa: E402
from gis.spatial import (  # noqa: E402
    balance,
    coverage,
    hotspots,
    kpi_series,
    params,
    sites,
    stats,
)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    runs, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), max(runs), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    url = args.database_url or resolve_url(get_settings(), start=False)
    engine = make_engine(url, pool_size=2)
    rows: list[tuple[str, float, float, str]] = []
    with Session(engine) as s:
        n_cases = s.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
        print(f"cases {n_cases:,}")
        w30 = params.window(None, None, default_days=30)
        w90 = params.window(None, None, default_days=90)
        w365 = params.window(None, None, default_days=365)

        def add(label: str, fn: Callable[[], Any], note: Callable[[Any], str]) -> None:
            med, worst, out = timed(fn, args.repeat)
            rows.append((label, med, worst, note(out)))
            s.rollback()

        for kind in ("service_station", "office_service_site", "service_centre"):
            add(
                f"coverage {kind} (372 communities, gaps)",
                lambda k=kind: coverage.coverage(s, kind=k, level="community"),
                lambda o: (
                    f"{o['total']['household_share']:.1%} of households, "
                    f"{len(o['gaps']['features'])} gaps"
                ),
            )
        add(
            "coverage health_station per grid",
            lambda: coverage.coverage(s, kind="health_station", level="grid", gaps=False),
            lambda o: f"{len(o['units'])} grids",
        )
        for label, w, eps, mp in (
            ("hotspots 30 days, eps 150 m, min 20, compared", w30, 150, 20),
            ("hotspots 90 days, eps 150 m, min 50, compared", w90, 150, 50),
            ("hotspots 365 days, eps 100 m, min 200, compared", w365, 100, 200),
        ):
            add(
                label,
                lambda w=w, eps=eps, mp=mp: hotspots.hotspots(
                    s, window=w, eps_m=eps, min_points=mp
                ),
                lambda o: (
                    f"{o['cases']:,} cases → {len(o['clusters']['features'])} clusters, "
                    f"{len(o['faded']['features'])} faded"
                ),
            )
        # the dashboard's KPI panel: the district, a township, a community of a township, a
        # grid of a community — 30 days, no breakdown — and its 30-day daily series
        township, community, grid = s.execute(
            sa.text(
                "SELECT left(code, 9) || '000', left(code, 12), code FROM grids "
                "WHERE valid_to IS NULL ORDER BY code LIMIT 1"
            )
        ).one()
        for level, parent, lbl in (
            ("district", None, "the district"),
            ("township", None, "all townships"),
            ("community", township, f"communities of {township}"),
            ("grid", community, f"grids of {community}"),
        ):
            add(
                f"KPI panel: {lbl}, 30 d, no breakdown",
                lambda level=level, parent=parent: stats.kpis(
                    s, level=level, window=w30, parent=parent, breakdown=False
                ),
                lambda o: f"{o['total']['due']:,} due, {len(o['units'])} units",
            )
        for level, code in ((None, None), ("grid", grid)):
            add(
                f"KPI panel series per day, 30 d, {code or 'district'}",
                lambda level=level, code=code: kpi_series.series(
                    s, window=w30, interval="day", level=level, code=code
                ),
                lambda o: f"{len(o['buckets'])} buckets",
            )
        for level, w, lbl in (
            ("grid", w30, "30 d"),
            ("grid", w365, "365 d"),
            ("township", w365, "365 d"),
            ("department", w365, "365 d"),
        ):
            add(
                f"KPIs per {level}, {lbl}, with breakdown",
                lambda level=level, w=w: stats.kpis(s, level=level, window=w),
                lambda o: f"{o['total']['due']:,} due, {len(o['units'])} units",
            )
        add(
            "KPI series per day, 90 d",
            lambda: kpi_series.series(s, window=w90, interval="day"),
            lambda o: f"{len(o['buckets'])} buckets",
        )
        add(
            "KPI choropleth per community, 30 d",
            lambda: kpi_series.choropleth(s, level="community", window=w30),
            lambda o: f"{len(o) / 1e6:.2f} MB",
        )
        add(
            "site suggestion service_station k=10",
            lambda: sites.suggest_sites(s, kind="service_station", k=10),
            lambda o: (
                f"{o['candidates']['count']} candidates, +"
                f"{sum(x['gain_households'] for x in o['sites'])} households"
            ),
        )
        add(
            "grid balance (all grids)",
            lambda: balance.grid_balance(s, scope="all"),
            lambda o: str(o["summary"]),
        )
    engine.dispose()
    print("load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'analysis':<{width}}  {'median s':>8}  {'worst s':>8}  result")
    for label, med, worst, note in rows:
        print(f"{label:<{width}}  {med:8.2f}  {worst:8.2f}  {note}")


if __name__ == "__main__":
    main()
