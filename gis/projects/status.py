"""Derived progress and status of a construction project.

The same rules are written twice: here in Python (for single projects, explanations and tests)
and in SQL as ``project_status_at(today)`` (migration ``0004_projects``) for the register, the
portfolio and the map layer. ``tests/gis/projects/test_status_equivalence.py`` checks on many
generated projects and dates that both give the same answer.

Rules, for a given ``today``:

- a milestone is *done* when it has an actual date on or before ``today``;
- progress = weight of the done milestones / weight of all the project's milestones × 100,
  rounded to 0.1, unless a reported figure overrides it;
- **completed**: the ``in_service`` milestone is done, or every milestone is;
- **late**: a milestone's planned date is before ``today`` and it is not done;
- **at risk**: a milestone not done is due within 14 days (``today`` … ``today + 14``) while
  its predecessor is not done, or the share of the budget spent is more than 20 points ahead
  of progress;
- **not started**: no milestone done;
- **on track**: otherwise.

The first matching rule in that order wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from gis.models.projects import MILESTONES
from gis.projects.config import AT_RISK_WINDOW_DAYS, SPENDING_AHEAD_POINTS

STATUSES: dict[str, str] = {
    "not_started": "未开工",
    "on_track": "正常推进",
    "at_risk": "存在风险",
    "late": "滞后",
    "completed": "已完成",
}
ORDER = list(MILESTONES)
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class MilestoneDates:
    """The dates of one milestone."""

    kind: str
    planned_date: date | None
    actual_date: date | None


@dataclass(frozen=True)
class Derived:
    """What the rules say about a project on one day, and why."""

    status: str
    progress: Decimal
    progress_derived: Decimal
    spent_pct: Decimal | None
    milestones_done: int
    milestones_total: int
    next_milestone: str | None
    next_due: date | None
    days_late: int | None
    reasons: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


def _round1(x: Decimal) -> Decimal:
    return x.quantize(TENTH, rounding=ROUND_HALF_UP)


def derive(
    *,
    milestones: Sequence[MilestoneDates],
    weights: Mapping[str, Decimal],
    budget_total: Decimal,
    spent_to_date: Decimal,
    progress_override: Decimal | None,
    today: date,
) -> Derived:
    """Derive status and progress of one project on ``today``.

    Parameters
    ----------
    milestones
        The project's milestones (any order; only the kinds present count).
    weights
        Milestone kind → weight (``project_milestone_weights``).
    budget_total, spent_to_date
        Money; the spent share is compared with progress.
    progress_override
        A reported progress figure that replaces the derived one, or ``None``.
    today
        The day to judge on (pass it explicitly; the views use the date in Ledu).

    Returns
    -------
    Derived
        Status, progress and the reasons behind the status (Chinese, for people).

    Examples
    --------
    >>> ms = [MilestoneDates("site_selection", date(2026, 1, 1), date(2026, 1, 5)),
    ...       MilestoneDates("approval", date(2026, 2, 1), None)]
    >>> w = {"site_selection": Decimal(5), "approval": Decimal(5)}
    >>> d = derive(milestones=ms, weights=w, budget_total=Decimal(100),
    ...            spent_to_date=Decimal(0), progress_override=None, today=date(2026, 3, 1))
    >>> d.status, d.progress
    ('late', Decimal('50.0'))
    """
    ms = sorted(milestones, key=lambda m: ORDER.index(m.kind))
    done = [m.actual_date is not None and m.actual_date <= today for m in ms]
    w_all = sum((weights.get(m.kind, Decimal(0)) for m in ms), Decimal(0))
    w_done = sum(
        (weights.get(m.kind, Decimal(0)) for m, d in zip(ms, done, strict=True) if d), Decimal(0)
    )
    derived = _round1(100 * w_done / w_all) if w_all > 0 else Decimal("0.0")
    progress = Decimal(progress_override) if progress_override is not None else derived
    spent_pct = _round1(100 * spent_to_date / budget_total) if budget_total > 0 else None

    reasons: list[str] = []
    late = [
        m
        for m, d in zip(ms, done, strict=True)
        if not d and m.planned_date and m.planned_date < today
    ]
    days_late = max((today - m.planned_date).days for m in late if m.planned_date) if late else None
    horizon = today + timedelta(days=AT_RISK_WINDOW_DAYS)
    blocked = [
        m
        for i, (m, d) in enumerate(zip(ms, done, strict=True))
        if i > 0
        and not d
        and not done[i - 1]
        and m.planned_date is not None
        and today <= m.planned_date <= horizon
    ]
    spending_ahead = spent_pct is not None and spent_pct - progress > SPENDING_AHEAD_POINTS
    pending = [m for m, d in zip(ms, done, strict=True) if not d]
    completed = bool(ms) and (
        all(done) or any(d and m.kind == "in_service" for m, d in zip(ms, done, strict=True))
    )

    if completed:
        status = "completed"
    elif late:
        status = "late"
        reasons += [f"{MILESTONES[m.kind]}计划 {m.planned_date} 已过，尚未完成" for m in late]
    elif blocked or spending_ahead:
        status = "at_risk"
        reasons += [
            f"{MILESTONES[m.kind]}将于 {m.planned_date} 到期，前一环节尚未完成" for m in blocked
        ]
        if spending_ahead:
            reasons.append(f"支出进度 {spent_pct}% 超过工程进度 {progress}% 20 个百分点以上")
    elif not any(done):
        status = "not_started"
    else:
        status = "on_track"
    return Derived(
        status=status,
        progress=progress,
        progress_derived=derived,
        spent_pct=spent_pct,
        milestones_done=sum(done),
        milestones_total=len(ms),
        next_milestone=pending[0].kind if pending else None,
        next_due=pending[0].planned_date if pending else None,
        days_late=days_late,
        reasons=reasons,
    )
