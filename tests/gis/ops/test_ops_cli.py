"""``gridmap db backup / restore / migrate --backup`` and ``gridmap doctor`` as processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from gis import migrate
from gis.db import make_engine

ROOT = Path(__file__).resolve().parents[3]


def gridmap(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDMAP_", "DATABASE_URL"))}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "gis.cli.main", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_backup_restore_and_refusals(engine, pg_url: str, test_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src_env = {"DATABASE_URL": pg_url, "GRIDMAP_VAR_DIR": str(tmp_path / "src")}
    (tmp_path / "src/media/cases").mkdir(parents=True)
    (tmp_path / "src/media/cases/p.jpg").write_bytes(b"\xff\xd8photo")
    r = gridmap("db", "backup", "--output", str(tmp_path / "b.tar"), env=src_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path / "b.tar") and "备份完成" in r.stderr

    target = test_db.create_database()
    dst_env = {"DATABASE_URL": target, "GRIDMAP_VAR_DIR": str(tmp_path / "dst")}
    r = gridmap("db", "restore", str(tmp_path / "b.tar"), env=dst_env)
    assert r.returncode == 0, r.stderr
    assert "restored and verified" in r.stderr and "public.cases" in r.stderr
    assert (tmp_path / "dst/media/cases/p.jpg").read_bytes() == b"\xff\xd8photo"

    r = gridmap("db", "restore", str(tmp_path / "b.tar"), env=dst_env)
    assert r.returncode == 1 and "not empty" in r.stderr and "Traceback" not in r.stderr


def test_migrate_backup_first_and_doctor(test_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = test_db.create_database()
    eng = make_engine(url, pool_size=1)
    migrate.upgrade(eng, "0001_foundation")
    env = {
        "DATABASE_URL": url,
        "GRIDMAP_VAR_DIR": str(tmp_path),
        "GRIDMAP_SECRET_KEY": "s3cret-value-never-shown",
    }
    r = gridmap("db", "migrate", "--backup", env=env)
    assert r.returncode == 0, r.stderr
    assert "0001_foundation" in r.stderr and "0002_layers" in r.stderr  # says what it will do
    backups = list((tmp_path / "backups").glob("gridmap-backup-*.tar"))
    assert len(backups) == 1 and "backed up first" in r.stderr
    assert migrate.current_revision(eng) == migrate.head_revision()

    r = gridmap("doctor", env=env)
    password = url.split(":")[2].split("@")[0]
    assert "PostgreSQL" in r.stdout and "PostGIS" in r.stdout and "durability" in r.stdout
    assert "fsync=on" in r.stdout
    assert password not in r.stdout + r.stderr
    assert "s3cret-value-never-shown" not in r.stdout + r.stderr
    assert "尚无备份" in r.stdout or "no backup yet" in r.stdout  # pre-migrate one was not logged
    assert r.returncode == 1  # a problem was listed
    with eng.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ops_backups")).scalar() == 0
    eng.dispose()
