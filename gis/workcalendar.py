"""Working-hours calendar for case deadlines (按工作时计时).

A case's deadline clock starts at dispatch and counts only working time: the daily work
periods (08:30–12:00 and 14:30–18:00 by default) of working days. A working day is a
weekday that is not a public holiday, or a make-up working day (调休上班) even if it falls
on a weekend. Holidays and make-up days are read from ``data/holidays.csv``.

The shipped ``data/holidays.csv`` holds the 2025 and 2026 arrangements of the State Council
General Office notices (国务院办公厅关于部分节假日安排的通知). It must be checked against
the official notice, and the next year added, each time one is published (usually in
November).

Examples
--------
>>> from datetime import datetime
>>> cal = WorkCalendar.from_csv()
>>> tz = cal.tz
>>> cal.add_working_hours(datetime(2025, 3, 7, 17, 0, tzinfo=tz), 2).isoformat()
'2025-03-10T09:30:00+08:00'
>>> cal.working_hours_between(datetime(2025, 3, 7, 17, 0, tzinfo=tz),
...                           datetime(2025, 3, 10, 9, 30, tzinfo=tz))
2.0
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

__all__ = ["DEFAULT_HOLIDAYS_PATH", "DEFAULT_WORK_PERIODS", "WorkCalendar"]

DEFAULT_HOLIDAYS_PATH = Path(__file__).resolve().parents[1] / "data" / "holidays.csv"
DEFAULT_WORK_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 30), time(18, 0)),
)
_SEARCH_DAYS = 3700  # give up looking for working time after ~10 years


def _check_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _check_hours(hours: float) -> timedelta:
    if not isinstance(hours, int | float) or isinstance(hours, bool):
        raise TypeError(f"hours must be a number, got {type(hours).__name__}")
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number >= 0, got {hours!r}")
    return timedelta(hours=hours)


class WorkCalendar:
    """Working days and hours of the district's offices.

    Parameters
    ----------
    work_periods : sequence of (time, time)
        Daily working periods in local time, increasing and not overlapping.
    weekend : iterable of int
        Weekday numbers of rest days (Monday = 0).
    holidays : set of date
        Public holidays (days off even on a weekday).
    makeup_workdays : set of date
        Make-up working days (调休上班), working even on a weekend.
    tz : ZoneInfo
        Local time zone of the work periods; results are returned in it.

    Raises
    ------
    ValueError
        On empty, reversed or overlapping work periods, a bad weekday number, or a date
        that is both a holiday and a make-up working day.
    """

    def __init__(
        self,
        work_periods: Iterable[tuple[time, time]] = DEFAULT_WORK_PERIODS,
        weekend: Iterable[int] = (5, 6),
        holidays: set[date] | frozenset[date] = frozenset(),
        makeup_workdays: set[date] | frozenset[date] = frozenset(),
        tz: ZoneInfo = ZoneInfo("Asia/Shanghai"),
    ) -> None:
        periods = tuple((start, end) for start, end in work_periods)
        if not periods:
            raise ValueError("work_periods must not be empty")
        previous_end: time | None = None
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("work_periods must be naive local times")
            if not start < end:
                raise ValueError(f"work period {start}-{end} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"work period {start}-{end} overlaps or is out of order")
            previous_end = end
        rest = frozenset(weekend)
        if not rest <= set(range(7)):
            raise ValueError(f"weekend days must be 0..6 (Monday = 0), got {sorted(rest)}")
        both = set(holidays) & set(makeup_workdays)
        if both:
            raise ValueError(f"dates both holiday and make-up workday: {sorted(both)}")
        self.work_periods = periods
        self.weekend = rest
        self.holidays = frozenset(holidays)
        self.makeup_workdays = frozenset(makeup_workdays)
        self.tz = tz

    @classmethod
    def from_csv(
        cls,
        path: Path | str | None = None,
        *,
        work_periods: Iterable[tuple[time, time]] = DEFAULT_WORK_PERIODS,
        weekend: Iterable[int] = (5, 6),
        tz: ZoneInfo = ZoneInfo("Asia/Shanghai"),
    ) -> WorkCalendar:
        """Build a calendar from a holidays CSV file.

        Parameters
        ----------
        path : Path or str, optional
            CSV with columns ``date,kind`` (ISO date; ``holiday`` or ``workday`` for a
            make-up working day); other columns are ignored, lines starting with ``#``
            are comments. Defaults to ``data/holidays.csv``.
        work_periods, weekend, tz
            As for :class:`WorkCalendar`.

        Raises
        ------
        ValueError
            On a missing column, a bad date or kind, or a date listed twice; the message
            names the file and line.
        """
        path = Path(path) if path is not None else DEFAULT_HOLIDAYS_PATH
        holidays: set[date] = set()
        workdays: set[date] = set()
        header: list[str] | None = None
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for lineno, text in enumerate(fh, start=1):
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                fields = [f.strip() for f in next(csv.reader([text]))]
                if header is None:
                    header = fields
                    if not {"date", "kind"} <= set(header):
                        raise ValueError(f"{path}:{lineno}: needs columns date,kind")
                    continue
                row = dict(zip(header, fields, strict=False))
                where = f"{path}:{lineno}"
                try:
                    day = date.fromisoformat(row.get("date", ""))
                except ValueError:
                    raise ValueError(f"{where}: bad date {row.get('date')!r}") from None
                kind = row.get("kind", "")
                if kind not in ("holiday", "workday"):
                    raise ValueError(f"{where}: kind must be holiday or workday, got {kind!r}")
                if day in holidays or day in workdays:
                    raise ValueError(f"{where}: date {day} listed twice")
                (holidays if kind == "holiday" else workdays).add(day)
        if header is None:
            raise ValueError(f"{path}: empty file, needs columns date,kind")
        return cls(
            work_periods=work_periods,
            weekend=weekend,
            holidays=holidays,
            makeup_workdays=workdays,
            tz=tz,
        )

    # -- days and periods -------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    def _periods_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Working periods of ``day`` as aware UTC datetimes (empty on a rest day)."""
        if not self.is_workday(day):
            return
        for start, end in self.work_periods:
            yield (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) falls inside a working period (start included)."""
        _check_aware("moment", moment)
        utc = moment.astimezone(UTC)
        day = moment.astimezone(self.tz).date()
        return any(s <= utc < e for s, e in self._periods_on(day))

    # -- arithmetic ---------------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Return the moment ``hours`` working hours after ``start``.

        Time outside the working periods is not counted: a start outside working time
        begins counting at the next working period. A deadline that falls exactly on the
        end of a period is that end (e.g. 12:00), not the start of the next one.

        Parameters
        ----------
        start : datetime
            Timezone-aware start (e.g. the dispatch time).
        hours : float
            Working hours to add, ``>= 0``. Zero returns ``start`` unchanged.

        Returns
        -------
        datetime
            Aware datetime in the calendar's time zone.

        Raises
        ------
        ValueError
            If ``start`` is naive, ``hours`` is negative or not finite, or no working
            time is found within about ten years.
        """
        _check_aware("start", start)
        remaining = _check_hours(hours)
        if remaining == timedelta(0):
            return start.astimezone(self.tz)
        cursor = start.astimezone(UTC)
        day = start.astimezone(self.tz).date()
        for _ in range(_SEARCH_DAYS):
            for p_start, p_end in self._periods_on(day):
                seg_start = max(p_start, cursor)
                if seg_start >= p_end:
                    continue
                available = p_end - seg_start
                if remaining <= available:
                    return (seg_start + remaining).astimezone(self.tz)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"no working time within {_SEARCH_DAYS} days after {start.isoformat()}")

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours from ``a`` to ``b``; negative if ``b`` is before ``a``.

        This is the inverse of :meth:`add_working_hours` and gives, e.g., "overdue by N
        working hours" as ``working_hours_between(deadline, now)``.

        Raises
        ------
        ValueError
            If ``a`` or ``b`` is naive.
        """
        _check_aware("a", a)
        _check_aware("b", b)
        if b < a:
            return -self.working_hours_between(b, a)
        lo, hi = a.astimezone(UTC), b.astimezone(UTC)
        day = a.astimezone(self.tz).date()
        last = b.astimezone(self.tz).date()
        total = timedelta(0)
        while day <= last:
            for p_start, p_end in self._periods_on(day):
                overlap = min(p_end, hi) - max(p_start, lo)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total / timedelta(hours=1)

    def add_calendar_hours(self, start: datetime, hours: float) -> datetime:
        """Return ``start`` plus ``hours`` elapsed (calendar) hours.

        For short emergency SLAs (e.g. 2 h for 突发事件) where the clock must not stop at
        night or on holidays.

        Raises
        ------
        ValueError
            If ``start`` is naive or ``hours`` is negative or not finite.
        """
        _check_aware("start", start)
        return (start.astimezone(UTC) + _check_hours(hours)).astimezone(self.tz)

    def __repr__(self) -> str:
        periods = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.work_periods)
        return (
            f"WorkCalendar(periods=[{periods}], weekend={sorted(self.weekend)}, "
            f"holidays={len(self.holidays)}, makeup_workdays={len(self.makeup_workdays)}, "
            f"tz={self.tz.key!r})"
        )
