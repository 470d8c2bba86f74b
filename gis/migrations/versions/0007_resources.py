"""Community resources: grid roster, party members, co-building units, activities, populations.

Revision ID: 0007_resources
Revises: 0006_exchange
Create Date: 2026-11-26

Registers behind the five-type community scorecard (五型社区). Party members and service
populations are stored as counts per grid only — never as people.
"""

from __future__ import annotations

from alembic import op

revision = "0007_resources"
down_revision = "0006_exchange"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- Grid responsibility roster (网格长, 网格员, 党员设岗定责, 志愿服务队).
CREATE TABLE grid_roster (
    id          serial PRIMARY KEY,
    grid_code   varchar(15) NOT NULL,
    post        text NOT NULL CHECK (post IN ('grid_leader', 'grid_worker', 'party_post',
                                              'volunteer_team')),
    title       text NOT NULL,
    person_name text,
    phone       text,
    members     integer NOT NULL DEFAULT 1 CHECK (members >= 1)
);
CREATE INDEX grid_roster_grid_idx ON grid_roster (grid_code);

-- Party members by category per grid, as counts only (在职, 流动, 困难, 老党员).
CREATE TABLE party_member_counts (
    grid_code varchar(15) NOT NULL,
    category  text NOT NULL CHECK (category IN ('in_service', 'mobile', 'in_difficulty',
                                                'elderly')),
    count     integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (grid_code, category)
);

-- Service populations per grid, as counts only. 'correction' (社区矫正) is restricted.
CREATE TABLE service_population_counts (
    grid_code varchar(15) NOT NULL,
    category  text NOT NULL CHECK (category IN ('difficulty', 'unemployed', 'land_lost',
                                                'retirees', 'correction')),
    count     integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (grid_code, category)
);

-- Co-building units (共驻共建单位) and their five joint duties.
CREATE TABLE cobuilding_units (
    id             serial PRIMARY KEY,
    name           text NOT NULL CHECK (length(btrim(name)) > 0),
    kind           text NOT NULL CHECK (kind IN ('organ', 'enterprise', 'school', 'police',
                                                 'hospital', 'other')),
    community_code varchar(12) NOT NULL,
    contact_name   text,
    contact_phone  text,
    duties         text[] NOT NULL DEFAULT '{}'
                   CHECK (duties <@ ARRAY['work', 'security', 'culture', 'education',
                                          'environment']),
    meetings_held  integer NOT NULL DEFAULT 0 CHECK (meetings_held >= 0),
    geom           geometry(Point, 4326) NOT NULL
);
CREATE INDEX cobuilding_units_geom_idx ON cobuilding_units USING gist (geom);
CREATE INDEX cobuilding_units_community_idx ON cobuilding_units (community_code);

-- Community activities: a point layer with time.
CREATE TABLE community_activities (
    id             serial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('fitness', 'elderly_care', 'culture_sports',
                       'reading', 'calligraphy', 'volunteer', 'mediation_open_day', 'other')),
    title          text NOT NULL CHECK (length(btrim(title)) > 0),
    held_on        date NOT NULL,
    community_code varchar(12) NOT NULL,
    place          text,
    organiser      text,
    participants   integer NOT NULL CHECK (participants >= 0),
    geom           geometry(Point, 4326) NOT NULL
);
CREATE INDEX community_activities_geom_idx ON community_activities USING gist (geom);
CREATE INDEX community_activities_when_idx ON community_activities (community_code, held_on);
CREATE INDEX facilities_community_kind_idx ON facilities (community_code, kind);
"""

DOWNGRADE = """
DROP INDEX IF EXISTS facilities_community_kind_idx;
DROP TABLE IF EXISTS community_activities, cobuilding_units, service_population_counts,
    party_member_counts, grid_roster;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
