"""Construction tracking (reports, history).

Revision ID: 0004_projects
Revises: 0003_cases
Create Date: 2026-11-26

Reserved in the chain so that each part of the platform owns one migration file.
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = "0004_projects"
down_revision = "0003_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
