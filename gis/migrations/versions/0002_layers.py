"""Map layer service: per-table data versions and incident aggregates kept fresh on write.

Revision ID: 0002_layers
Revises: 0001_foundation
Create Date: 2026-11-26

- ``layer_data_versions``: one row per source table; a statement-level trigger on every
  source table bumps its row in the writer's own transaction, so the new version becomes
  visible exactly when the data does (the tile cache keys on it).
- ``layer_incident_cells``: case counts per Web-Mercator cell at levels 4–19 (16×16 cells
  per tile for zooms 0–15), and ``layer_case_counts``: open and total cases per grid,
  community and township. Both are maintained by statement-level triggers on ``cases``
  with transition tables (so COPY and bulk imports keep them exact) and rebuilt on
  TRUNCATE or when a category's sensitivity changes.
"""

from __future__ import annotations

from alembic import op

revision = "0002_layers"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

SOURCES = (
    "admin_units",
    "grids",
    "facilities",
    "projects",
    "project_milestones",
    "project_funding",
    "cases",
    "categories",
)
MAX_LEVEL = 19  # cells of zoom z are at level z + 4; zooms 0–15
MIN_LEVEL = 4
HALF = 20037508.342789244
# States that count as open (not closed, cancelled or merged).
OPEN_STATES = "('reported', 'registered', 'dispatched', 'processing', 'responded', 'suspended')"
HIDDEN_STATES = "('cancelled', 'merged')"

TABLES = f"""
CREATE SEQUENCE layer_version_seq;
SELECT setval('layer_version_seq', (floor(random() * 1e12) + 1)::bigint);
CREATE TABLE layer_data_versions (
    source     text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT nextval('layer_version_seq'),
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO layer_data_versions (source) VALUES {", ".join(f"('{t}')" for t in SOURCES)};

CREATE FUNCTION layer_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE layer_data_versions
       SET version = nextval('layer_version_seq'), changed_at = clock_timestamp()
     WHERE source = TG_TABLE_NAME;
    RETURN NULL;
END $$;

CREATE TABLE layer_incident_cells (
    level       smallint NOT NULL,
    cx          integer NOT NULL,
    cy          integer NOT NULL,
    n           integer NOT NULL DEFAULT 0,
    n_open      integer NOT NULL DEFAULT 0,
    n_sens      integer NOT NULL DEFAULT 0,
    n_open_sens integer NOT NULL DEFAULT 0,
    sx          double precision NOT NULL DEFAULT 0,
    sy          double precision NOT NULL DEFAULT 0,
    psx         double precision NOT NULL DEFAULT 0,
    psy         double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (level, cx, cy)
);
CREATE TABLE layer_case_counts (
    unit_code varchar(15) PRIMARY KEY,
    n         integer NOT NULL DEFAULT 0,
    n_open    integer NOT NULL DEFAULT 0
);
"""

# The delta of a set of case rows (with a sign ``s``) applied to both aggregate tables.
APPLY = f"""
    WITH d AS (
        SELECT r.s, r.grid_code, r.community_code, r.township_code,
               r.state IN {OPEN_STATES} AS open,
               coalesce(cat.sensitive, false) AS sens,
               ST_X(ST_Transform(r.geom, 3857)) AS mx, ST_Y(ST_Transform(r.geom, 3857)) AS my
          FROM ({{rows}}) r
          LEFT JOIN categories cat ON cat.code = r.category_code
         WHERE r.state NOT IN {HIDDEN_STATES}
    ), base AS (
        SELECT floor((mx + {HALF}) / ({2 * HALF} / 2 ^ {MAX_LEVEL}))::int AS cx,
               floor(({HALF} - my) / ({2 * HALF} / 2 ^ {MAX_LEVEL}))::int AS cy,
               sum(s) AS n,
               coalesce(sum(s) FILTER (WHERE open), 0) AS n_open,
               coalesce(sum(s) FILTER (WHERE sens), 0) AS n_sens,
               coalesce(sum(s) FILTER (WHERE sens AND open), 0) AS n_open_sens,
               sum(s * mx) AS sx, sum(s * my) AS sy,
               coalesce(sum(s * mx) FILTER (WHERE NOT sens), 0) AS psx,
               coalesce(sum(s * my) FILTER (WHERE NOT sens), 0) AS psy
          FROM d GROUP BY 1, 2
    ), cells AS (
        SELECT l.level, b.cx >> ({MAX_LEVEL} - l.level) AS cx, b.cy >> ({MAX_LEVEL} - l.level) AS cy,
               sum(n)::int AS n, sum(n_open)::int AS n_open, sum(n_sens)::int AS n_sens,
               sum(n_open_sens)::int AS n_open_sens,
               sum(sx) AS sx, sum(sy) AS sy, sum(psx) AS psx, sum(psy) AS psy
          FROM base b CROSS JOIN generate_series({MIN_LEVEL}, {MAX_LEVEL}) AS l(level)
         GROUP BY 1, 2, 3
        HAVING sum(n) <> 0 OR sum(n_open) <> 0 OR sum(n_sens) <> 0 OR sum(n_open_sens) <> 0
            OR sum(sx) <> 0 OR sum(sy) <> 0
    ), ins AS (
        INSERT INTO layer_incident_cells AS c
               (level, cx, cy, n, n_open, n_sens, n_open_sens, sx, sy, psx, psy)
        SELECT level, cx, cy, n, n_open, n_sens, n_open_sens, sx, sy, psx, psy
          FROM cells ORDER BY level, cx, cy
        ON CONFLICT (level, cx, cy) DO UPDATE SET
               n = c.n + EXCLUDED.n, n_open = c.n_open + EXCLUDED.n_open,
               n_sens = c.n_sens + EXCLUDED.n_sens,
               n_open_sens = c.n_open_sens + EXCLUDED.n_open_sens,
               sx = c.sx + EXCLUDED.sx, sy = c.sy + EXCLUDED.sy,
               psx = c.psx + EXCLUDED.psx, psy = c.psy + EXCLUDED.psy
        RETURNING 1
    ), units AS (
        SELECT u.code AS unit_code, sum(d.s)::int AS n,
               coalesce(sum(d.s) FILTER (WHERE d.open), 0)::int AS n_open
          FROM d CROSS JOIN LATERAL (VALUES (d.grid_code), (d.community_code), (d.township_code))
               AS u(code)
         WHERE u.code IS NOT NULL
         GROUP BY 1
        HAVING sum(d.s) <> 0 OR sum(d.s) FILTER (WHERE d.open) <> 0
    )
    INSERT INTO layer_case_counts AS k (unit_code, n, n_open)
    SELECT unit_code, n, n_open FROM units ORDER BY unit_code
    ON CONFLICT (unit_code) DO UPDATE SET n = k.n + EXCLUDED.n, n_open = k.n_open + EXCLUDED.n_open
"""

