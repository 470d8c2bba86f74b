"""What a database holds: its tables, row counts, geometry digests and schema revision.

Everything runs on one psycopg2 cursor so that a backup can read it inside the same
snapshot that ``pg_dump`` dumps.
"""

from __future__ import annotations

from typing import Any

from psycopg2 import sql

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")

# Relations that belong to the user (not to an extension such as postgis' spatial_ref_sys).
_USER_RELATIONS = """
SELECT n.nspname, c.relname, c.relkind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ({kinds})
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""

# An order-independent digest of a geometry column: the sum of the first 64 bits of the
# md5 of every geometry's EWKB. Equal digests and counts mean equal geometries (barring a
# collision of a 64-bit sum, far below what a backup test needs).
_GEOM_DIGEST = (
    "SELECT count({col}), coalesce(sum(('x' || left(md5(ST_AsEWKB({col})), 16))"
    "::bit(64)::bigint::numeric), 0)::text FROM {tbl}"
)


def user_tables(cur: Any) -> list[str]:
    """``schema.table`` of every user table (partitioned tables included)."""
    cur.execute(_USER_RELATIONS.format(kinds="'r', 'p'"))
    return [f"{s}.{t}" for s, t, _ in cur.fetchall()]


def user_relations(cur: Any) -> list[str]:
    """Tables, views, materialized views, sequences and foreign tables owned by the user."""
    cur.execute(_USER_RELATIONS.format(kinds="'r', 'p', 'v', 'm', 'S', 'f'"))
    return [f"{s}.{t}" for s, t, _ in cur.fetchall()]


def ident(qualified: str) -> sql.Composable:
    schema, _, table = qualified.partition(".")
    return sql.Identifier(schema, table)


def row_counts(cur: Any, tables: list[str]) -> dict[str, int]:
    """Exact ``count(*)`` of each table."""
    out = {}
    for t in tables:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(ident(t)))
        out[t] = int(cur.fetchone()[0])
    return out


def geometry_columns(cur: Any, tables: list[str]) -> list[tuple[str, str]]:
    """``(schema.table, column)`` of every geometry column of ``tables``."""
    cur.execute(
        "SELECT n.nspname || '.' || c.relname, a.attname FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_type ty ON ty.oid = a.atttypid "
        "WHERE ty.typname = 'geometry' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2"
    )
    wanted = set(tables)
    return [(t, col) for t, col in cur.fetchall() if t in wanted]


def digest_sql(table: str, column: str) -> sql.Composable:
    return sql.SQL(_GEOM_DIGEST).format(col=sql.Identifier(column), tbl=ident(table))


def geometry_digests(cur: Any, tables: list[str]) -> dict[str, dict[str, str | int]]:
    """``{"schema.table.column": {"count": n, "digest": "…"}}`` for every geometry column."""
    out: dict[str, dict[str, str | int]] = {}
    for table, column in geometry_columns(cur, tables):
        cur.execute(digest_sql(table, column))
        n, digest = cur.fetchone()
        out[f"{table}.{column}"] = {"count": int(n), "digest": str(digest)}
    return out


def schema_revision(cur: Any) -> str | None:
    """The Alembic revision, or ``None`` when the database has no ``alembic_version``."""
    cur.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL")
    if not cur.fetchone()[0]:
        return None
    cur.execute("SELECT version_num FROM public.alembic_version")
    row = cur.fetchone()
    return str(row[0]) if row else None


def extensions(cur: Any) -> dict[str, str]:
    """Installed extensions and their versions (``plpgsql`` left out)."""
    cur.execute("SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'")
    return {name: version for name, version in cur.fetchall()}


def creatable_extensions(cur: Any, *, superuser: bool) -> set[str]:
    """Extensions this role may create here: every available one for a superuser, else the
    trusted ones (``btree_gist`` …; a database owner may create those)."""
    cur.execute(
        "SELECT DISTINCT name FROM pg_available_extension_versions WHERE trusted OR %s",
        (superuser,),
    )
    return {name for (name,) in cur.fetchall()}


def server_info(cur: Any) -> dict[str, Any]:
    """Server version (text and major number), PostGIS version, superuser or not."""
    cur.execute(
        "SELECT current_setting('server_version'), current_setting('server_version_num')::int, "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
        "pg_database_size(current_database())"
    )
    version, num, superuser, size = cur.fetchone()
    return {
        "postgresql": str(version).split()[0],
        "major": int(num) // 10000,
        "superuser": bool(superuser),
        "database_bytes": int(size),
    }


def table_bytes(cur: Any) -> int:
    """Heap and TOAST bytes of the user tables (an upper estimate of their dumped size)."""
    cur.execute(
        "SELECT coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
    )
    return int(cur.fetchone()[0])
