"""Deadlines of dispatched cases: the category's SLA in working hours (calendar hours for
emergencies), counted on the district's working calendar."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from gis.taxonomy import EMERGENCY_CLASS
from gis.workcalendar import WorkCalendar


@lru_cache(maxsize=1)
def calendar() -> WorkCalendar:
    """The district's working calendar (read once)."""
    return WorkCalendar.from_csv()


def is_emergency(category_code: str) -> bool:
    """突发事件 run on calendar hours: the clock does not stop at night."""
    return category_code[:2] == EMERGENCY_CLASS


def add_hours(
    start: datetime, hours: float | Decimal, *, category_code: str, cal: WorkCalendar | None = None
) -> datetime:
    """``start`` plus ``hours`` of the category's clock.

    Examples
    --------
    A 24-working-hour SLA dispatched on Friday 16:00 ends on Tuesday (weekend skipped):

    >>> from zoneinfo import ZoneInfo
    >>> t = datetime(2026, 11, 27, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    >>> add_hours(t, 24, category_code="0102").strftime("%a %H:%M")  # doctest: +SKIP
    'Tue 16:00'
    """
    cal = cal or calendar()
    h = float(hours)
    if is_emergency(category_code):
        return cal.add_calendar_hours(start, h)
    return cal.add_working_hours(start, h)


def hours_between(
    a: datetime, b: datetime, *, category_code: str, cal: WorkCalendar | None = None
) -> float:
    """Hours of the category's clock from ``a`` to ``b`` (used to pause for suspension)."""
    cal = cal or calendar()
    if is_emergency(category_code):
        return (b - a).total_seconds() / 3600
    return cal.working_hours_between(a, b)
