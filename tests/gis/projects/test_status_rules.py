"""Status rules across dates, with the clock frozen (``today`` passed explicitly)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.models.projects import MILESTONES
from gis.projects.config import read_weights
from gis.projects.status import MilestoneDates, derive

W = read_weights()
KINDS = list(MILESTONES)
D0 = date(2026, 3, 1)


def plan(done: int, *, step: int = 30) -> list[MilestoneDates]:
    """Eight milestones ``step`` days apart from D0; the first ``done`` finished on time."""
    return [
        MilestoneDates(k, D0 + timedelta(days=step * i), D0 + timedelta(days=step * i) if i < done else None)
        for i, k in enumerate(KINDS)
    ]  # fmt: skip


def status(ms: list[MilestoneDates], today: date, *, budget: int = 100, spent: int = 0,
           override: Decimal | None = None) -> str:  # fmt: skip
    return derive(
        milestones=ms, weights=W, budget_total=Decimal(budget), spent_to_date=Decimal(spent),
        progress_override=override, today=today,
    ).status  # fmt: skip


def test_not_started_until_the_first_planned_date_passes() -> None:
    ms = plan(0)
    assert status(ms, D0 - timedelta(days=30)) == "not_started"
    assert status(ms, D0) == "not_started"  # due today is not yet late
    assert status(ms, D0 + timedelta(days=1)) == "late"


def test_on_track_then_late_when_a_planned_date_passes_without_actual() -> None:
    ms = plan(3)  # done up to tendering's predecessor (design)
    tendering_due = D0 + timedelta(days=90)
    assert status(ms, tendering_due - timedelta(days=20)) == "on_track"
    assert status(ms, tendering_due) == "on_track"
    assert status(ms, tendering_due + timedelta(days=1)) == "late"


def test_at_risk_when_due_within_14_days_with_predecessor_open() -> None:
    ms = plan(2)  # design (i=2) open, tendering (i=3) due D0+90
    design_due = D0 + timedelta(days=60)
    ms = [
        m if m.kind != "design" else MilestoneDates("design", design_due + timedelta(days=20), None)
        for m in ms
    ]
    tendering_due = D0 + timedelta(days=90)
    assert status(ms, tendering_due - timedelta(days=15)) == "on_track"
    assert status(ms, tendering_due - timedelta(days=14)) == "at_risk"
    assert status(ms, design_due + timedelta(days=20)) == "at_risk"
    assert status(ms, design_due + timedelta(days=21)) == "late"


def test_due_soon_with_predecessor_done_is_not_at_risk() -> None:
    ms = plan(3)
    assert status(ms, D0 + timedelta(days=85)) == "on_track"


def test_spending_ahead_of_progress_by_more_than_20_points() -> None:
    ms = plan(5)  # 5+5+10+5+10 = 35 %
    today = D0 + timedelta(days=140)
    assert status(ms, today, spent=55) == "on_track"  # exactly 20 points: not more
    assert status(ms, today, spent=56) == "at_risk"
    assert status(ms, today, spent=56, override=Decimal("40")) == "on_track"
    assert status(ms, today, budget=0, spent=56) == "on_track"


def test_completed_wins_over_everything() -> None:
    ms = plan(8)
    assert status(ms, D0 + timedelta(days=400), spent=500) == "completed"
    p = derive(milestones=ms, weights=W, budget_total=Decimal(1), spent_to_date=Decimal(0),
               progress_override=None, today=D0 + timedelta(days=400))  # fmt: skip
    assert p.progress == Decimal("100.0") and p.next_milestone is None


def test_actual_after_today_does_not_count_yet() -> None:
    ms = plan(4)
    today = D0 + timedelta(days=60)  # tendering's actual (D0+90) is after today
    d = derive(milestones=ms, weights=W, budget_total=Decimal(100), spent_to_date=Decimal(0),
               progress_override=None, today=today)  # fmt: skip
    assert d.milestones_done == 3 and d.next_milestone == "tendering"
    assert d.progress == Decimal("20.0")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("朝阳山", "on_track"),
        ("九哈家", "late"),
        ("七里店", "at_risk"),
        ("寿乐", "on_track"),
        ("汉庄", "on_track"),
        ("文化街", "at_risk"),
        ("新乐西街", "not_started"),
        ("水磨营", "late"),
        ("古城西街", "not_started"),
    ],
)
def test_demo_projects_seen_from_late_november(db: Session, name: str, expected: str) -> None:
    got = db.execute(
        sa.text("SELECT status FROM project_overview_at(:t) WHERE name LIKE :n || '%'"),
        {"t": date(2026, 11, 26), "n": name},
    ).scalar_one()
    assert got == expected


def test_demo_spans_the_plan_years_and_funding_sources(db: Session) -> None:
    years = db.execute(
        sa.text("SELECT DISTINCT extract(year FROM planned_date)::int FROM project_milestones")
    ).scalars()
    assert set(years) >= {2025, 2026, 2027}
    sources = set(db.execute(sa.text("SELECT DISTINCT source FROM project_funding")).scalars())
    assert sources == {"budget", "enterprise", "donation", "lottery"}
    gaps = db.execute(
        sa.text(
            "SELECT count(*) FROM projects p WHERE plan_group IS NOT NULL AND budget_total <> (SELECT sum(amount) "
            "FROM project_funding f WHERE f.project_id = p.id)"
        )
    ).scalar_one()
    assert gaps == 1  # 水磨营 still has a funding gap
    bad = db.execute(
        sa.text("SELECT count(*) FROM project_milestones WHERE actual_date > CURRENT_DATE")
    ).scalar_one()
    assert bad == 0
