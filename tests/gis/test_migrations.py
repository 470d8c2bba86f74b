"""Migrations apply to an empty database and round-trip."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis import migrate
from gis.db import make_engine
from gis.errors import SetupError

TABLES = {
    "admin_units",
    "grids",
    "grid_staff",
    "residences",
    "facilities",
    "projects",
    "project_funding",
    "project_milestones",
    "categories",
    "departments",
    "cases",
    "case_events",
}


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url, pool_size=1)
    assert migrate.current_revision(engine) is None
    assert migrate.pending(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _tables(engine) >= TABLES
    assert migrate.pending(engine) == []
    migrate.downgrade(engine, "base")
    assert not (TABLES & _tables(engine))
    migrate.upgrade(engine)
    assert _tables(engine) >= TABLES
    engine.dispose()


def test_database_newer_than_code_is_refused(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url, pool_size=1)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SetupError, match="newer"):
        migrate.upgrade(engine)
    engine.dispose()


def test_geometry_columns_are_typed_and_indexed(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                sa.text(
                    "SELECT f_table_name || '.' || f_geometry_column, type || ':' || srid "
                    "FROM geometry_columns"
                )
            ).all()
        )
        idx = {
            r[0]
            for r in conn.execute(
                sa.text("SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")
            )
        }
    assert rows["grids.geom"] == "MULTIPOLYGON:4326"
    assert rows["cases.geom"] == "POINT:4326"
    assert rows["facilities.geom"] == "POINT:4326"
    assert {"grids", "cases", "admin_units", "facilities", "residences"} <= idx


def test_invalid_grid_code_is_refused_by_the_database(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(sa.exc.IntegrityError):
        db.execute(
            sa.text(
                "INSERT INTO grids (code, name, community_code, geom, boundary_source) VALUES "
                "('63020200100199', 'x', '630202001001', "
                "ST_Multi(ST_Buffer(ST_SetSRID(ST_Point(102.4, 36.48), 4326), 0.001)), 'illustrative')"
            )
        )
        db.flush()


def test_merged_into_references_are_found_by_index(engine: sa.Engine) -> None:
    """Removing a case checks ``merged_into`` by index, not by reading the whole table."""
    with engine.connect() as conn:
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = conn.execute(
            sa.text(
                "EXPLAIN SELECT 1 FROM ONLY cases x WHERE merged_into = :id FOR KEY SHARE OF x"
            ),
            {"id": 1},
        ).scalars()
        assert "cases_merged_into_idx" in "\n".join(plan)
        conn.rollback()
