"""Data exchange (imports).

Revision ID: 0006_exchange
Revises: 0005_accounts
Create Date: 2026-11-26

Reserved in the chain so that each part of the platform owns one migration file.
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = "0006_exchange"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
