"""Case workflow: numbering counters, photos, workflow columns, list indexes.

Revision ID: 0003_cases
Revises: 0002_layers
Create Date: 2026-11-26

- ``case_counters``: the last case number handed out per Beijing day (seeded from the
  existing numbers, so new numbers never collide with loaded or imported cases).
- ``case_photos``: photo metadata; the files live under ``media_dir`` by content hash.
- ``cases``: who reported, special-population details (``attributes``), the cancel reason,
  a pending extension request and the suspension bookkeeping.
- ``case_events``: at most one ``overdue`` event per case and deadline (the live feed
  sweeper relies on it across server workers).
"""

from __future__ import annotations

from alembic import op

revision = "0003_cases"
down_revision = "0002_layers"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE case_counters (
    day  char(8) PRIMARY KEY CHECK (day ~ '^[0-9]{8}$'),
    last integer NOT NULL CHECK (last >= 0)
);
INSERT INTO case_counters (day, last)
SELECT split_part(case_no, '-', 2), max(split_part(case_no, '-', 3)::int)
FROM cases WHERE case_no ~ '^630202-[0-9]{8}-[0-9]+$'
GROUP BY 1;

ALTER TABLE cases
    ADD COLUMN reported_by text,
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN cancel_reason text,
    ADD COLUMN extension_request_hours numeric(6, 1),
    ADD COLUMN suspended_at timestamptz,
    ADD COLUMN resume_state text,
    ADD CONSTRAINT cases_cancel_reason_known CHECK (cancel_reason IS NULL
        OR cancel_reason IN ('invalid', 'duplicate', 'out_of_remit')),
    ADD CONSTRAINT cases_merged_has_target CHECK ((state = 'merged') = (merged_into IS NOT NULL));

CREATE INDEX cases_community_idx ON cases (community_code);
CREATE INDEX cases_township_idx ON cases (township_code);
CREATE INDEX cases_open_deadline_idx ON cases (deadline_at)
    WHERE state IN ('dispatched', 'processing');
-- Duplicate search looks at open cases only: a small spatial index for them.
CREATE INDEX cases_open_geom_idx ON cases USING gist (geom)
    WHERE state IN ('dispatched', 'processing', 'registered', 'reported', 'responded',
                    'suspended');
CREATE INDEX cases_case_no_pattern_idx ON cases (case_no text_pattern_ops);
CREATE INDEX cases_assignee_idx ON cases (assignee);

CREATE TABLE case_photos (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases (id),
    event_id    bigint REFERENCES case_events (id),
    kind        text NOT NULL CHECK (kind IN ('report', 'response')),
    sha256      char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    mime        text NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes       integer NOT NULL CHECK (bytes > 0),
    width       integer NOT NULL,
    height      integer NOT NULL,
    exif_geom   geometry(Point, 4326),
    exif_distance_m double precision,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, sha256)
);
CREATE INDEX case_photos_case_idx ON case_photos (case_id);

CREATE UNIQUE INDEX case_events_overdue_once ON case_events (case_id, (data->>'deadline_at'))
    WHERE action = 'overdue';
"""

DOWNGRADE = r"""
DROP INDEX IF EXISTS case_events_overdue_once;
DROP TABLE IF EXISTS case_photos;
DROP INDEX IF EXISTS cases_community_idx, cases_township_idx, cases_open_deadline_idx,
    cases_open_geom_idx,
    cases_case_no_pattern_idx, cases_assignee_idx;
ALTER TABLE cases
    DROP CONSTRAINT IF EXISTS cases_merged_has_target,
    DROP CONSTRAINT IF EXISTS cases_cancel_reason_known,
    DROP COLUMN IF EXISTS resume_state,
    DROP COLUMN IF EXISTS suspended_at,
    DROP COLUMN IF EXISTS extension_request_hours,
    DROP COLUMN IF EXISTS cancel_reason,
    DROP COLUMN IF EXISTS attributes,
    DROP COLUMN IF EXISTS reported_by;
DROP TABLE IF EXISTS case_counters;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
