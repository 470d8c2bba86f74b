"""Spatial analysis: point-lookup tables kept in sync by triggers, indexes for statistics.

Revision ID: 0009_analysis
Revises: 0008_operations
Create Date: 2026-11-26

``spatial_lookup`` holds every current grid cut into small pieces (``ST_Subdivide``) with the
codes and names of its community and township copied alongside (MapIt-style), so that a point
lookup is one index probe on small polygons and no joins. ``district_pieces`` does the same
for the district outline (the "is it inside at all / are the coordinates swapped" check).
Triggers on ``grids`` and ``admin_units`` keep both in step with every write.
"""

from __future__ import annotations

from alembic import op

revision = "0009_analysis"
down_revision = "0008_operations"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE spatial_lookup (
    id             bigserial PRIMARY KEY,
    grid_id        integer NOT NULL,
    grid_code      varchar(15) NOT NULL,
    grid_name      text NOT NULL,
    community_code varchar(12) NOT NULL,
    community_name text NOT NULL,
    township_code  varchar(12) NOT NULL,
    township_name  text NOT NULL,
    geom           geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX spatial_lookup_geom_idx ON spatial_lookup USING gist (geom);
CREATE INDEX spatial_lookup_grid_idx ON spatial_lookup (grid_id);

CREATE TABLE district_pieces (
    id   serial PRIMARY KEY,
    geom geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX district_pieces_geom_idx ON district_pieces USING gist (geom);

-- Rebuild the lookup pieces of one grid (nothing when it is not current or has no parents).
CREATE FUNCTION gridmap_lookup_rebuild(gid integer) RETURNS void LANGUAGE sql AS $$
    DELETE FROM spatial_lookup WHERE grid_id = gid;
    INSERT INTO spatial_lookup (grid_id, grid_code, grid_name, community_code, community_name,
                                township_code, township_name, geom)
    SELECT g.id, g.code, g.name, c.code, c.name, t.code, t.name, ST_Subdivide(g.geom, 64)
    FROM grids g
    JOIN admin_units c ON c.code = g.community_code AND c.valid_to IS NULL
    JOIN admin_units t ON t.code = c.parent_code AND t.valid_to IS NULL
    WHERE g.id = gid AND g.valid_to IS NULL;
$$;

CREATE FUNCTION gridmap_lookup_grid_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM spatial_lookup WHERE grid_id = OLD.id;
    ELSE
        IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
            DELETE FROM spatial_lookup WHERE grid_id = OLD.id;
        END IF;
        PERFORM gridmap_lookup_rebuild(NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER grids_lookup_sync AFTER INSERT OR UPDATE OR DELETE ON grids
    FOR EACH ROW EXECUTE FUNCTION gridmap_lookup_grid_sync();

CREATE FUNCTION gridmap_lookup_admin_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    codes text[] := ARRAY[]::text[];
    lvl smallint;
BEGIN
    IF TG_OP <> 'INSERT' THEN codes := codes || OLD.code::text; lvl := OLD.level; END IF;
    IF TG_OP <> 'DELETE' THEN codes := codes || NEW.code::text; lvl := NEW.level; END IF;
    IF (TG_OP <> 'INSERT' AND OLD.level = 3) OR (TG_OP <> 'DELETE' AND NEW.level = 3) THEN
        DELETE FROM district_pieces;
        INSERT INTO district_pieces (geom)
        SELECT ST_Subdivide(geom, 96) FROM admin_units WHERE level = 3 AND valid_to IS NULL;
    END IF;
    IF lvl IN (4, 5) THEN
        PERFORM gridmap_lookup_rebuild(g.id) FROM grids g
        WHERE g.valid_to IS NULL AND (g.community_code = ANY (codes) OR g.community_code IN (
            SELECT code FROM admin_units WHERE parent_code = ANY (codes) AND level = 5));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER admin_units_lookup_sync AFTER INSERT OR UPDATE OR DELETE ON admin_units
    FOR EACH ROW EXECUTE FUNCTION gridmap_lookup_admin_sync();

-- Fill from whatever is there already.
INSERT INTO district_pieces (geom)
SELECT ST_Subdivide(geom, 96) FROM admin_units WHERE level = 3 AND valid_to IS NULL;
SELECT gridmap_lookup_rebuild(id) FROM grids WHERE valid_to IS NULL;

-- Statistics select cases by deadline and closing time.
CREATE INDEX IF NOT EXISTS cases_deadline_idx ON cases (deadline_at);
CREATE INDEX IF NOT EXISTS cases_closed_idx ON cases (closed_at);
"""

DOWNGRADE = r"""
DROP INDEX IF EXISTS cases_closed_idx;
DROP INDEX IF EXISTS cases_deadline_idx;
DROP TRIGGER IF EXISTS admin_units_lookup_sync ON admin_units;
DROP TRIGGER IF EXISTS grids_lookup_sync ON grids;
DROP FUNCTION IF EXISTS gridmap_lookup_admin_sync();
DROP FUNCTION IF EXISTS gridmap_lookup_grid_sync();
DROP FUNCTION IF EXISTS gridmap_lookup_rebuild(integer);
DROP TABLE IF EXISTS district_pieces;
DROP TABLE IF EXISTS spatial_lookup;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
