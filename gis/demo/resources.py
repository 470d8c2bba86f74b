"""Demo community registers: rosters, party members, co-building units, activities, populations.

Plausible, deterministic and clearly demo: urban communities are better equipped than
villages, with enough spread that the scorecard separates them.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.demo import people

ACTIVITY_KINDS = [
    "fitness",
    "elderly_care",
    "culture_sports",
    "reading",
    "calligraphy",
    "volunteer",
    "mediation_open_day",
]
ACTIVITY_TITLES = {
    "fitness": "全民健身活动",
    "elderly_care": "敬老助老服务",
    "culture_sports": "社区文体汇演",
    "reading": "读书会",
    "calligraphy": "书法交流",
    "volunteer": "志愿服务日",
    "mediation_open_day": "调解中心开放日",
}
UNIT_KINDS = {
    "organ": "机关",
    "enterprise": "企业",
    "school": "学校",
    "police": "派出所",
    "hospital": "医院",
}
DUTIES = ["work", "security", "culture", "education", "environment"]


def load_resources(conn: Connection, *, seed: int, today: date | None = None) -> None:
    """Fill the community registers for every demo community (one transaction, the caller's)."""
    today = today or date.today()
    rng = np.random.default_rng(seed + 10)
    grids = conn.execute(
        sa.text(
            "SELECT g.code, g.population, g.community_code, c.unit_type LIKE '村%' AS village "
            "FROM grids g JOIN admin_units c ON c.code = g.community_code AND c.valid_to IS NULL "
            "WHERE g.valid_to IS NULL ORDER BY g.code"
        )
    ).all()
    staff: dict[str, list[tuple[str, str, str | None]]] = {}
    for g, role, name, phone in conn.execute(
        sa.text("SELECT grid_code, role, person_name, phone FROM grid_staff ORDER BY id")
    ):
        staff.setdefault(g, []).append((role, name, phone))
    roster, party, pops = [], [], []
    for code, pop, _cc, village in grids:
        for role, name, phone in staff.get(code, []):
            post = "grid_leader" if role == "leader" else "grid_worker"
            roster.append(
                {
                    "g": code,
                    "p": post,
                    "t": "网格长" if role == "leader" else "网格员",
                    "n": name,
                    "ph": phone,
                    "m": 1,
                }
            )
        if rng.random() < (0.6 if village else 0.85):
            for i in range(int(rng.integers(1, 4))):
                roster.append(
                    {
                        "g": code,
                        "p": "party_post",
                        "t": ["政策宣传岗", "治安巡逻岗", "环境监督岗", "邻里互助岗"][i % 4],
                        "n": people.names(rng, 1)[0],
                        "ph": None,
                        "m": 1,
                    }
                )
        if rng.random() < (0.35 if village else 0.7):
            roster.append(
                {
                    "g": code,
                    "p": "volunteer_team",
                    "t": "网格志愿服务队",
                    "n": None,
                    "ph": None,
                    "m": int(rng.integers(5, 30)),
                }
            )
        for cat, share in (
            ("in_service", 0.02),
            ("mobile", 0.006),
            ("in_difficulty", 0.002),
            ("elderly", 0.008),
        ):
            party.append({"g": code, "c": cat, "n": int(rng.poisson(max(pop, 1) * share))})
        for cat, share in (
            ("difficulty", 0.02),
            ("unemployed", 0.015),
            ("land_lost", 0.03),
            ("retirees", 0.06),
            ("correction", 0.0006),
        ):
            k = share * (1.6 if cat == "land_lost" and village else 1.0)
            pops.append({"g": code, "c": cat, "n": int(rng.poisson(max(pop, 1) * k))})
    if roster:
        conn.execute(
            sa.text(
                "INSERT INTO grid_roster (grid_code, post, title, person_name, "
                "phone, members) VALUES (:g, :p, :t, :n, :ph, :m)"
            ),
            roster,
        )
    conn.execute(
        sa.text("INSERT INTO party_member_counts (grid_code, category, count) VALUES (:g, :c, :n)"),
        party,
    )
    conn.execute(
        sa.text(
            "INSERT INTO service_population_counts (grid_code, category, count) VALUES (:g, :c, :n)"
        ),
        pops,
    )
    _units_and_activities(conn, rng, today)


def _units_and_activities(conn: Connection, rng: np.random.Generator, today: date) -> None:
    comms = conn.execute(
        sa.text(
            "SELECT code, name, unit_type LIKE '村%' AS village, coalesce(population, 0), "
            "ST_X(coalesce(seat, ST_PointOnSurface(geom))), "
            "ST_Y(coalesce(seat, ST_PointOnSurface(geom))) "
            "FROM admin_units WHERE level = 5 AND valid_to IS NULL ORDER BY code"
        )
    ).all()
    units, acts = [], []
    for code, name, village, _pop, x, y in comms:
        short = name.replace("社区居委会", "").replace("居委会", "").replace("村委会", "")
        n_units = int(rng.integers(0, 3)) if village else int(rng.integers(2, 9))
        for i in range(n_units):
            kind = str(rng.choice(list(UNIT_KINDS)))
            duties = [d for d in DUTIES if rng.random() < 0.55] or ["work"]
            units.append(
                {
                    "n": f"{short}共建单位{i + 1}({UNIT_KINDS[kind]})",
                    "k": kind,
                    "c": code,
                    "cn": people.names(rng, 1)[0],
                    "cp": people.phones(rng, 1)[0],
                    "d": duties,
                    "m": int(rng.integers(0, 13)),
                    "x": x,
                    "y": y,
                    "dx": float(rng.normal(0, 0.002)),
                    "dy": float(rng.normal(0, 0.0015)),
                }
            )
        rate = 8 if village else 30  # activities a year
        for _ in range(int(rng.poisson(rate * (0.5 + rng.random())))):
            kind = str(rng.choice(ACTIVITY_KINDS))
            acts.append(
                {
                    "k": kind,
                    "t": f"{short}{ACTIVITY_TITLES[kind]}",
                    "d": today - timedelta(days=int(rng.integers(0, 365))),
                    "c": code,
                    "p": f"{short}活动室",
                    "o": f"{short}社区",
                    "n": int(rng.integers(8, 160)),
                    "x": x,
                    "y": y,
                    "dx": float(rng.normal(0, 0.0015)),
                    "dy": float(rng.normal(0, 0.001)),
                }
            )
    # points are jittered around the seat and pulled back inside the community
    inside = "ST_ClosestPoint(c.geom, ST_SetSRID(ST_Point(:x + :dx, :y + :dy), 4326))"
    if units:
        conn.execute(
            sa.text(
                "INSERT INTO cobuilding_units (name, kind, community_code, contact_name, "
                "contact_phone, duties, meetings_held, geom) SELECT :n, :k, :c, :cn, :cp, "
                f"CAST(:d AS text[]), :m, {inside} FROM admin_units c WHERE c.code = :c "
                "AND c.valid_to IS NULL"
            ),
            units,
        )
    if acts:
        conn.execute(
            sa.text(
                "INSERT INTO community_activities (kind, title, held_on, community_code, place, "
                f"organiser, participants, geom) SELECT :k, :t, :d, :c, :p, :o, :n, {inside} "
                "FROM admin_units c WHERE c.code = :c AND c.valid_to IS NULL"
            ),
            acts,
        )
