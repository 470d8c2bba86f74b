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

_ENSURE = sa.text("""
    INSERT INTO case_counters (day, last)
    SELECT :day, coalesce(max(split_part(case_no, '-', 3)::int), 0)
    FROM cases WHERE case_no LIKE :prefix AND case_no ~ '^630202-[0-9]{8}-[0-9]+$'
    ON CONFLICT (day) DO NOTHING
""")
_SEEDED: set[str] = set()


def day_of(moment: datetime) -> str:
    """The Beijing calendar day of ``moment`` as ``YYYYMMDD``."""
    return moment.astimezone(BEIJING).strftime("%Y%m%d")


def ensure_day(*, session: Session, day: str) -> None:
    """Make sure the counter row of ``day`` exists (seeded from stored numbers).

    Remembered per process, so the lookup of stored numbers runs once per day; the
    insert itself does not lock anything that other reports wait on.
    """
    if day in _SEEDED:
        return
    exists = session.execute(
        sa.text("SELECT 1 FROM case_counters WHERE day = :day"), {"day": day}
    ).first()
    if exists is None:
        session.execute(_ENSURE, {"day": day, "prefix": f"{DISTRICT}-{day}-%"})
        session.commit()
    _SEEDED.add(day)
    if len(_SEEDED) > 64:
        _SEEDED.clear()
