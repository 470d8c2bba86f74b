"""Case workflow (photos, counters, merge, SSE notify).

Revision ID: 0003_cases
Revises: 0002_layers
Create Date: 2026-11-26

Reserved in the chain so that each part of the platform owns one migration file.
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = "0003_cases"
down_revision = "0002_layers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
