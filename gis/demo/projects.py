"""The nine community office and service site projects named in the district plan.

Four are to be completed next year (朝阳山、九哈家、七里店、寿乐) and five to be started
(汉庄、文化街、新乐西街、水磨营、古城西街). Planned dates sit around the plan year
(``PLAN_YEAR`` and the year after); actual dates are recorded up to the day of loading, never
after it. Seen from late November of the plan year the register shows a mix: on track, ahead,
late on a milestone, spending ahead of progress, a milestone due with its predecessor open,
not yet started. Funding comes from several channels and does not always add up to the budget.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from shapely import wkt as shapely_wkt
from shapely.geometry import MultiPolygon, box
from sqlalchemy.engine import Connection

from gis.demo import people
from gis.demo.shapes import to_lonlat, to_metric
from gis.models.projects import MILESTONES
from gis.projects.config import local_today, standards, sync_weights
from gis.projects.history import snapshot
from gis.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"

PLAN_YEAR = 2026  # the plan's "next year" is PLAN_YEAR + 1
COMPLETE_NEXT_YEAR = ["朝阳山", "九哈家", "七里店", "寿乐"]
START_NEXT_YEAR = ["汉庄", "文化街", "新乐西街", "水磨营", "古城西街"]
Y, N = PLAN_YEAR, PLAN_YEAR + 1

# Per project: planned dates of the eight milestones (canonical order), how many of them
# are done with how many days of slip each, the share of the budget spent, the funding split
# (shares of the budget; a total below 1 leaves a gap) and a note.
SCHEDULES: dict[str, dict[str, object]] = {
    "朝阳山": {  # on track: structure due in a month
        "planned": [(Y - 1, 10, 15), (Y - 1, 12, 20), (Y, 3, 10), (Y, 5, 15), (Y, 6, 20),
                    (Y, 12, 28), (N, 5, 20), (N, 6, 30)],
        "done": 5, "slip": [3, 5, 10, 2, 6], "spent": 0.38,
        "funding": {"budget": 0.70, "enterprise": 0.10, "donation": 0.05, "lottery": 0.15},
        "notes": "明年完成；主体结构施工中",
    },
    "九哈家": {  # late: structure should have been topped out in October
        "planned": [(Y - 1, 9, 1), (Y - 1, 11, 10), (Y, 2, 20), (Y, 4, 10), (Y, 5, 10),
                    (Y, 10, 31), (N, 4, 30), (N, 5, 31)],
        "done": 5, "slip": [0, 12, 25, 20, 31], "spent": 0.42,
        "funding": {"budget": 0.80, "lottery": 0.20},
        "notes": "明年完成；开工推迟一个月，主体完工滞后",
    },
    "七里店": {  # at risk: spent far more than the work done
        "planned": [(Y - 1, 11, 5), (Y, 1, 10), (Y, 3, 25), (Y, 5, 5), (Y, 6, 15),
                    (Y, 12, 31), (N, 6, 15), (N, 7, 15)],
        "done": 5, "slip": [2, 8, 0, 4, 9], "spent": 0.62,
        "funding": {"budget": 0.60, "enterprise": 0.25, "lottery": 0.15},
        "notes": "明年完成；预付工程款较多",
    },
    "寿乐": {  # ahead: structure complete, fit-out under way
        "planned": [(Y - 1, 8, 20), (Y - 1, 10, 15), (Y - 1, 12, 30), (Y, 2, 28), (Y, 4, 1),
                    (Y, 11, 15), (N, 3, 31), (N, 4, 30)],
        "done": 6, "slip": [0, 3, 6, 0, 5, -7], "spent": 0.66,
        "funding": {"budget": 0.65, "enterprise": 0.15, "donation": 0.05, "lottery": 0.15},
        "notes": "明年完成；主体已封顶",
    },
    "汉庄": {  # site chosen, approval due in ten days: on track
        "planned": [(Y, 9, 20), (Y, 12, 6), (N, 2, 28), (N, 3, 31), (N, 5, 10),
                    (N, 10, 31), (N + 1, 4, 30), (N + 1, 5, 31)],
        "done": 1, "slip": [4], "spent": 0.02,
        "funding": {"budget": 0.75, "lottery": 0.25},
        "notes": "明年开工",
    },
    "文化街": {  # at risk: approval due next week, site selection still open
        "planned": [(Y, 11, 29), (Y, 12, 4), (N, 3, 15), (N, 4, 20), (N, 6, 1),
                    (N, 11, 30), (N + 1, 6, 30), (N + 1, 7, 31)],
        "done": 0, "slip": [], "spent": 0.0,
        "funding": {"budget": 0.70, "enterprise": 0.20, "donation": 0.10},
        "notes": "明年开工；选址协调中",
    },
    "新乐西街": {  # not started: site selection early next year
        "planned": [(N, 1, 20), (N, 3, 10), (N, 5, 15), (N, 6, 20), (N, 8, 1),
                    (N + 1, 1, 15), (N + 1, 6, 30), (N + 1, 7, 31)],
        "done": 0, "slip": [], "spent": 0.0,
        "funding": {"budget": 0.80, "lottery": 0.20},
        "notes": "明年开工",
    },
    "水磨营": {  # late: site selection planned in October, not done; funding gap
        "planned": [(Y, 10, 15), (Y, 12, 20), (N, 3, 1), (N, 4, 15), (N, 5, 20),
                    (N, 11, 15), (N + 1, 5, 31), (N + 1, 6, 30)],
        "done": 0, "slip": [], "spent": 0.0,
        "funding": {"budget": 0.60, "enterprise": 0.10, "lottery": 0.15},
        "notes": "明年开工；资金尚有缺口",
    },
    "古城西街": {  # not started
        "planned": [(N, 3, 1), (N, 4, 20), (N, 6, 30), (N, 8, 10), (N, 9, 15),
                    (N + 1, 3, 31), (N + 1, 8, 31), (N + 1, 9, 30)],
        "done": 0, "slip": [], "spent": 0.0,
        "funding": {"budget": 0.70, "enterprise": 0.15, "donation": 0.05, "lottery": 0.10},
        "notes": "明年开工",
    },
}  # fmt: skip
UNITS = ["乐都区民政局", "碾伯街道办事处", "岗沟街道办事处", "寿乐镇人民政府", "雨润镇人民政府"]


def plan_communities(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """The plan's community names → 12-digit NBS codes (``seed_names_to_nbs_codes.csv``)."""
    with (data_dir / "ledu" / "seed_names_to_nbs_codes.csv").open(encoding="utf-8") as f:
        return {r["seed_name"]: r["nbs_code"] for r in csv.DictReader(f)}


