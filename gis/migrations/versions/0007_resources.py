"""Community resources and scorecard registers.

Revision ID: 0007_resources
Revises: 0006_exchange
Create Date: 2026-11-26

Reserved in the chain so that each part of the platform owns one migration file.
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = "0007_resources"
down_revision = "0006_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
