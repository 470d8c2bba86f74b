"""Duplicate suggestions: open cases indexed by category and place together.

Revision ID: 0014_duplicate_scan
Revises: 0013_merged_into_index
Create Date: 2026-11-26

Every report looks for open cases of the same category within the duplicate radius. The
partial index ``cases_open_geom_idx`` (0003) finds the open cases nearby of every category,
and the scan then throws away those of other categories (most of them, in a busy area).
A GiST index over (category, place) of the open cases (``btree_gist`` supplies the
category's operator class; it is a trusted extension) finds only the ones of the report's
category. ``cases_open_geom_idx`` stays for searches over all categories.
"""

from __future__ import annotations

from alembic import op

revision = "0014_duplicate_scan"
down_revision = "0013_merged_into_index"
branch_labels = None
depends_on = None

# the open states in the order of 0003's partial index (a query's list must imply it)
OPEN = "('dispatched', 'processing', 'registered', 'reported', 'responded', 'suspended')"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "CREATE INDEX cases_open_category_geom_idx ON cases "
        f"USING gist (category_code, geom) WHERE state IN {OPEN}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX cases_open_category_geom_idx")
    op.execute("DROP EXTENSION IF EXISTS btree_gist")
