"""Case intake without shared hot rows: per-writer aggregate slots, per-day number sequences.

Revision ID: 0011_case_ingest
Revises: 0010_analysis_speed
Create Date: 2026-11-26

Every report used to update the same rows before it could commit — the day's number
counter, the ``cases`` row of ``layer_data_versions``, the low-zoom incident cells and the
township counts — so concurrent reports queued behind each other's commit.

- Each database session that writes cases takes a *slot* (0–63, held by a session advisory
  lock, so two live sessions never share one; 64–127 shared as a fallback). Writers add
  their deltas to their own slot's rows only.
- ``layer_incident_cells`` and ``layer_case_counts`` become views summing the slot rows of
  ``layer_incident_cell_parts`` / ``layer_case_count_parts``; the triggers still run in the
  writer's transaction, so the next tile sees the new case and the sums equal a recount.
  ``layer_compact_case_aggregates()`` folds slot rows into slot −1 (skipping locked rows:
  it never waits, so it cannot deadlock with a writer).
- ``layer_data_versions`` becomes a view: a base version per source plus the sum of
  per-slot bump counters (``cases`` writes bump their slot's counter). Every committed
  write raises the sum, so the version changes exactly when the data does. Writes to the
  view (other parts' triggers, tests) go to the base table through an INSTEAD OF trigger.
- Case numbers come from one sequence per Beijing day (``case_no_seq_YYYYMMDD``, created
  on first use and seeded from the stored numbers); ``case_counters`` is dropped. A
  report that fails after taking a number leaves a gap in that day's numbers.
"""

from __future__ import annotations

from alembic import op

revision = "0011_case_ingest"
down_revision = "0010_analysis_speed"
branch_labels = None
depends_on = None

MAX_LEVEL = 19
MIN_LEVEL = 4
HALF = 20037508.342789244
OPEN_STATES = "('reported', 'registered', 'dispatched', 'processing', 'responded', 'suspended')"
HIDDEN_STATES = "('cancelled', 'merged')"
SLOT_LOCK_KEY = 1818323314  # advisory lock class of the writer slots

CELL_SUMS = (
    "sum(n)::int AS n, sum(n_open)::int AS n_open, sum(n_sens)::int AS n_sens, "
    "sum(n_open_sens)::int AS n_open_sens, sum(sx) AS sx, sum(sy) AS sy, "
    "sum(psx) AS psx, sum(psy) AS psy"
)


def cell_upsert(src: str, slot: str | None, table: str = "layer_incident_cell_parts") -> str:
    """Add the cell rows of ``src`` to ``table`` (to ``slot``; None: the 0002 table)."""
    key = "level, cx, cy" + (", slot" if slot is not None else "")
    val = "level, cx, cy" + (f", {slot}" if slot is not None else "")
    return (
        f"INSERT INTO {table} AS c ({key}, n, n_open, n_sens, n_open_sens, sx, sy, psx, psy) "
        f"SELECT {val}, n, n_open, n_sens, n_open_sens, sx, sy, psx, psy "
        f"FROM {src} ORDER BY level, cx, cy "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        "n = c.n + EXCLUDED.n, n_open = c.n_open + EXCLUDED.n_open, "
        "n_sens = c.n_sens + EXCLUDED.n_sens, n_open_sens = c.n_open_sens + EXCLUDED.n_open_sens, "
        "sx = c.sx + EXCLUDED.sx, sy = c.sy + EXCLUDED.sy, "
        "psx = c.psx + EXCLUDED.psx, psy = c.psy + EXCLUDED.psy"
    )


def count_upsert(src: str, slot: str | None, table: str = "layer_case_count_parts") -> str:
    """Add the unit counts of ``src`` to ``table`` (to ``slot``; None: the 0002 table)."""
    key = "unit_code" + (", slot" if slot is not None else "")
    val = "unit_code" + (f", {slot}" if slot is not None else "")
    return (
        f"INSERT INTO {table} AS k ({key}, n, n_open) SELECT {val}, n, n_open FROM {src} "
        f"ORDER BY unit_code ON CONFLICT ({key}) DO UPDATE "
        "SET n = k.n + EXCLUDED.n, n_open = k.n_open + EXCLUDED.n_open"
    )


