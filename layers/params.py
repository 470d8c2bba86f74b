"""Parsing of OGC API query parameters; every refusal names the parameter it is about."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from gis.errors import InvalidInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_OFFSET = 10_000_000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CRS84_ALIASES = {
    CRS84,
    "CRS84",
    "OGC:CRS84",
    "EPSG:4326",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
}
_INT = re.compile(r"^[+-]?\d{1,30}$")


@dataclass(frozen=True)
class Interval:
    """A closed time interval; ``None`` ends are open (``..``)."""

    start: datetime | None
    end: datetime | None


def _bad(field: str, what: str, value: str) -> InvalidInput:
    shown = value if len(value) <= 80 else value[:80] + "…"
    return InvalidInput(f"参数 {field} 无效 (invalid {field}): {what}: {shown!r}", field=field)


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` (CRS84; 6 numbers: heights are ignored)."""
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise _bad("bbox", "应为4个数 (expected 4 numbers: minLon,minLat,maxLon,maxLat)", text)
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise _bad("bbox", "不是数字 (not a number)", text) from None
    if not all(math.isfinite(n) for n in nums):
        raise _bad("bbox", "含 NaN 或无穷 (NaN or infinite)", text)
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    x0, y0, x1, y1 = nums
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise _bad("bbox", "超出经纬度范围 (outside ±180/±90)", text)
    if x0 > x1 or y0 > y1:
        raise _bad("bbox", "最小值大于最大值 (min greater than max)", text)
    return x0, y0, x1, y1


def check_crs(text: str | None, *, field: str) -> None:
    if text is not None and text.strip() not in CRS84_ALIASES:
        raise _bad(field, f"只支持 CRS84 (only {CRS84} is supported)", text)


def _instant(text: str, *, end: bool) -> datetime:
    t = text.strip()
    try:
        if len(t) == 10:
            d = date.fromisoformat(t)
            dt = datetime(d.year, d.month, d.day, tzinfo=UTC)
            return dt + timedelta(days=1) - timedelta(microseconds=1) if end else dt
        dt = datetime.fromisoformat(t.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _bad("datetime", "不是 RFC 3339 时间 (not an RFC 3339 date-time)", text) from None
    if "T" not in t.upper():
        raise _bad("datetime", "不是 RFC 3339 时间 (not an RFC 3339 date-time)", text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_datetime(text: str | None) -> Interval | None:
    """An instant (a date means the whole day) or an interval ``a/b`` with ``..`` for open."""
    if text is None:
        return None
    if "/" in text:
        parts = text.split("/")
        if len(parts) != 2:
            raise _bad("datetime", "区间格式应为 a/b (interval must be start/end)", text)
        a, b = (p.strip() for p in parts)
        start = None if a in ("", "..") else _instant(a, end=False)
        end = None if b in ("", "..") else _instant(b, end=True)
        if start is None and end is None:
            raise _bad("datetime", "区间两端均为开放 (both ends open)", text)
        if start and end and start > end:
            raise _bad("datetime", "开始晚于结束 (start after end)", text)
        return Interval(start, end)
    if len(text.strip()) == 10:
        return Interval(_instant(text, end=False), _instant(text, end=True))
    at = _instant(text, end=False)
    return Interval(at, at)


def parse_limit(text: str | None) -> int:
    """1 … 10,000; larger values are clamped to the maximum, as OGC API – Features says."""
    if text is None:
        return DEFAULT_LIMIT
    if not _INT.match(text.strip()):
        raise _bad("limit", "应为正整数 (must be a positive integer)", text)
    n = int(text)
    if n < 1:
        raise _bad("limit", "应至少为 1 (must be at least 1)", text)
    return min(n, MAX_LIMIT)


def parse_offset(text: str | None) -> int:
    if text is None:
        return 0
    if not _INT.match(text.strip()):
        raise _bad("offset", "应为非负整数 (must be a non-negative integer)", text)
    n = int(text)
    if n < 0:
        raise _bad("offset", "不能为负 (must not be negative)", text)
    if n > MAX_OFFSET:
        raise _bad("offset", f"不能超过 {MAX_OFFSET} (too large; narrow the query)", text)
    return n


def parse_names(text: str | None, *, field: str, allowed: set[str]) -> list[str] | None:
    """A comma-separated list of property names, each one of ``allowed``."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise _bad(
            field, f"未知属性 (unknown property; known: {', '.join(sorted(allowed))})", unknown[0]
        )
    return names


def parse_sortby(text: str | None, *, allowed: set[str]) -> list[tuple[str, bool]]:
    """``+name,-reported_at`` → [(name, ascending)]."""
    if text is None:
        return []
    out = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            raise _bad("sortby", "空的排序项 (empty sort key)", text)
        asc = not item.startswith("-")
        name = item.lstrip("+-").strip()
        if " " in name:  # 'name DESC' style
            name, _, direction = name.partition(" ")
            if direction.strip().upper() not in ("ASC", "DESC"):
                raise _bad("sortby", "排序方向应为 ASC/DESC (direction must be ASC or DESC)", item)
            asc = direction.strip().upper() == "ASC"
        if name not in allowed:
            raise _bad(
                "sortby",
                f"不可排序的属性 (not sortable; sortable: {', '.join(sorted(allowed))})",
                name,
            )
        out.append((name, asc))
    return out


def convert(value: str, *, type_: str, field: str) -> object:
    """A query-string value converted to a property's type (for simple equality filters)."""
    try:
        if type_ == "integer":
            if not _INT.match(value.strip()):
                raise ValueError
            return int(value)
        if type_ == "number":
            f = float(value)
            if not math.isfinite(f):
                raise ValueError
            return f
        if type_ == "boolean":
            if value.lower() not in ("true", "false"):
                raise ValueError
            return value.lower() == "true"
        if type_ == "datetime":
            return _instant(value, end=False)
    except ValueError:
        raise _bad(field, f"应为 {type_} (expected {type_})", value) from None
    return value
