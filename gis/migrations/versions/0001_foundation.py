"""Foundation: administrative units, grids, residences, facilities, projects, cases.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE EXTENSION IF NOT EXISTS postgis;

-- District, townships (街道/镇/乡) and communities (社区/村), with boundary generations.
CREATE TABLE admin_units (
    id              serial PRIMARY KEY,
    code            varchar(12) NOT NULL CHECK (code ~ '^[0-9]{12}$'),
    name            text NOT NULL,
    level           smallint NOT NULL CHECK (level IN (3, 4, 5)),
    unit_type       text NOT NULL,
    parent_code     varchar(12),
    households      integer CHECK (households >= 0),
    population      integer CHECK (population >= 0),
    seat            geometry(Point, 4326),
    geom            geometry(MultiPolygon, 4326) NOT NULL,
    boundary_source text NOT NULL CHECK (boundary_source IN ('official', 'illustrative')),
    valid_from      date NOT NULL DEFAULT CURRENT_DATE,
    valid_to        date,
    CONSTRAINT admin_units_geom_valid CHECK (ST_IsValid(geom)),
    CONSTRAINT admin_units_period CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX admin_units_current_code ON admin_units (code) WHERE valid_to IS NULL;
CREATE INDEX admin_units_geom_idx ON admin_units USING gist (geom);
CREATE INDEX admin_units_parent_idx ON admin_units (parent_code);

-- Management grids (网格): 15-digit codes, every grid inside one community.
CREATE TABLE grids (
    id              serial PRIMARY KEY,
    code            varchar(15) NOT NULL CHECK (code ~ '^630202[0-9]{9}$'),
    name            text NOT NULL,
    community_code  varchar(12) NOT NULL,
    kind            text NOT NULL DEFAULT 'basic' CHECK (kind IN ('basic', 'dedicated')),
    households      integer NOT NULL DEFAULT 0 CHECK (households >= 0),
    population      integer NOT NULL DEFAULT 0 CHECK (population >= 0),
    geom            geometry(MultiPolygon, 4326) NOT NULL,
    boundary_source text NOT NULL CHECK (boundary_source IN ('official', 'illustrative')),
    valid_from      date NOT NULL DEFAULT CURRENT_DATE,
    valid_to        date,
    CONSTRAINT grids_geom_valid CHECK (ST_IsValid(geom)),
    CONSTRAINT grids_code_in_community CHECK (substr(code, 1, 12) = community_code),
    CONSTRAINT grids_period CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX grids_current_code ON grids (code) WHERE valid_to IS NULL;
CREATE INDEX grids_geom_idx ON grids USING gist (geom);
CREATE INDEX grids_community_idx ON grids (community_code);

-- People responsible for a grid (网格长, 网格员). Personal data: phones.
CREATE TABLE grid_staff (
    id          serial PRIMARY KEY,
    grid_code   varchar(15) NOT NULL,
    role        text NOT NULL CHECK (role IN ('leader', 'worker')),
    person_name text NOT NULL,
    phone       text,
    username    text
);
CREATE INDEX grid_staff_grid_idx ON grid_staff (grid_code);

-- Dwellings (buildings or hamlet clusters) with household counts: coverage analysis input.
CREATE TABLE residences (
    id             serial PRIMARY KEY,
    community_code varchar(12) NOT NULL,
    grid_code      varchar(15),
    households     integer NOT NULL CHECK (households > 0),
    population     integer NOT NULL CHECK (population >= 0),
    geom           geometry(Point, 4326) NOT NULL
);
CREATE INDEX residences_geom_idx ON residences USING gist (geom);
CREATE INDEX residences_community_idx ON residences (community_code);

CREATE TABLE departments (
    code    text PRIMARY KEY,
    name    text NOT NULL,
    name_en text NOT NULL DEFAULT '',
    kind    text NOT NULL DEFAULT ''
);

-- Case categories: 大类 (level 1) and 小类 (level 2) with SLA working hours.
CREATE TABLE categories (
    code               varchar(4) PRIMARY KEY CHECK (code ~ '^[0-9]{2}([0-9]{2})?$'),
    parent_code        varchar(4) REFERENCES categories (code),
    level              smallint NOT NULL CHECK (level IN (1, 2)),
    name               text NOT NULL,
    name_en            text NOT NULL DEFAULT '',
    sla_hours          numeric(6, 1) CHECK (sla_hours > 0),
    sensitive          boolean NOT NULL DEFAULT false,
    default_department text REFERENCES departments (code)
);

-- Facilities: community office & service sites, service stations, mediation centres …
CREATE TABLE facilities (
    id             serial PRIMARY KEY,
    kind           text NOT NULL,
    name           text NOT NULL,
    community_code varchar(12),
    status         text NOT NULL DEFAULT 'in_service'
                   CHECK (status IN ('planned', 'under_construction', 'in_service', 'closed')),
    floor_area_m2  numeric(10, 1) CHECK (floor_area_m2 >= 0),
    geom           geometry(Point, 4326) NOT NULL,
    footprint      geometry(MultiPolygon, 4326),
    properties     jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX facilities_geom_idx ON facilities USING gist (geom);
CREATE INDEX facilities_kind_idx ON facilities (kind);

-- Construction projects for facilities, with funding and milestones.
CREATE TABLE projects (
    id                 serial PRIMARY KEY,
    facility_id        integer REFERENCES facilities (id),
    name               text NOT NULL,
    facility_kind      text NOT NULL,
    community_code     varchar(12) NOT NULL,
    site               geometry(Point, 4326) NOT NULL,
    site_polygon       geometry(MultiPolygon, 4326),
    planned_floor_area numeric(10, 1) CHECK (planned_floor_area >= 0),
    responsible_unit   text,
    contact_name       text,
    contact_phone      text,
    budget_total       numeric(14, 2) NOT NULL DEFAULT 0 CHECK (budget_total >= 0),
    spent_to_date      numeric(14, 2) NOT NULL DEFAULT 0 CHECK (spent_to_date >= 0),
    progress_override  numeric(5, 1) CHECK (progress_override BETWEEN 0 AND 100),
    progress_reason    text,
    plan_group         text,
    notes              text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_site_idx ON projects USING gist (site);

CREATE TABLE project_funding (
    id         serial PRIMARY KEY,
    project_id integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    source     text NOT NULL CHECK (source IN ('budget', 'enterprise', 'donation', 'lottery', 'other')),
    amount     numeric(14, 2) NOT NULL CHECK (amount >= 0)
);

CREATE TABLE project_milestones (
    id           serial PRIMARY KEY,
    project_id   integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    seq          smallint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('site_selection', 'approval', 'design', 'tendering',
                     'construction_start', 'structure_complete', 'acceptance', 'in_service')),
    planned_date date,
    actual_date  date,
    UNIQUE (project_id, kind)
);

-- Incident cases (案卷) and their immutable history.
CREATE TABLE cases (
    id              bigserial PRIMARY KEY,
    case_no         text NOT NULL UNIQUE,
    client_id       uuid UNIQUE,
    category_code   varchar(4) NOT NULL REFERENCES categories (code),
    description     text NOT NULL,
    address         text,
    geom            geometry(Point, 4326) NOT NULL,
    township_code   varchar(12),
    community_code  varchar(12),
    grid_code       varchar(15),
    state           text NOT NULL DEFAULT 'reported',
    source          text NOT NULL DEFAULT 'field',
    reporter_name   text,
    reporter_phone  text,
    assignee        text,
    department_code text REFERENCES departments (code),
    reported_at     timestamptz NOT NULL DEFAULT now(),
    registered_at   timestamptz,
    dispatched_at   timestamptz,
    deadline_at     timestamptz,
    responded_at    timestamptz,
    closed_at       timestamptz,
    rework_count    integer NOT NULL DEFAULT 0,
    extension_count integer NOT NULL DEFAULT 0,
    merged_into     bigint REFERENCES cases (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cases_state_known CHECK (state IN ('reported', 'registered', 'cancelled',
        'dispatched', 'processing', 'responded', 'closed', 'suspended', 'merged'))
);
CREATE INDEX cases_geom_idx ON cases USING gist (geom);
CREATE INDEX cases_state_idx ON cases (state);
CREATE INDEX cases_reported_idx ON cases (reported_at);
CREATE INDEX cases_grid_idx ON cases (grid_code);
CREATE INDEX cases_category_idx ON cases (category_code);

CREATE TABLE case_events (
    id         bigserial PRIMARY KEY,
    case_id    bigint NOT NULL REFERENCES cases (id),
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    from_state text,
    to_state   text,
    note       text,
    geom       geometry(Point, 4326),
    data       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX case_events_case_idx ON case_events (case_id, at);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS case_events, cases, project_milestones, project_funding, projects,
    facilities, categories, departments, residences, grid_staff, grids, admin_units CASCADE;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
