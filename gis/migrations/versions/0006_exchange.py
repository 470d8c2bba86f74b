"""Data exchange: the log of imports.

Revision ID: 0006_exchange
Revises: 0005_accounts
Create Date: 2026-11-26

Every committed import leaves one row: who, what file, which layer and CRS, how many rows
were read, inserted and retired (boundary generations closed), and the warnings it had.
"""

from __future__ import annotations

from alembic import op

revision = "0006_exchange"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE import_runs (
    id          serial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    layer       text NOT NULL CHECK (layer IN ('townships', 'communities', 'grids',
                    'facilities', 'projects', 'cases')),
    file_name   text NOT NULL,
    file_format text NOT NULL,
    source_crs  text NOT NULL,
    encoding    text,
    valid_from  date,
    rows_read   integer NOT NULL CHECK (rows_read >= 0),
    inserted    integer NOT NULL DEFAULT 0 CHECK (inserted >= 0),
    retired     integer NOT NULL DEFAULT 0 CHECK (retired >= 0),
    warnings    jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX import_runs_at_idx ON import_runs (at DESC);
"""

DOWNGRADE = "DROP TABLE IF EXISTS import_runs;"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
