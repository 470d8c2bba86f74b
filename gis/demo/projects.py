"""The nine community office and service site projects named in the district plan.

Four are to be completed next year (朝阳山、九哈家、七里店、寿乐) and five to be started
(汉庄、文化街、新乐西街、水磨营、古城西街). Dates sit around the plan year; a few projects
are deliberately behind so the tracking views have something to show.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.models.projects import MILESTONES
from gis.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"

PLAN_YEAR = 2026  # the plan's "next year" is PLAN_YEAR + 1
COMPLETE_NEXT_YEAR = ["朝阳山", "九哈家", "七里店", "寿乐"]
START_NEXT_YEAR = ["汉庄", "文化街", "新乐西街", "水磨营", "古城西街"]
# milestone offsets in days from site selection
OFFSETS = [0, 45, 100, 150, 200, 380, 520, 560]


def plan_communities(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """The plan's community names → 12-digit NBS codes (``seed_names_to_nbs_codes.csv``)."""
    with (data_dir / "ledu" / "seed_names_to_nbs_codes.csv").open(encoding="utf-8") as f:
        return {r["seed_name"]: r["nbs_code"] for r in csv.DictReader(f)}


def _schedule(start: date, slip: int) -> list[tuple[str, date]]:
    kinds = list(MILESTONES)
    return [
        (k, start + timedelta(days=o + (slip if i >= 4 else 0)))
        for i, (k, o) in enumerate(zip(kinds, OFFSETS, strict=True))
    ]


def load_projects(conn: Connection, *, seed: int, today: date | None = None) -> int:
    """Insert the nine plan projects with funding and milestones; returns how many."""
    today = today or date.today()
    rng = np.random.default_rng(seed + 3)
    codes = plan_communities()
    rows = {
        r["community_code"]: r
        for r in conn.execute(
            sa.text(
                "SELECT f.id, f.name, f.community_code, f.status, f.floor_area_m2, "
                "ST_AsText(f.geom) AS wkt FROM facilities f "
                "WHERE f.kind = 'office_service_site' AND f.status IN ('planned', 'under_construction')"
            )
        ).mappings()
    }
    made = 0
    for name in COMPLETE_NEXT_YEAR + START_NEXT_YEAR:
        f = rows.get(codes[name])
        if f is None:
            continue
        finishing = name in COMPLETE_NEXT_YEAR
        start = date(PLAN_YEAR - 1, 9, 1) if finishing else date(PLAN_YEAR, 6, 1)
        start += timedelta(days=int(rng.integers(0, 60)))
        slip = int(rng.choice([0, 0, 0, 30, 75]))
        budget = float(rng.integers(180, 420)) * 10_000
        progress_share = 0.6 if finishing else 0.1
        pid = conn.execute(
            sa.text(
                "INSERT INTO projects (facility_id, name, facility_kind, community_code, site, "
                "planned_floor_area, responsible_unit, contact_name, contact_phone, budget_total, "
                "spent_to_date, plan_group, notes) VALUES (:fid, :name, 'office_service_site', :cc, "
                "ST_GeomFromText(:wkt, 4326), :area, :unit, :cn, :cp, :budget, :spent, :group, :notes)"
                " RETURNING id"
            ),
            {
                "fid": f["id"],
                "name": f"{name}社区办公和服务场所建设",
                "cc": f["community_code"],
                "wkt": f["wkt"],
                "area": f["floor_area_m2"] or 600,
                "unit": "乐都区民政局",
                "cn": "项目联系人",
                "cp": "17009720000",
                "budget": budget,
                "spent": round(budget * progress_share * float(rng.uniform(0.8, 1.3)), 2),
                "group": "complete_next_year" if finishing else "start_next_year",
                "notes": "明年完成" if finishing else "明年开工",
            },
        ).scalar_one()
        shares = {"budget": 0.7, "enterprise": 0.1, "donation": 0.05, "lottery": 0.15}
        conn.execute(
            sa.text("INSERT INTO project_funding (project_id, source, amount) VALUES (:p, :s, :a)"),
            [{"p": pid, "s": s, "a": round(budget * v, 2)} for s, v in shares.items()],
        )
        ms = []
        for seq, (kind, planned) in enumerate(_schedule(start, slip), start=1):
            actual = None
            if planned + timedelta(days=slip) <= today and seq <= 6:
                actual = min(planned + timedelta(days=int(rng.integers(-5, 20))), today)
            ms.append({"p": pid, "s": seq, "k": kind, "pd": planned, "ad": actual})
        # a milestone cannot be done before its predecessor
        last = None
        for m in ms:
            if m["ad"] is not None and (last is None and m["s"] > 1):
                m["ad"] = None
            if m["ad"] is not None and last is not None and m["ad"] < last:
                m["ad"] = last
            last = m["ad"] if m["ad"] is not None else None
        conn.execute(
            sa.text(
                "INSERT INTO project_milestones (project_id, seq, kind, "
                "planned_date, actual_date) VALUES (:p, :s, :k, :pd, :ad)"
            ),
            ms,
        )
        made += 1
    return made
