"""The operator CLI, run as a real process against real clusters."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


def gridmap(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gis.cli.main", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def var_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="gridmap-cli-"))
    d.chmod(0o755)
    yield d
    gridmap("db", "stop", env={"GRIDMAP_VAR_DIR": str(d)})
    subprocess.run(["rm", "-rf", str(d)], check=False)


def test_db_start_url_status_stop(var_dir: Path) -> None:
    env = {"GRIDMAP_VAR_DIR": str(var_dir)}
    r = gridmap("db", "url", env=env)
    assert r.returncode != 0 and "gridmap db start" in r.stderr  # not initialised yet
    r = gridmap("db", "start", env=env)
    assert r.returncode == 0, r.stderr
    url = gridmap("db", "url", env=env).stdout.strip()
    assert url.startswith("postgresql://gridmap:") and "@127.0.0.1:" in url
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT postgis_lib_version()")).scalar()
    engine.dispose()
    assert gridmap("db", "status", env=env).returncode == 0
    assert gridmap("db", "start", env=env).returncode == 0  # second start reuses it
    assert gridmap("db", "stop", env=env).returncode == 0
    assert gridmap("db", "status", env=env).returncode == 3


def test_migrate_and_demo_load(empty_db_url: str) -> None:
    env = {"DATABASE_URL": empty_db_url}
    r = gridmap("demo", "load", "--incidents", "50", env=env)
    assert r.returncode == 1 and "gridmap db migrate" in r.stderr
    r = gridmap("db", "migrate", env=env)
    assert r.returncode == 0, r.stderr
    r = gridmap("demo", "load", "--incidents", "50", env=env)
    assert r.returncode == 0, r.stderr
    assert "grids" in r.stderr
    engine = make_engine(empty_db_url, pool_size=1)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 50
        assert (
            conn.execute(sa.text("SELECT count(*) FROM admin_units WHERE level = 5")).scalar()
            == 372
        )
    engine.dispose()
    r = gridmap("demo", "load", "--incidents", "-5", env=env)
    assert r.returncode != 0 and "Traceback" not in r.stderr


def test_unreachable_database_is_one_clear_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = gridmap("db", "migrate", env={"DATABASE_URL": f"postgresql://x:y@127.0.0.1:{port}/z"})
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "无法连接数据库" in r.stderr or "cannot reach" in r.stderr


def test_database_without_postgis_is_explained(test_db) -> None:  # type: ignore[no-untyped-def]
    url = test_db.create_database()
    if test_db.cluster is None:
        pytest.skip("needs the local test cluster to drop the extension")
    import psycopg2

    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(**test_db.cluster.admin_params(name))
    conn.autocommit = True
    conn.cursor().execute("DROP EXTENSION postgis")
    conn.close()
    r = gridmap("db", "migrate", env={"DATABASE_URL": url})
    assert r.returncode == 1
    assert "CREATE EXTENSION postgis" in r.stderr
    assert "Traceback" not in r.stderr


def test_port_in_use_is_explained(var_dir: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = gridmap(
            "serve", "--port", str(port), env={"GRIDMAP_VAR_DIR": str(var_dir)}, timeout=120
        )
    assert r.returncode == 1
    assert f"端口 {port} 已被占用" in r.stderr
    gridmap("db", "stop", env={"GRIDMAP_VAR_DIR": str(var_dir)})


def test_missing_postgis_package_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    from gis import cluster
    from gis.errors import SetupError

    monkeypatch.setattr(cluster, "PG_VERSIONS", ("99",))
    with pytest.raises(SetupError, match="apt-get install postgresql-15-postgis-3"):
        cluster.find_pg_bin()
