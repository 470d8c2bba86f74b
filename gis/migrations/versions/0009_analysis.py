"""Spatial analysis.

Revision ID: 0009_analysis
Revises: 0008_operations
Create Date: 2026-11-26

Reserved in the chain so that each part of the platform owns one migration file.
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = "0009_analysis"
down_revision = "0008_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
