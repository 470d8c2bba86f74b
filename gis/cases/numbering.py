"""Case numbers ``630202-YYYYMMDD-NNNN``, numbered per Beijing day.

The counter row of the day is created on first use from the highest number already
stored for that day, so numbers of loaded or imported cases are never reused. The row is
locked by the increment until the surrounding transaction ends: a rolled-back report
leaves no gap and two reports never get the same number.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

DISTRICT = "630202"
BEIJING = ZoneInfo("Asia/Shanghai")

_BUMP = sa.text("UPDATE case_counters SET last = last + 1 WHERE day = :day RETURNING last")
_SEED = sa.text("""
    INSERT INTO case_counters (day, last)
    SELECT :day, coalesce(max(split_part(case_no, '-', 3)::int), 0) + 1
    FROM cases WHERE case_no LIKE :prefix AND case_no ~ '^630202-[0-9]{8}-[0-9]+$'
    ON CONFLICT (day) DO UPDATE SET last = case_counters.last + 1
    RETURNING last
""")


def day_of(moment: datetime) -> str:
    """The Beijing calendar day of ``moment`` as ``YYYYMMDD``."""
    return moment.astimezone(BEIJING).strftime("%Y%m%d")


def next_case_no(*, session: Session, at: datetime) -> str:
    """Take the next number of the day of ``at`` (inside the caller's transaction).

    Examples
    --------
    >>> next_case_no(session=s, at=datetime(2026, 11, 26, 3, tzinfo=UTC))  # doctest: +SKIP
    '630202-20261126-0042'
    """
    day = day_of(at)
    n = session.execute(_BUMP, {"day": day}).scalar()
    if n is None:
        n = session.execute(_SEED, {"day": day, "prefix": f"{DISTRICT}-{day}-%"}).scalar_one()
    return f"{DISTRICT}-{day}-{int(n):04d}"
