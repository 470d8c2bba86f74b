"""Operations (backups).

Revision ID: 0008_operations
Revises: 0007_resources
Create Date: 2026-11-26

A log of the backups made of this database, so that the health endpoint, the metrics and
``gridmap doctor`` can tell how old the latest one is.
"""

from __future__ import annotations

from alembic import op

revision = "0008_operations"
down_revision = "0007_resources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ops_backups (
            id              bigserial PRIMARY KEY,
            created_at      timestamptz NOT NULL,
            logged_at       timestamptz NOT NULL DEFAULT now(),
            kind            text NOT NULL
                            CHECK (kind IN ('manual', 'scheduled', 'pre-migrate')),
            path            text NOT NULL,
            size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
            schema_revision text,
            dump_sha256     text NOT NULL,
            media_files     integer NOT NULL DEFAULT 0,
            row_counts      jsonb NOT NULL DEFAULT '{}'::jsonb
        );
        CREATE INDEX ops_backups_created_idx ON ops_backups (created_at DESC);
        COMMENT ON TABLE ops_backups IS '备份记录 (backups made of this database)';
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS ops_backups")