def apply_sql(rows: str, slot: str | None, old: bool = False) -> str:
    """The delta of ``rows`` (sign ``s``) added to the aggregates (slot ``slot``)."""
    cells = "layer_incident_cells" if old else "layer_incident_cell_parts"
    counts = "layer_case_counts" if old else "layer_case_count_parts"
    return f"""
    WITH d AS (
        SELECT r.s, r.grid_code, r.community_code, r.township_code,
               r.state IN {OPEN_STATES} AS open,
               coalesce(cat.sensitive, false) AS sens,
               ST_X(ST_Transform(r.geom, 3857)) AS mx, ST_Y(ST_Transform(r.geom, 3857)) AS my
          FROM ({rows}) r
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
               {CELL_SUMS}
          FROM base b CROSS JOIN generate_series({MIN_LEVEL}, {MAX_LEVEL}) AS l(level)
         GROUP BY 1, 2, 3
        HAVING sum(n) <> 0 OR sum(n_open) <> 0 OR sum(n_sens) <> 0 OR sum(n_open_sens) <> 0
            OR sum(sx) <> 0 OR sum(sy) <> 0
    ), ins AS (
        {cell_upsert("cells", slot, cells)}
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
    {count_upsert("units", slot, counts)}
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

TABLES = f"""
-- Writer slots: a session keeps its slot (advisory lock + session setting) until it ends.
CREATE FUNCTION layer_write_slot() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    held text := current_setting('gridmap.layer_slot', true);
BEGIN
    IF held IS NOT NULL AND held <> '' THEN
        RETURN held::integer;
    END IF;
    FOR i IN 0..63 LOOP
        IF pg_try_advisory_lock({SLOT_LOCK_KEY}, i) THEN
            PERFORM set_config('gridmap.layer_slot', i::text, false);
            RETURN i;
        END IF;
    END LOOP;
    RETURN 64 + pg_backend_pid() % 64;  -- more than 64 writers: share (correct, may wait)
END $$;

-- Data versions: base row per source + per-slot bump counters.
ALTER TABLE layer_data_versions RENAME TO layer_data_version_base;
CREATE TABLE layer_data_version_parts (
    source     text NOT NULL,
    slot       integer NOT NULL,
    bumps      bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (source, slot)
);
CREATE VIEW layer_data_versions AS
SELECT b.source, b.version + coalesce(p.bumps, 0) AS version,
       greatest(b.changed_at, p.changed_at) AS changed_at
  FROM layer_data_version_base b
  LEFT JOIN (SELECT source, sum(bumps)::bigint AS bumps, max(changed_at) AS changed_at
               FROM layer_data_version_parts GROUP BY source) p ON p.source = b.source;

CREATE FUNCTION layer_data_versions_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO layer_data_version_base (source, version, changed_at)
        VALUES (NEW.source, coalesce(NEW.version, nextval('layer_version_seq')),
                coalesce(NEW.changed_at, now()));
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE layer_data_version_base
           SET source = NEW.source,
               version = CASE WHEN NEW.version IS DISTINCT FROM OLD.version
                              THEN NEW.version ELSE version END,
               changed_at = NEW.changed_at
         WHERE source = OLD.source;
        RETURN NEW;
    END IF;
    DELETE FROM layer_data_version_parts WHERE source = OLD.source;
    DELETE FROM layer_data_version_base WHERE source = OLD.source;
    RETURN OLD;
END $$;
CREATE TRIGGER layer_data_versions_write INSTEAD OF INSERT OR UPDATE OR DELETE
    ON layer_data_versions FOR EACH ROW EXECUTE FUNCTION layer_data_versions_write();

CREATE OR REPLACE FUNCTION layer_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE layer_data_version_base
       SET version = nextval('layer_version_seq'), changed_at = clock_timestamp()
     WHERE source = TG_TABLE_NAME;
    RETURN NULL;
