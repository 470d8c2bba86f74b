"""Accounts, roles, API keys, refresh tokens and the append-only audit log.

Revision ID: 0005_accounts
Revises: 0004_projects
Create Date: 2026-11-26

``audit_log`` rejects UPDATE, DELETE and TRUNCATE through triggers: the application's role owns
the tables, so revoking privileges alone would not stop it.
"""

from __future__ import annotations

from alembic import op

revision = "0005_accounts"
down_revision = "0004_projects"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE users (
    id             serial PRIMARY KEY,
    username       text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$'),
    display_name   text,
    role           text NOT NULL CHECK (role IN ('admin', 'commander', 'supervisor',
                       'field_staff', 'handler', 'planner', 'viewer')),
    grids          varchar(15)[] NOT NULL DEFAULT '{}',
    department     text REFERENCES departments (code),
    password_hash  text,
    active         boolean NOT NULL DEFAULT true,
    token_version  integer NOT NULL DEFAULT 0,
    failed_logins  integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until   timestamptz,
    last_login_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_field_staff_grids CHECK (role <> 'field_staff' OR cardinality(grids) > 0),
    CONSTRAINT users_handler_department CHECK (role <> 'handler' OR department IS NOT NULL)
);

-- Keys for outside systems (Open311 clients, GIS desktops). Only a SHA-256 of the key is kept.
CREATE TABLE api_keys (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$'),
    prefix      text NOT NULL,
    key_hash    text NOT NULL UNIQUE,
    role        text NOT NULL DEFAULT 'viewer' CHECK (role IN ('viewer', 'planner')),
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- Refresh tokens (rotated on use; a reused one revokes the whole family).
CREATE TABLE refresh_tokens (
    id          bigserial PRIMARY KEY,
    user_id     integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  text NOT NULL UNIQUE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    replaced    boolean NOT NULL DEFAULT false,  -- spent by rotation (reuse = theft)
    client      text
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Who did what, when, from where: append-only.
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor        text,
    actor_role   text,
    action       text NOT NULL,
    object_type  text NOT NULL,
    object_id    text,
    before       jsonb,
    after        jsonb,
    client       text
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
"""

DOWNGRADE = r"""
DROP TABLE IF EXISTS audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS users;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
