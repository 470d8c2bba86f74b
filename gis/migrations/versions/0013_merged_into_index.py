"""An index behind the ``cases.merged_into`` foreign key.

Revision ID: 0013_merged_into_index
Revises: 0012_intake_triggers
Create Date: 2026-11-26

``cases.merged_into`` points a merged case at its survivor. Without an index, removing a
case made PostgreSQL check that no case was merged into it by reading the whole table, once
per removed case (20,000 removed cases of a 1.4-million-case table: tens of minutes). Only
merged cases have the column set, so the index is partial and stays small; a new report
adds nothing to it.
"""

from __future__ import annotations

from alembic import op

revision = "0013_merged_into_index"
down_revision = "0012_intake_triggers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX cases_merged_into_idx ON cases (merged_into) WHERE merged_into IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX cases_merged_into_idx")
