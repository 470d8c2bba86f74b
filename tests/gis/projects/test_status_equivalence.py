"""The SQL derivation (``project_status_at``) and the Python one (``derive``) agree.

Hundreds of generated projects — including odd ones: missing milestones, dates out of order,
actual dates after the day judged, zero budgets, overrides — are judged on days chosen around
their planned dates (the day itself, 14 and 15 days before, the day after), in SQL and in
Python, and every field must match.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.models.projects import MILESTONES
from gis.projects.config import db_weights, sync_weights
from gis.projects.status import MilestoneDates, derive

BASE = date(2026, 6, 1)
KINDS = list(MILESTONES)


def _random_project(rng: random.Random) -> dict[str, object]:
    kinds = (
        KINDS
        if rng.random() < 0.7
        else sorted(rng.sample(KINDS, rng.randint(0, 8)), key=KINDS.index)
    )
    day = BASE - timedelta(days=rng.randint(0, 400))
    ms = []
    for k in kinds:
        day += timedelta(days=rng.choice([0, 5, 14, 15, 30, 60, 120]))
        planned = None if rng.random() < 0.08 else day + timedelta(days=rng.choice([0, 0, -20]))
        r = rng.random()
        actual = None if r < 0.4 else day + timedelta(days=rng.randint(-20, 40))
        ms.append(MilestoneDates(k, planned, actual))
    budget = Decimal(rng.choice([0, 100, 1_000_000, 2_345_678])) + Decimal(rng.randint(0, 99)) / 100
    spent = (budget * Decimal(rng.random()) * Decimal("1.2")).quantize(Decimal("0.01"))
    override = Decimal(rng.randint(0, 1000)) / 10 if rng.random() < 0.15 else None
    return {"milestones": ms, "budget": budget, "spent": spent, "override": override}


@pytest.mark.parametrize("weights", ["file", "odd"])
def test_sql_and_python_agree_on_generated_projects(db: Session, weights: str) -> None:
    rng = random.Random(20261126)
    if weights == "odd":  # uneven weights with cents, one zero: rounding must agree too
        odd = {k: Decimal(rng.randint(0, 5000)) / 100 for k in KINDS} | {"design": Decimal(0)}
        sync_weights(session=db, weights=odd)  # rolled back with the test
    projects = [_random_project(rng) for _ in range(400)]
    ids = []
    for p in projects:
        pid = db.execute(
            sa.text(
                "INSERT INTO projects (name, facility_kind, community_code, site, budget_total, "
                "spent_to_date, progress_override, progress_reason) VALUES ('t', "
                "'office_service_site', '630202001001', ST_SetSRID(ST_Point(102.40, 36.48), 4326),"
                " :b, :s, :o, CASE WHEN :o IS NULL THEN NULL ELSE 'test' END) RETURNING id"
            ),
            {"b": p["budget"], "s": p["spent"], "o": p["override"]},
        ).scalar_one()
        ids.append(pid)
        rows = [
            {"p": pid, "s": KINDS.index(m.kind) + 1, "k": m.kind, "pd": m.planned_date,
             "ad": m.actual_date}
            for m in p["milestones"]  # type: ignore[attr-defined]
        ]  # fmt: skip
        if rows:
            db.execute(
                sa.text(
                    "INSERT INTO project_milestones (project_id, seq, kind, planned_date, "
                    "actual_date) VALUES (:p, :s, :k, :pd, :ad)"
                ),
                rows,
            )
    w = db_weights(session=db)
    days: set[date] = {BASE}
    for p in projects[:60]:
        for m in p["milestones"]:  # type: ignore[attr-defined]
            for d in (m.planned_date, m.actual_date):
                if d is not None:
                    days |= {
                        d,
                        d - timedelta(days=14),
                        d - timedelta(days=15),
                        d + timedelta(days=1),
                    }
    days_list = sorted(rng.sample(sorted(days), 25))
    compared = 0
    statuses: set[str] = set()
    for today in days_list:
        sql = {
            r["project_id"]: r
            for r in db.execute(
                sa.text("SELECT * FROM project_status_at(:t) WHERE project_id = ANY(:ids)"),
                {"t": today, "ids": ids},
            ).mappings()
        }
        for pid, p in zip(ids, projects, strict=True):
            py = derive(
                milestones=p["milestones"],  # type: ignore[arg-type]
                weights=w,
                budget_total=p["budget"],  # type: ignore[arg-type]
                spent_to_date=p["spent"],  # type: ignore[arg-type]
                progress_override=p["override"],  # type: ignore[arg-type]
                today=today,
            )
            s = sql[pid]
            got = (
                s["status"], s["progress"], s["progress_derived"], s["spent_pct"],
                s["milestones_done"], s["milestones_total"], s["next_milestone"], s["next_due"],
                s["days_late"],
            )  # fmt: skip
            want = (
                py.status, py.progress, py.progress_derived, py.spent_pct, py.milestones_done,
                py.milestones_total, py.next_milestone, py.next_due, py.days_late,
            )  # fmt: skip
            assert got == want, (today, p)
            statuses.add(py.status)
            compared += 1
    assert compared == 400 * 25
    # the generated set exercises every status, so agreement is not agreement on one answer
    assert statuses == {"not_started", "on_track", "at_risk", "late", "completed"}


def test_view_uses_the_date_in_ledu(db: Session) -> None:
    """``project_overview`` is ``project_overview_at`` on today's date in Asia/Shanghai."""
    today = db.execute(sa.text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")).scalar_one()
    view = db.execute(
        sa.text("SELECT id, status, progress FROM project_overview ORDER BY id")
    ).all()
    at = db.execute(
        sa.text("SELECT id, status, progress FROM project_overview_at(:t) ORDER BY id"),
        {"t": today},
    ).all()
    assert view == at and len(view) >= 9