COLS = "geom, state, category_code, grid_code, community_code, township_code"
CHANGED = (
    "o.state IS DISTINCT FROM n.state OR o.category_code IS DISTINCT FROM n.category_code "
    "OR o.grid_code IS DISTINCT FROM n.grid_code "
    "OR o.community_code IS DISTINCT FROM n.community_code "
    "OR o.township_code IS DISTINCT FROM n.township_code "
    "OR NOT ST_Equals(o.geom, n.geom)"
)
ROWS = {
    "insert": f"SELECT {COLS}, 1 AS s FROM new_rows",
    "delete": f"SELECT {COLS}, -1 AS s FROM old_rows",
    "update": (
        f"SELECT n.geom, n.state, n.category_code, n.grid_code, n.community_code, "
        f"n.township_code, 1 AS s FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {CHANGED} "
        f"UNION ALL SELECT o.geom, o.state, o.category_code, o.grid_code, o.community_code, "
        f"o.township_code, -1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {CHANGED}"
    ),
}


def _functions() -> str:
    out = []
    for op_name, rows in ROWS.items():
        out.append(
            f"CREATE FUNCTION layer_cases_after_{op_name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$\nBEGIN\n{APPLY.format(rows=rows)};\n    RETURN NULL;\nEND $$;\n"
        )
    out.append(
        "CREATE FUNCTION layer_rebuild_case_aggregates() RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN\n    DELETE FROM layer_incident_cells;\n    DELETE FROM layer_case_counts;\n"
        f"{APPLY.format(rows=f'SELECT {COLS}, 1 AS s FROM cases')};\nEND $$;\n"
        "CREATE FUNCTION layer_rebuild_case_aggregates_trigger() RETURNS trigger "
        "LANGUAGE plpgsql AS $$\nBEGIN\n    PERFORM layer_rebuild_case_aggregates();\n"
        "    RETURN NULL;\nEND $$;\n"
    )
    return "\n".join(out)


def _triggers() -> str:
    out = [
        f"CREATE TRIGGER layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION layer_bump_version();"
        for t in SOURCES
    ]
    out += [
        "CREATE TRIGGER layer_cases_ins AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION layer_cases_after_insert();",
        "CREATE TRIGGER layer_cases_del AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION layer_cases_after_delete();",
        "CREATE TRIGGER layer_cases_upd AFTER UPDATE ON cases "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION layer_cases_after_update();",
        "CREATE TRIGGER layer_cases_trunc AFTER TRUNCATE ON cases "
        "FOR EACH STATEMENT EXECUTE FUNCTION layer_rebuild_case_aggregates_trigger();",
        "CREATE TRIGGER layer_categories_sens AFTER UPDATE OF sensitive ON categories "
        "FOR EACH STATEMENT EXECUTE FUNCTION layer_rebuild_case_aggregates_trigger();",
    ]
    return "\n".join(out)


DOWNGRADE = (
    "\n".join(f"DROP TRIGGER IF EXISTS layer_version ON {t};" for t in SOURCES)
    + """
DROP TRIGGER IF EXISTS layer_cases_ins ON cases;
DROP TRIGGER IF EXISTS layer_cases_del ON cases;
DROP TRIGGER IF EXISTS layer_cases_upd ON cases;
DROP TRIGGER IF EXISTS layer_cases_trunc ON cases;
DROP TRIGGER IF EXISTS layer_categories_sens ON categories;
DROP FUNCTION IF EXISTS layer_cases_after_insert(), layer_cases_after_delete(),
    layer_cases_after_update(), layer_rebuild_case_aggregates_trigger(),
    layer_rebuild_case_aggregates(), layer_bump_version();
DROP TABLE IF EXISTS layer_incident_cells, layer_case_counts, layer_data_versions;
DROP SEQUENCE IF EXISTS layer_version_seq;
"""
)


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(_functions())
    op.execute(_triggers())
    op.execute("SELECT layer_rebuild_case_aggregates()")


def downgrade() -> None:
    op.execute(DOWNGRADE)
