"""Case triggers: one trigger call per write, a short path for a single new case.

Revision ID: 0012_intake_triggers
Revises: 0011_case_ingest
Create Date: 2026-11-26

Migration 0011 left two statement-level triggers on every case write: the aggregate one
(``layer_cases_after_insert/update/delete``) and ``layer_version`` (the data-version bump).
Now:

- the aggregate functions bump the ``cases`` data version themselves, so ``layer_version``
  fires only on TRUNCATE (its other events are dropped); a statement that changed no row
  (a resent report: ``ON CONFLICT DO NOTHING``) neither bumps nor touches the aggregates —
  nothing changed;
- a statement that inserted exactly one case (every report) adds it with one statement:
  the case's cell at each level 4–19, its three unit counts and the version bump, without
  the grouping that several rows need (same cells, same sums; several rows still take the
  0011 path).

The tiles see a new case in the very next request as before (all in the writer's
transaction), and the aggregates still equal a fresh recount.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0012_intake_triggers"
down_revision = "0011_case_ingest"
branch_labels = None
depends_on = None


def _v0011() -> ModuleType:
    """Migration 0011 (its aggregate SQL builders, reused as they are)."""
    path = Path(__file__).with_name("0011_case_ingest.py")
    spec = importlib.util.spec_from_file_location("gridmap_migration_0011", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


M = _v0011()
HALF = M.HALF
TOP = M.MAX_LEVEL

BUMP = """
    INSERT INTO layer_data_version_parts AS p (source, slot, bumps, changed_at)
    VALUES ('cases', my_slot, 1, clock_timestamp())
    ON CONFLICT (source, slot) DO UPDATE SET bumps = p.bumps + 1, changed_at = EXCLUDED.changed_at
"""

# One visible new case: its cell at every level (the cell numbers of 0011's ``base``/``cells``
# for one row), its grid/community/township counts, and the version bump.
ONE_ROW = f"""
    WITH d AS MATERIALIZED (
        SELECT r.grid_code, r.community_code, r.township_code,
               (r.state IN {M.OPEN_STATES})::int AS o,
               coalesce(cat.sensitive, false)::int AS s,
               ST_Transform(r.geom, 3857) AS m
          FROM new_rows r
          LEFT JOIN categories cat ON cat.code = r.category_code
         WHERE r.state NOT IN {M.HIDDEN_STATES}
    ), b AS (
        SELECT o, s, ST_X(m) AS mx, ST_Y(m) AS my FROM d
    ), cells AS (
        SELECT l.level,
               floor((b.mx + {HALF}) / ({2 * HALF} / 2 ^ {TOP}))::int >> ({TOP} - l.level) AS cx,
               floor(({HALF} - b.my) / ({2 * HALF} / 2 ^ {TOP}))::int >> ({TOP} - l.level) AS cy,
               1 AS n, b.o AS n_open, b.s AS n_sens, b.o * b.s AS n_open_sens,
               b.mx AS sx, b.my AS sy,
               CASE WHEN b.s = 0 THEN b.mx ELSE 0 END AS psx,
               CASE WHEN b.s = 0 THEN b.my ELSE 0 END AS psy
          FROM b CROSS JOIN generate_series({M.MIN_LEVEL}, {TOP}) AS l(level)
    ), ins AS (
        {M.cell_upsert("cells", "my_slot")}
        RETURNING 1
    ), units AS (
        SELECT u.code AS unit_code, 1 AS n, d.o AS n_open
          FROM d CROSS JOIN LATERAL (VALUES (d.grid_code), (d.community_code), (d.township_code))
               AS u(code)
         WHERE u.code IS NOT NULL
    ), cnt AS (
        {M.count_upsert("units", "my_slot")}
        RETURNING 1
    )
    {BUMP}
"""


def _function(op_name: str, rows_table: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION layer_cases_after_{op_name}() RETURNS trigger "
        "LANGUAGE plpgsql AS $$\nDECLARE\n    my_slot integer;\n    nrows integer;\nBEGIN\n"
        f"    SELECT count(*) INTO nrows FROM {rows_table};\n"
        "    IF nrows = 0 THEN\n        RETURN NULL;  -- nothing changed\n    END IF;\n"
        f"    my_slot := layer_write_slot();\n{body}\n    RETURN NULL;\nEND $$;\n"
    )


def _functions() -> str:
    bulk = {name: M.apply_sql(rows, "my_slot") for name, rows in M.ROWS.items()}
    insert = f"    IF nrows = 1 THEN\n{ONE_ROW};\n    ELSE\n{bulk['insert']};\n{BUMP};\n    END IF;"
    return "\n".join(
        [
            _function("insert", "new_rows", insert),
            _function("update", "new_rows", f"{bulk['update']};\n{BUMP};"),
            _function("delete", "old_rows", f"{bulk['delete']};\n{BUMP};"),
        ]
    )


UPGRADE_TRIGGERS = """
DROP TRIGGER layer_version ON cases;
"""

DOWNGRADE_TRIGGERS = """
CREATE TRIGGER layer_version AFTER INSERT OR UPDATE OR DELETE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION layer_bump_version_slot();
"""


def upgrade() -> None:
    op.execute(_functions())
    op.execute(UPGRADE_TRIGGERS)


def _functions_0011() -> str:
    """The trigger functions as 0011 made them (the version bump left to ``layer_version``)."""
    return "\n".join(
        f"CREATE OR REPLACE FUNCTION layer_cases_after_{name}() RETURNS trigger "
        "LANGUAGE plpgsql AS $$\nDECLARE\n    my_slot integer := layer_write_slot();\nBEGIN\n"
        f"{M.apply_sql(rows, 'my_slot')};\n    RETURN NULL;\nEND $$;\n"
        for name, rows in M.ROWS.items()
    )


def downgrade() -> None:
    op.execute(DOWNGRADE_TRIGGERS)
    op.execute(_functions_0011())
