"""Map layer service (data versions for tile-cache invalidation).

Revision ID: 0002_layers
Revises: 0001_foundation
Create Date: 2026-11-26

Reserved in the chain so that each part of the platform owns one migration file.
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = "0002_layers"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
