"""Case numbers ``630202-YYYYMMDD-NNNN``, numbered per Beijing day.

Each day has its own sequence ``case_no_seq_YYYYMMDD``, created on first use and started
after the highest number already stored for that day, so numbers of loaded or imported
cases are never reused. A sequence hands out numbers without locking anything that other
reports wait on; a report that fails after taking its number leaves a gap.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gis.cases.prepared import Bind

DISTRICT = "630202"
BEIJING = ZoneInfo("Asia/Shanghai")
_DAY = re.compile(r"^[0-9]{8}$")

# Create-if-missing under a transaction-level advisory lock (two first reports of a day do
# not both try), then move the sequence past any stored number (imports may add some).
_ENSURE = sa.text("""
    SELECT pg_advisory_xact_lock(1818323315);
    CREATE SEQUENCE IF NOT EXISTS {seq} MINVALUE 1;
    SELECT setval('{seq}', greatest(
        (SELECT coalesce(max(split_part(case_no, '-', 3)::bigint), 0) FROM cases
          WHERE case_no LIKE '{prefix}%' AND case_no ~ '^630202-[0-9]{{8}}-[0-9]+$'),
        (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {seq}),
        1), true);
""")
_SEEDED: set[str] = set()


def day_of(moment: datetime) -> str:
    """The Beijing calendar day of ``moment`` as ``YYYYMMDD``."""
    return moment.astimezone(BEIJING).strftime("%Y%m%d")


def sequence_name(day: str) -> str:
    """The sequence of ``day`` (``YYYYMMDD``, checked: it becomes part of SQL text)."""
    if not _DAY.match(day):
        raise ValueError(f"not a day YYYYMMDD: {day!r}")
    return f"case_no_seq_{day}"


def known_day(day: str) -> bool:
    """Whether this process has made sure of ``day``'s sequence already."""
    return day in _SEEDED


def sequence_lost(exc: BaseException, day: str) -> bool:
    """Whether ``exc`` says ``day``'s sequence is gone (the database was restored or
    recreated under this process); if so, forget it, so that it is made again."""
    orig = getattr(exc, "orig", None)
    gone = getattr(orig, "pgcode", None) == "42P01" and sequence_name(day) in str(orig)
    if gone:
        _SEEDED.discard(day)
    return gone


def ensure_day(*, bind: Bind, day: str) -> str:
    """Make sure the number sequence of ``day`` exists; returns its name.

    Remembered per process, so the lookup of stored numbers runs once per day. Commits
    its own short transaction (the caller must have none open).
    """
    seq = sequence_name(day)
    if day in _SEEDED:
        return seq
    exists = bind.execute(sa.text("SELECT to_regclass(:s) IS NOT NULL"), {"s": seq}).scalar()
    if not exists:
        sql = _ENSURE.text.format(seq=seq, prefix=f"{DISTRICT}-{day}-")
        bind.execute(sa.text(sql))
    bind.commit()
    if len(_SEEDED) > 64:
        _SEEDED.clear()
    _SEEDED.add(day)
    return seq