END $$;
CREATE FUNCTION layer_bump_version_slot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO layer_data_version_parts AS p (source, slot, bumps, changed_at)
    VALUES (TG_TABLE_NAME, layer_write_slot(), 1, clock_timestamp())
    ON CONFLICT (source, slot) DO UPDATE SET bumps = p.bumps + 1, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END $$;
DROP TRIGGER layer_version ON cases;
CREATE TRIGGER layer_version AFTER INSERT OR UPDATE OR DELETE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION layer_bump_version_slot();
CREATE TRIGGER layer_version_truncate AFTER TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION layer_bump_version();

-- Incident cells and unit counts: slot rows summed by views.
ALTER TABLE layer_incident_cells RENAME TO layer_incident_cell_parts;
ALTER TABLE layer_incident_cell_parts ADD COLUMN slot integer NOT NULL DEFAULT -1;
ALTER TABLE layer_incident_cell_parts DROP CONSTRAINT layer_incident_cells_pkey;
ALTER TABLE layer_incident_cell_parts ADD PRIMARY KEY (level, cx, cy, slot);
CREATE VIEW layer_incident_cells AS
SELECT level, cx, cy, {CELL_SUMS}
  FROM layer_incident_cell_parts GROUP BY level, cx, cy;

ALTER TABLE layer_case_counts RENAME TO layer_case_count_parts;
ALTER TABLE layer_case_count_parts ADD COLUMN slot integer NOT NULL DEFAULT -1;
ALTER TABLE layer_case_count_parts DROP CONSTRAINT layer_case_counts_pkey;
ALTER TABLE layer_case_count_parts ADD PRIMARY KEY (unit_code, slot);
CREATE VIEW layer_case_counts AS
SELECT unit_code, sum(n)::int AS n, sum(n_open)::int AS n_open
  FROM layer_case_count_parts GROUP BY unit_code;

DROP TABLE case_counters;
"""


def _functions() -> str:
    out = []
    for op_name, rows in ROWS.items():
        body = apply_sql(rows, "my_slot")
        out.append(
            f"CREATE OR REPLACE FUNCTION layer_cases_after_{op_name}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$\nDECLARE\n    my_slot integer := layer_write_slot();\nBEGIN\n"
            f"{body};\n    RETURN NULL;\nEND $$;\n"
        )
    rebuild = apply_sql(f"SELECT {COLS}, 1 AS s FROM cases", "-1")
    out.append(
        "CREATE OR REPLACE FUNCTION layer_rebuild_case_aggregates() RETURNS void "
        "LANGUAGE plpgsql AS $$\nBEGIN\n    DELETE FROM layer_incident_cell_parts;\n"
        f"    DELETE FROM layer_case_count_parts;\n{rebuild};\nEND $$;\n"
    )
    out.append(f"""
CREATE FUNCTION layer_compact_case_aggregates() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    moved integer := 0;
    k integer;
BEGIN
    WITH gone AS (
        DELETE FROM layer_incident_cell_parts
         WHERE ctid IN (SELECT ctid FROM layer_incident_cell_parts WHERE slot >= 0
                        FOR UPDATE SKIP LOCKED)
        RETURNING *
    ), g AS (
        SELECT level, cx, cy, {CELL_SUMS} FROM gone GROUP BY 1, 2, 3
    ), ins AS (
        {cell_upsert("g", "-1")}
        RETURNING 1
    )
    SELECT count(*) INTO moved FROM gone;
    WITH gone AS (
        DELETE FROM layer_case_count_parts
         WHERE ctid IN (SELECT ctid FROM layer_case_count_parts WHERE slot >= 0
                        FOR UPDATE SKIP LOCKED)
        RETURNING *
    ), g AS (
        SELECT unit_code, sum(n)::int AS n, sum(n_open)::int AS n_open FROM gone GROUP BY 1
    ), ins AS (
        {count_upsert("g", "-1")}
        RETURNING 1
    )
    SELECT count(*) INTO k FROM gone;
    RETURN moved + k;
