"""Engine and sessions. One engine per process, built from the settings' DSN."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gis.errors import SetupError, Unavailable
from gis.settings import Settings


def resolve_url(settings: Settings, *, start: bool = True) -> str:
    """The DSN to use: ``DATABASE_URL`` if set, else the app-owned local cluster.

    With ``start`` the local cluster is initialised and started when needed.
    """
    if settings.database_url:
        return settings.database_url
    from gis.cluster import LocalCluster

    cluster = LocalCluster(settings.pg_dir)
    return cluster.ensure() if start else cluster.url()


def sqlalchemy_url(url: str) -> str:
    """Normalise ``postgres://`` and ``postgresql://`` to the psycopg2 dialect."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """A pooled engine; connections are checked before use so a restarted server heals."""
    return sa.create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5, "application_name": "gridmap"},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def server_versions(engine: Engine) -> dict[str, str]:
    """PostgreSQL and PostGIS versions, or a clear error.

    Raises
    ------
    Unavailable
        The database cannot be reached.
    SetupError
        The database has no PostGIS extension.
    """
    try:
        with engine.connect() as conn:
            pg = conn.execute(sa.text("SHOW server_version")).scalar_one()
            has = conn.execute(
                sa.text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
            if has is None:
                raise SetupError(
                    "数据库没有 PostGIS 扩展 (the database has no postgis extension): "
                    "connect as a superuser and run `CREATE EXTENSION postgis;`"
                )
            full = conn.execute(sa.text("SELECT postgis_lib_version()")).scalar_one()
    except OperationalError as exc:
        raise Unavailable(
            f"无法连接数据库 (cannot reach the database): {str(exc.orig).strip()[:300]}"
        ) from exc
    return {"postgresql": str(pg).split()[0], "postgis": str(full)}