def _footprint(site_wkt: str, rng: np.random.Generator) -> str:
    """A small rectangular site (about 35 × 45 m) around the site point."""
    x, y = to_metric(shapely_wkt.loads(site_wkt)).coords[0]
    w, h = float(rng.uniform(28, 40)), float(rng.uniform(35, 55))
    return MultiPolygon([to_lonlat(box(x - w / 2, y - h / 2, x + w / 2, y + h / 2))]).wkt


def _milestones(spec: dict[str, object], today: date) -> list[dict[str, object]]:
    """Planned dates as given; the first ``done`` milestones get actual dates (planned + slip,
    never before the predecessor's), up to ``today`` and never after an unfinished one."""
    planned = [date(*d) for d in spec["planned"]]  # type: ignore[attr-defined]
    slips: list[int] = spec["slip"]  # type: ignore[assignment]
    n_done = int(spec["done"])  # type: ignore[call-overload]
    out: list[dict[str, object]] = []
    last: date | None = None
    for i, kind in enumerate(MILESTONES):
        actual = None
        if i < n_done and (i == 0 or last is not None):
            actual = max(planned[i] + timedelta(days=slips[i]), last or date.min)
            if actual > today:
                actual = None
        out.append({"s": i + 1, "k": kind, "pd": planned[i], "ad": actual})
        last = actual
    return out


