"""Checks shared by the spatial queries: every bad value is refused naming its parameter."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.models.facilities import FACILITY_KINDS

#: Local time of the district: days, weeks and months are counted in it.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
MAX_WINDOW_DAYS = 3 * 366 + 1


def facility_kind(kind: str | None, *, field: str = "kind", required: bool = False) -> str | None:
    """A known facility kind (see ``gis.models.facilities.FACILITY_KINDS``), or ``None``."""
    if kind is None or kind == "":
        if required:
            raise InvalidInput("缺少设施类型 (facility kind is required)", field=field)
        return None
    if kind not in FACILITY_KINDS:
        raise InvalidInput(
            f"未知设施类型 (unknown facility kind) {kind!r}; known: {', '.join(FACILITY_KINDS)}",
            field=field,
        )
    return kind


def int_in(value: int, *, field: str, lo: int, hi: int) -> int:
    """An integer within ``lo..hi``."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(
            f"参数 {field} 应在 {lo}–{hi} 之间 (must be an integer in {lo}…{hi}), got {value!r}",
            field=field,
        )
    return value


def number_in(value: float, *, field: str, lo: float, hi: float, lo_open: bool = False) -> float:
    """A finite number within ``lo..hi`` (``lo`` excluded when ``lo_open``)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (lo < value if lo_open else lo <= value) and value <= hi
    if not ok:
        lo_txt = f"> {lo:g}" if lo_open else f"≥ {lo:g}"
        raise InvalidInput(
            f"参数 {field} 应 {lo_txt} 且 ≤ {hi:g} (must be {lo_txt} and ≤ {hi:g}), got {value!r}",
            field=field,
        )
    return float(value)


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.start - (self.end - self.start), self.start)


def _as_utc(value: date | datetime, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)).astimezone(UTC)
    day = value + timedelta(days=1) if end else value  # a date as ``end`` includes that day
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)


def window(
    start: date | datetime | None,
    end: date | datetime | None,
    *,
    default_days: int = 30,
    now: datetime | None = None,
) -> Window:
    """Build and check a time window.

    Dates are local (Asia/Shanghai) days; a date given as ``end`` includes that day.
    Without ``end`` the window ends now; without ``start`` it spans ``default_days``.

    Raises
    ------
    InvalidInput
        ``end`` not after ``start`` (field ``end``), or a window over three years
        (field ``start``).
    """
    now = now or datetime.now(UTC)
    e = _as_utc(end, end=True) if end is not None else now
    s = _as_utc(start, end=False) if start is not None else e - timedelta(days=default_days)
    if e <= s:
        raise InvalidInput(
            f"结束时间须晚于开始时间 (end must be after start): start={s.isoformat()}, "
            f"end={e.isoformat()}",
            field="end",
        )
    if (e - s).days > MAX_WINDOW_DAYS:
        raise InvalidInput(
            f"时间窗口过长 (window longer than {MAX_WINDOW_DAYS} days)", field="start"
        )
    return Window(s, e)


def parse_when(text: str | None, *, field: str) -> date | datetime | None:
    """Parse an ISO date (``2026-11-01``) or date-time; ``None``/empty stays ``None``."""
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"无效日期时间 (not an ISO date or date-time): {text!r}", field=field
        ) from None


def window_from_text(start: str | None, end: str | None, *, default_days: int = 30) -> Window:
    """:func:`window` from ISO strings (query parameters)."""
    return window(
        parse_when(start, field="start"), parse_when(end, field="end"), default_days=default_days
    )


def parent_prefix(bind: Session | Connection, parent: str | None) -> str:
    """The grid-code prefix of a township (9 digits) or community (12); the district's when
    ``None``.

    Raises
    ------
    InvalidInput
        Not a 12-digit code (field ``parent``).
    NotFound
        No such current unit.
    """
    if parent is None:
        return "630202"
    if not (parent.isdigit() and len(parent) == 12):
        raise InvalidInput(
            f"上级区划代码应为 12 位数字 (parent must be 12 digits): {parent!r}", field="parent"
        )
    level = bind.execute(
        sa.text("SELECT level FROM admin_units WHERE code = :c AND valid_to IS NULL"), {"c": parent}
    ).scalar()
    if level is None:
        raise NotFound(f"未知区划 (unknown unit): {parent}", field="parent")
    return {3: "630202", 4: parent[:9], 5: parent}[int(level)]
