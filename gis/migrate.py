"""Schema migrations (Alembic), driven from code rather than an ini file."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from gis.errors import SetupError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(conn: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def pending(engine: Engine) -> list[str]:
    """Revisions that ``upgrade`` would apply, oldest first, with their messages."""
    script = ScriptDirectory.from_config(_config())
    cur = current_revision(engine)
    try:
        known = cur is None or script.get_revision(cur) is not None
    except Exception:  # alembic raises ResolutionError/CommandError for an unknown id
        known = False
    if not known:
        raise SetupError(
            f"数据库结构版本 {cur} 比程序新 (the database is at revision {cur}, newer than this "
            f"code's head {head_revision()}): upgrade gridmap before migrating"
        )
    revs = list(script.iterate_revisions(head_revision(), cur))
    return [f"{r.revision}: {(r.doc or '').splitlines()[0]}" for r in reversed(revs)]


def ensure_postgis(engine: Engine) -> None:
    """Create the postgis extension if missing, or say how to."""
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname='postgis'")).scalar():
            return
        try:
            conn.execute(sa.text("CREATE EXTENSION postgis"))
            conn.commit()
        except DBAPIError as exc:
            raise SetupError(
                "数据库没有 PostGIS 扩展且当前角色无权创建 (the database has no postgis extension "
                "and this role may not create it): as a superuser run `CREATE EXTENSION postgis;` "
                "— on Debian the package is postgresql-15-postgis-3"
            ) from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    pending(engine)  # refuses a database newer than the code
    ensure_postgis(engine)
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` for an empty schema)."""
    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)
