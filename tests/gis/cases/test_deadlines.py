"""Deadlines count working hours across nights, weekends and holidays; emergencies do not stop."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from gis.cases.deadlines import add_hours, calendar, hours_between

BJ = ZoneInfo("Asia/Shanghai")


def test_friday_afternoon_runs_over_the_weekend() -> None:
    cal = calendar()
    start = datetime(2026, 11, 27, 16, 0, tzinfo=BJ)  # a Friday
    assert cal.is_workday(start.date())
    due = add_hours(start, 24, category_code="0102")
    assert due.weekday() not in (5, 6)
    assert due - start > timedelta(days=3)  # at least the weekend in between
    assert abs(hours_between(start, due, category_code="0102") - 24) < 1e-6


def test_evening_report_starts_next_morning() -> None:
    start = datetime(2026, 11, 25, 20, 0, tzinfo=BJ)  # Wednesday evening
    due = add_hours(start, 2, category_code="0102")
    assert due.date() == datetime(2026, 11, 26).date()
    assert calendar().is_working_time(due - timedelta(minutes=1))


def test_emergencies_run_on_calendar_hours() -> None:
    start = datetime(2026, 11, 28, 23, 0, tzinfo=BJ)  # Saturday night
    assert add_hours(start, 2, category_code="0503") == start + timedelta(hours=2)
    assert hours_between(start, start + timedelta(hours=2), category_code="0503") == 2


def test_national_day_holiday_is_skipped() -> None:
    cal = calendar()
    start = datetime(2026, 9, 30, 16, 0, tzinfo=BJ)
    due = add_hours(start, 8, category_code="0102")
    assert all(
        not cal.is_workday(start.date() + timedelta(days=d))
        for d in range(1, (due.date() - start.date()).days)
    )
    assert due.date() > datetime(2026, 10, 3).date()


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(BJ)
    ),
    hours=st.sampled_from([2, 4, 8, 24, 48, 72, 120]),
)
def test_deadline_is_later_and_round_trips(start: datetime, hours: int) -> None:
    due = add_hours(start, hours, category_code="0101")
    assert due >= start + timedelta(hours=hours)  # nights only add time
    assert abs(hours_between(start, due, category_code="0101") - hours) < 1e-6
