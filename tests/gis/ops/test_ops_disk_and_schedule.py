"""No disk space for a backup; scheduled backups and retention; the upgrade path."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis import migrate
from gis.ops import disk
from gis.ops.backup import create_backup
from gis.ops.disk import NoSpace
from gis.ops.pgtarget import PgTarget
from gis.ops.scheduler import BackupScheduler, prune


def _logged(url: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM ops_backups")).scalar_one()
    engine.dispose()
    return int(n)


def test_free_space_is_checked_before_writing(
    engine, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(disk.shutil, "disk_usage", lambda _p: Usage(10 << 20, 9 << 20, 1 << 20))
    before = _logged(pg_url)
    with pytest.raises(NoSpace, match="not enough disk space"):
        create_backup(target=PgTarget.from_url(pg_url), media_dir=tmp_path / "m", output=tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert _logged(pg_url) == before


@pytest.fixture
def tiny_tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_full_disk_while_writing_leaves_nothing(
    engine, pg_url: str, tiny_tmpfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A real 256 KiB filesystem: refused up front; and if the estimate were wrong, ENOSPC."""
    before = _logged(pg_url)
    with pytest.raises(NoSpace, match="not enough disk space"):
        create_backup(target=PgTarget.from_url(pg_url), media_dir=tmp_path, output=tiny_tmpfs)
    monkeypatch.setattr("gis.ops.backup.require_free", lambda *a, **k: None)
    with pytest.raises(NoSpace, match="filled up"):
        create_backup(target=PgTarget.from_url(pg_url), media_dir=tmp_path, output=tiny_tmpfs)
    assert list(tiny_tmpfs.iterdir()) == []
    assert _logged(pg_url) == before


def test_scheduler_backs_up_when_due_and_keeps_n(engine, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "auto"
    sched = BackupScheduler(
        target=lambda: PgTarget.from_url(pg_url),
        media_dir=tmp_path / "media",
        backup_dir=out,
        interval_hours=1,
        keep=2,
    )
    # the shared test database may hold recent backups made by other tests: look from later
    first = sched.run_due(now=datetime.now(UTC) + timedelta(days=30))
    assert first is not None and first.path.name.startswith("gridmap-auto-")
    assert first.manifest.kind == "scheduled"
    assert sched.run_due() is None  # the latest backup is seconds old
    later = datetime.now(UTC) + timedelta(hours=2)
    # older scheduled archives beyond `keep` go; manual ones stay
    for stamp in ("20200101T000000Z", "20200102T000000Z"):
        (out / f"gridmap-auto-{stamp}.tar").write_bytes(b"old")
    (out / "gridmap-backup-20200101T000000Z.tar").write_bytes(b"manual")
    # a name one second later than the first, as two runs in the same second would clash
    import time

    time.sleep(1.1)
    second = sched.run_due(now=later)
    assert second is not None
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(
        ["gridmap-backup-20200101T000000Z.tar", first.path.name, second.path.name]
    )
    assert prune(out, 1) == [first.path]


def test_upgrade_from_the_previous_head_keeps_the_data(test_db) -> None:  # type: ignore[no-untyped-def]
    """A database holding demo data at the previous schema revision migrates to head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from gis.db import make_engine
    from gis.demo.load import load_demo

    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_revision(migrate.head_revision())
    previous = head.down_revision
    assert isinstance(previous, str)
    eng = make_engine(test_db.create_database(), pool_size=1)
    migrate.upgrade(eng, previous)
    assert migrate.current_revision(eng) == previous
    load_demo(eng, incidents=100)
    tables = (
        "admin_units",
        "grids",
        "grid_staff",
        "residences",
        "facilities",
        "cases",
        "case_events",
    )

    def state() -> dict[str, object]:
        with eng.connect() as conn:
            out: dict[str, object] = {
                t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables
            }
            out["geom"] = conn.execute(
                sa.text("SELECT md5(string_agg(ST_AsEWKB(geom)::text, ',' ORDER BY id)) FROM grids")
            ).scalar()
        return out

    before = state()
    assert before["cases"] == 100
    assert migrate.pending(eng) == [f"{head.revision}: {(head.doc or '').splitlines()[0]}"]
    migrate.upgrade(eng)
    assert migrate.current_revision(eng) == migrate.head_revision()
    assert state() == before
    eng.dispose()


def test_disk_helpers() -> None:
    assert disk.human_bytes(1536) == "1.5 KiB"
    assert disk.existing_ancestor(Path("/tmp") / uuid.uuid4().hex / "x") == Path("/tmp")
    assert disk.usage(Path("/")).free > 0
    assert shutil.disk_usage("/").total == disk.usage(Path("/")).total
    assert os.path.isabs(str(disk.existing_ancestor(Path("relative-nowhere"))))
