"""Test fixtures: a real, throwaway PostGIS for the whole session.

Set ``GRIDMAP_TEST_DATABASE_URL`` to use an existing (empty, disposable) database instead;
otherwise a private cluster is initialised in a temporary directory on a free port and
removed at the end. Each ``db`` session runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import hypothesis  # imported early: CPython 3.11.7 can fail to parse it late
import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gis import migrate
from gis.cluster import LocalCluster, free_port
from gis.db import make_engine

TEST_INCIDENTS = 2000

# Property tests check behaviour, not speed: no per-example deadline on a busy 2-core machine.
hypothesis.settings.register_profile("gridmap", deadline=None)
hypothesis.settings.load_profile("gridmap")


class TestDatabase:
    """The server used by the tests, and a way to make more empty databases on it."""

    def __init__(self) -> None:
        self.cluster: LocalCluster | None = None
        external = os.environ.get("GRIDMAP_TEST_DATABASE_URL")
        if external:
            self.url = external
        else:
            root = Path(tempfile.mkdtemp(prefix="gridmap-test-pg-"))
            root.chmod(0o755)  # the server runs as 'postgres' when we are root
            self.cluster = LocalCluster(root / "pg", port=free_port())
            self.url = self.cluster.ensure()
        self._made: list[str] = []

    def create_database(self) -> str:
        """A new empty database with PostGIS; returns its URL (dropped at the end)."""
        name = f"gm_{uuid.uuid4().hex[:10]}"
        params = self.cluster.admin_params() if self.cluster else {"dsn": self.url}
        conn = psycopg2.connect(**params)  # type: ignore[arg-type]
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE {name} OWNER gridmap"
                if self.cluster
                else f"CREATE DATABASE {name}"
            )
        conn.close()
        if self.cluster:
            conn = psycopg2.connect(**self.cluster.admin_params(name))  # type: ignore[arg-type]
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("CREATE EXTENSION postgis")
            conn.close()
        self._made.append(name)
        return self.url.rsplit("/", 1)[0] + "/" + name

    def close(self) -> None:
        if self.cluster:
            self.cluster.destroy()
            root = self.cluster.root.parent
            if root.name.startswith("gridmap-test-pg-"):
                import shutil

                shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def test_db() -> Iterator[TestDatabase]:
    tdb = TestDatabase()
    try:
        yield tdb
    finally:
        tdb.close()


@pytest.fixture(scope="session")
def pg_url(test_db: TestDatabase) -> str:
    return test_db.url


@pytest.fixture(scope="session")
def engine(pg_url: str) -> Iterator[Engine]:
    """The session's database, migrated and holding the demo data set."""
    from gis.demo.load import load_demo

    eng = make_engine(pg_url, pool_size=5)
    migrate.upgrade(eng)
    load_demo(eng, incidents=TEST_INCIDENTS)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (savepoints for inner commits)."""
    conn = engine.connect()
    trans = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        trans.rollback()
        conn.close()


@pytest.fixture
def empty_db_url(test_db: TestDatabase) -> str:
    """A fresh database with PostGIS and no schema."""
    return test_db.create_database()


@pytest.fixture(scope="session")
def app(engine: Engine, pg_url: str):  # type: ignore[no-untyped-def]
    from api.main import create_app
    from gis.settings import Settings

    return create_app(Settings(env="test", log_json=True), database_url=pg_url)


@pytest.fixture(scope="session")
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def scalar(session: Session | sa.Connection, sql: str, **params: object) -> object:
    """Run one SQL query and return its single value."""
    return session.execute(sa.text(sql), params).scalar_one()