def load_projects(conn: Connection, *, seed: int, today: date | None = None) -> int:
    """Insert the nine plan projects with funding, milestones and a first history entry.

    Returns how many projects were made (sites missing from the facilities are skipped).
    """
    today = today or local_today()
    sync_weights(session=conn)
    rng = np.random.default_rng(seed + 3)
    codes = plan_communities()
    std = standards()["office_service_site"]
    rows = {
        r["community_code"]: r
        for r in conn.execute(
            sa.text(
                "SELECT f.id, f.name, f.community_code, f.floor_area_m2, c.households, "
                "ST_AsText(f.geom) AS wkt FROM facilities f "
                "LEFT JOIN admin_units c ON c.code = f.community_code AND c.valid_to IS NULL "
                "WHERE f.kind = 'office_service_site' "
                "AND f.status IN ('planned', 'under_construction')"
            )
        ).mappings()
    }
    made = 0
    for i, name in enumerate(COMPLETE_NEXT_YEAR + START_NEXT_YEAR):
        f = rows.get(codes[name])
        if f is None:
            continue
        spec = SCHEDULES[name]
        finishing = name in COMPLETE_NEXT_YEAR
        budget = Decimal(int(rng.integers(180, 420)) * 10_000)
        need = std.required_area(f["households"]) or Decimal(600)
        # one project (寿乐) is planned below the standard, to show the check
        area = need * Decimal("0.85") if name == "寿乐" else need + int(rng.integers(0, 120))
        contact = people.names(rng, 1)[0]
        pid = conn.execute(
            sa.text(
                "INSERT INTO projects (facility_id, name, facility_kind, community_code, site, "
                "site_polygon, planned_floor_area, responsible_unit, contact_name, "
                "contact_phone, budget_total, spent_to_date, plan_group, notes) VALUES (:fid, "
                ":name, 'office_service_site', :cc, ST_GeomFromText(:wkt, 4326), "
                "ST_GeomFromText(:poly, 4326), :area, :unit, :cn, :cp, :budget, :spent, :group, "
                ":notes) RETURNING id"
            ),
            {
                "fid": f["id"],
                "name": f"{name}社区办公和服务场所建设",
                "cc": f["community_code"],
                "wkt": f["wkt"],
                "poly": _footprint(f["wkt"], rng),
                "area": round(area, 1),
                "unit": UNITS[0] if i % 3 == 0 else UNITS[1 + i % 4],
                "cn": contact,
                "cp": people.phones(rng, 1)[0],
                "budget": budget,
                "spent": round(budget * Decimal(str(spec["spent"])), 2),
                "group": "complete_next_year" if finishing else "start_next_year",
                "notes": spec["notes"],
            },
        ).scalar_one()
        funding: dict[str, float] = spec["funding"]  # type: ignore[assignment]
        conn.execute(
            sa.text("INSERT INTO project_funding (project_id, source, amount) VALUES (:p, :s, :a)"),
            [
                {"p": pid, "s": s, "a": round(budget * Decimal(str(v)), 2)}
                for s, v in funding.items()
            ],
        )
        ms = _milestones(spec, today)
        conn.execute(
            sa.text(
                "INSERT INTO project_milestones (project_id, seq, kind, "
                "planned_date, actual_date) VALUES (:p, :s, :k, :pd, :ad)"
            ),
            [{"p": pid, **m} for m in ms],
        )
        conn.execute(
            sa.text(
                "INSERT INTO project_history (project_id, actor, actor_role, action, after) "
                "VALUES (:p, 'demo', 'system', 'create', CAST(:after AS jsonb))"
            ),
            {
                "p": pid,
                "after": json.dumps(snapshot(session=conn, project_id=pid), ensure_ascii=False),
            },
        )
        made += 1
    return made
