"""Case statistics read from covering indexes (index-only scans) instead of the case rows.

Revision ID: 0010_analysis_speed
Revises: 0009_analysis
Create Date: 2026-11-26

The KPIs of a window read two cohorts of cases — those *due* in it (by ``deadline_at``) and
those *reported* in it (by ``reported_at``) — plus today's overdue backlog. Each cohort
now has a B-tree keyed on its time column that also carries every column the statistics
read (``INCLUDE``), so PostgreSQL answers from the index alone, touching a quarter of a
narrow index instead of every page of the case table:

- ``cases_due_idx``: ``deadline_at`` (only dispatched cases have one, so a new report adds
  no entry), replacing ``cases_deadline_idx`` of 0009 (same key, still used by anything
  that selects on the deadline);
- ``cases_reported_cover_idx``: ``reported_at``, replacing ``cases_reported_idx`` of 0001
  (same key, so every query that used it can use this one; one index per case either way);
- ``cases_backlog_idx``: ``deadline_at`` of open, dispatched cases only (a few per cent of
  the table).

``cases_closed_idx`` of 0009 is dropped: no query selects cases by closing time.
No trigger is added to ``cases``.
"""

from __future__ import annotations

from alembic import op

revision = "0010_analysis_speed"
down_revision = "0009_analysis"
branch_labels = None
depends_on = None

#: Unit keys and filters of the statistics (gis.spatial.stats): grid/community/township,
#: department, category.
UNIT_COLUMNS = "grid_code, community_code, township_code, department_code, category_code"

UPGRADE = f"""
CREATE INDEX cases_due_idx ON cases (deadline_at)
    INCLUDE (state, closed_at, dispatched_at, rework_count, extension_count, {UNIT_COLUMNS})
    WHERE deadline_at IS NOT NULL;
DROP INDEX IF EXISTS cases_deadline_idx;
CREATE INDEX cases_reported_cover_idx ON cases (reported_at) INCLUDE (state, {UNIT_COLUMNS});
DROP INDEX IF EXISTS cases_reported_idx;
CREATE INDEX cases_backlog_idx ON cases (deadline_at) INCLUDE ({UNIT_COLUMNS})
    WHERE state IN ('dispatched', 'processing', 'responded');
DROP INDEX IF EXISTS cases_closed_idx;
ANALYZE cases;
"""

DOWNGRADE = """
CREATE INDEX IF NOT EXISTS cases_closed_idx ON cases (closed_at);
CREATE INDEX IF NOT EXISTS cases_reported_idx ON cases (reported_at);
CREATE INDEX IF NOT EXISTS cases_deadline_idx ON cases (deadline_at);
DROP INDEX IF EXISTS cases_backlog_idx;
DROP INDEX IF EXISTS cases_reported_cover_idx;
DROP INDEX IF EXISTS cases_due_idx;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