END $$;
""")
    return "\n".join(out)


def _old_functions() -> str:
    """The single-row maintenance of 0002 (for the downgrade)."""
    out = []
    for op_name, rows in ROWS.items():
        out.append(
            f"CREATE OR REPLACE FUNCTION layer_cases_after_{op_name}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$\nBEGIN\n{apply_sql(rows, None, old=True)};\n"
            "    RETURN NULL;\nEND $$;\n"
        )
    out.append(
        "CREATE OR REPLACE FUNCTION layer_rebuild_case_aggregates() RETURNS void "
        "LANGUAGE plpgsql AS $$\nBEGIN\n    DELETE FROM layer_incident_cells;\n"
        "    DELETE FROM layer_case_counts;\n"
        f"{apply_sql(f'SELECT {COLS}, 1 AS s FROM cases', None, old=True)};\nEND $$;\n"
    )
    return "\n".join(out)


DOWNGRADE = r"""
CREATE TABLE case_counters (
    day  char(8) PRIMARY KEY CHECK (day ~ '^[0-9]{8}$'),
    last integer NOT NULL CHECK (last >= 0)
);
INSERT INTO case_counters (day, last)
SELECT split_part(case_no, '-', 2), max(split_part(case_no, '-', 3)::int)
FROM cases WHERE case_no ~ '^630202-[0-9]{8}-[0-9]+$'
GROUP BY 1;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT sequencename FROM pg_sequences
              WHERE schemaname = current_schema() AND sequencename ~ '^case_no_seq_[0-9]{8}$'
    LOOP
        EXECUTE format('DROP SEQUENCE %I', r.sequencename);
    END LOOP;
END $$;

DROP FUNCTION layer_compact_case_aggregates();

DROP VIEW layer_case_counts;
CREATE TABLE layer_case_counts AS
SELECT unit_code, sum(n)::int AS n, sum(n_open)::int AS n_open
  FROM layer_case_count_parts GROUP BY unit_code;
ALTER TABLE layer_case_counts ADD PRIMARY KEY (unit_code),
    ALTER COLUMN n SET NOT NULL, ALTER COLUMN n SET DEFAULT 0,
    ALTER COLUMN n_open SET NOT NULL, ALTER COLUMN n_open SET DEFAULT 0;
DROP TABLE layer_case_count_parts;

DROP VIEW layer_incident_cells;
ALTER TABLE layer_incident_cell_parts RENAME TO layer_incident_cells;
CREATE TEMP TABLE cells_sum ON COMMIT DROP AS
SELECT level, cx, cy, sum(n)::int AS n, sum(n_open)::int AS n_open, sum(n_sens)::int AS n_sens,
       sum(n_open_sens)::int AS n_open_sens, sum(sx) AS sx, sum(sy) AS sy,
       sum(psx) AS psx, sum(psy) AS psy
  FROM layer_incident_cells GROUP BY 1, 2, 3;
DELETE FROM layer_incident_cells;
ALTER TABLE layer_incident_cells DROP CONSTRAINT layer_incident_cell_parts_pkey;
ALTER TABLE layer_incident_cells DROP COLUMN slot;
INSERT INTO layer_incident_cells SELECT * FROM cells_sum;
ALTER TABLE layer_incident_cells ADD CONSTRAINT layer_incident_cells_pkey
    PRIMARY KEY (level, cx, cy);

DROP TRIGGER layer_version ON cases;
DROP TRIGGER layer_version_truncate ON cases;
DROP FUNCTION layer_bump_version_slot();
DROP VIEW layer_data_versions;
DROP FUNCTION layer_data_versions_write();
ALTER TABLE layer_data_version_base RENAME TO layer_data_versions;
UPDATE layer_data_versions
   SET version = nextval('layer_version_seq'), changed_at = clock_timestamp()
 WHERE source IN (SELECT source FROM layer_data_version_parts);
DROP TABLE layer_data_version_parts;
CREATE OR REPLACE FUNCTION layer_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE layer_data_versions
       SET version = nextval('layer_version_seq'), changed_at = clock_timestamp()
     WHERE source = TG_TABLE_NAME;
    RETURN NULL;
END $$;
CREATE TRIGGER layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION layer_bump_version();
DROP FUNCTION layer_write_slot();
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(_functions())


def downgrade() -> None:
    op.execute(DOWNGRADE)
    op.execute(_old_functions())
