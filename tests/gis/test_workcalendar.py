"""Tests for working-hours deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.workcalendar import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.from_csv()


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


# -- add_working_hours ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2025, 3, 10, 9, 0), 1, at(2025, 3, 10, 10, 0)),  # plain Monday morning
        (at(2025, 3, 10, 11, 0), 2, at(2025, 3, 10, 15, 30)),  # across the lunch break
        (at(2025, 3, 10, 11, 0), 1, at(2025, 3, 10, 12, 0)),  # ends exactly at period end
        (at(2025, 3, 10, 12, 45), 1, at(2025, 3, 10, 15, 30)),  # starts in the lunch break
        (at(2025, 3, 10, 7, 0), 1, at(2025, 3, 10, 9, 30)),  # starts before work
        (at(2025, 3, 10, 17, 0), 2, at(2025, 3, 11, 9, 30)),  # overnight
        (at(2025, 3, 10, 20, 0), 7, at(2025, 3, 11, 18, 0)),  # a whole working day
        (at(2025, 3, 7, 17, 0), 2, at(2025, 3, 10, 9, 30)),  # over a weekend
        (at(2025, 3, 8, 10, 0), 1, at(2025, 3, 10, 9, 30)),  # starts on a Saturday
        (at(2025, 4, 3, 17, 0), 2, at(2025, 4, 7, 9, 30)),  # Qingming 4-6 April
        (at(2025, 1, 27, 17, 0), 2, at(2025, 2, 5, 9, 30)),  # Spring Festival 28 Jan-4 Feb
        (at(2025, 2, 7, 17, 0), 2, at(2025, 2, 8, 9, 30)),  # make-up Saturday 8 Feb
        (at(2025, 1, 24, 17, 0), 2, at(2025, 1, 26, 9, 30)),  # make-up Sunday 26 Jan
        (at(2026, 9, 30, 17, 0), 2, at(2026, 10, 8, 9, 30)),  # National Day 2026
        (at(2025, 3, 10, 8, 30), 35, at(2025, 3, 14, 18, 0)),  # one working week
        (at(2025, 3, 10, 9, 0), 0.5, at(2025, 3, 10, 9, 30)),  # fractional hours
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    result = CAL.add_working_hours(start, hours)
    assert result == expected
    assert result.tzinfo == TZ


def test_zero_hours_returns_start() -> None:
    saturday = at(2025, 3, 8, 10, 0)
    assert CAL.add_working_hours(saturday, 0) == saturday
    assert CAL.working_hours_between(saturday, saturday) == 0.0


def test_other_time_zone_in_shanghai_out() -> None:
    start = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    result = CAL.add_working_hours(start, 1)
    assert result == at(2025, 3, 10, 10, 0)
    assert result.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("hours", [-1, -0.001, float("nan"), float("inf")])
def test_bad_hours_refused(hours: float) -> None:
    with pytest.raises(ValueError, match="hours"):
        CAL.add_working_hours(at(2025, 3, 10, 9), hours)
    with pytest.raises(ValueError, match="hours"):
        CAL.add_calendar_hours(at(2025, 3, 10, 9), hours)


def test_naive_datetimes_refused() -> None:
    naive = datetime(2025, 3, 10, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_hours(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.working_hours_between(naive, at(2025, 3, 10, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.working_hours_between(at(2025, 3, 10, 10), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_calendar_hours(naive, 1)


def test_no_working_time_at_all() -> None:
    cal = WorkCalendar(weekend=range(7))
    with pytest.raises(ValueError, match="no working time"):
        cal.add_working_hours(at(2025, 3, 10, 9), 1)


# -- working_hours_between --------------------------------------------------------------


def test_working_hours_between() -> None:
    assert CAL.working_hours_between(at(2025, 3, 10, 11), at(2025, 3, 10, 15, 30)) == 2.0
    assert CAL.working_hours_between(at(2025, 3, 10, 0), at(2025, 3, 11, 0)) == 7.0
    assert CAL.working_hours_between(at(2025, 3, 10), at(2025, 3, 17)) == 35.0
    assert (
        CAL.working_hours_between(at(2025, 9, 29), at(2025, 10, 13)) == 7.0 * 5
    )  # 29-30 Sep, 9-11 Oct
    # overdue: deadline Friday 17:00, now Monday 09:00 -> 1.5 working hours late
    assert CAL.working_hours_between(at(2025, 3, 7, 17), at(2025, 3, 10, 9)) == 1.5
    assert CAL.working_hours_between(at(2025, 3, 10, 9), at(2025, 3, 7, 17)) == -1.5


def test_add_calendar_hours() -> None:
    assert CAL.add_calendar_hours(at(2025, 10, 1, 23), 2) == at(2025, 10, 2, 1)
    assert CAL.add_calendar_hours(datetime(2025, 1, 1, tzinfo=UTC), 0).tzinfo == TZ


# -- calendar data ----------------------------------------------------------------------


def test_shipped_holidays() -> None:
    assert date(2025, 10, 6) in CAL.holidays  # Mid-Autumn inside National Day 2025
    assert date(2026, 2, 17) in CAL.holidays  # Spring Festival 2026
    assert {date(2025, 9, 28), date(2025, 10, 11), date(2026, 2, 14)} <= CAL.makeup_workdays
    assert not CAL.is_workday(date(2025, 5, 1))
    assert CAL.is_workday(date(2025, 4, 27))  # a Sunday make-up day
    for year in (2025, 2026):
        days = (date(year, 1, 1) + timedelta(i) for i in range(365))
        assert sum(CAL.is_workday(d) for d in days) == 248


def test_is_working_time() -> None:
    assert CAL.is_working_time(at(2025, 3, 10, 8, 30))
    assert not CAL.is_working_time(at(2025, 3, 10, 12, 0))
    assert not CAL.is_working_time(at(2025, 3, 8, 10, 0))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("2025-01-01,holiday\n2025-13-01,holiday\n", "bad date"),
        ("2025-01-01,holiday\n2025-01-02,vacation\n", "kind must be"),
        ("2025-01-01,holiday\n2025-01-01,workday\n", "listed twice"),
    ],
)
def test_from_csv_bad_rows(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text("# comment\ndate,kind\n" + body, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        WorkCalendar.from_csv(path)
    assert f"{path}:4" in str(info.value)


def test_from_csv_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("day,kind\n2025-01-01,holiday\n", encoding="utf-8")
    with pytest.raises(ValueError, match="date,kind"):
        WorkCalendar.from_csv(path)


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((time(12), time(8)),),
        ((time(8), time(12)), (time(11), time(14))),
    ],
)
def test_bad_work_periods(periods: tuple[tuple[time, time], ...]) -> None:
    with pytest.raises(ValueError, match="work"):
        WorkCalendar(work_periods=periods)


def test_holiday_and_makeup_conflict() -> None:
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(holidays={date(2025, 1, 1)}, makeup_workdays={date(2025, 1, 1)})


# -- properties -------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2024, 12, 1), max_value=date(2026, 12, 31))


@st.composite
def working_moments(draw: st.DrawFn) -> datetime:
    day = draw(DAYS.filter(CAL.is_workday))
    p_start, p_end = draw(st.sampled_from(CAL.work_periods))
    start = datetime.combine(day, p_start, tzinfo=TZ)
    length = datetime.combine(day, p_end, tzinfo=TZ) - start
    offset = draw(st.integers(0, int(length.total_seconds()) - 1))
    return start + timedelta(seconds=offset)


HOURS = st.floats(min_value=0, max_value=400, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(a=working_moments(), h=HOURS)
def test_between_inverts_add_in_working_time(a: datetime, h: float) -> None:
    assert abs(CAL.working_hours_between(a, CAL.add_working_hours(a, h)) - h) * 3600 < 1


@settings(max_examples=100, deadline=None)
@given(day=DAYS, minute=st.integers(0, 24 * 60 - 1), h=HOURS)
def test_between_inverts_add_anywhere(day: date, minute: int, h: float) -> None:
    a = datetime.combine(day, time(), tzinfo=TZ) + timedelta(minutes=minute)
    end = CAL.add_working_hours(a, h)
    assert end >= a
    assert abs(CAL.working_hours_between(a, end) - h) * 3600 < 1


@settings(max_examples=100, deadline=None)
@given(a=working_moments(), h1=HOURS, h2=HOURS)
def test_add_is_monotonic(a: datetime, h1: float, h2: float) -> None:
    lo, hi = sorted((h1, h2))
    assert CAL.add_working_hours(a, lo) <= CAL.add_working_hours(a, hi)
