"""Accounts, roles, API keys, audit.

Revision ID: 0005_accounts
Revises: 0004_projects
Create Date: 2026-11-26

Reserved in the chain so that each part of the platform owns one migration file.
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = "0005_accounts"
down_revision = "0004_projects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
