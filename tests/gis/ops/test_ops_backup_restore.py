"""Backup → restore into a fresh database: same rows, same geometries, same photos."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from gis.errors import Conflict, SetupError
from gis.ops.archive import verify_backup
from gis.ops.backup import BackupResult
from gis.ops.manifest import BadBackup
from gis.ops.pgtarget import PgTarget
from gis.ops.restore import restore_backup

GEOMETRY_TABLES = {
    "admin_units": "geom",
    "grids": "geom",
    "residences": "geom",
    "facilities": "geom",
    "cases": "geom",
}


def _tables(conn: sa.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            sa.text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1"
            )
        )
    ]


def _snapshot(url: str) -> dict[str, object]:
    """Row counts of every table and an ordered hash of the geometries of the main ones."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    out: dict[str, object] = {}
    with engine.connect() as conn:
        for t in _tables(conn):
            out[f"count:{t}"] = conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar()
        for t, col in GEOMETRY_TABLES.items():
            out[f"geom:{t}"] = conn.execute(
                sa.text(f"SELECT md5(string_agg(ST_AsEWKB({col})::text, ',' ORDER BY id)) FROM {t}")
            ).scalar()
        out["revision"] = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    return out


def _is_empty(url: str) -> bool:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'"
        )
        n = cur.fetchone()[0]
    conn.close()
    return n == 0


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_roundtrip_same_rows_geometries_and_photos(
    archive: BackupResult, pg_url: str, source_media: Path, test_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    m = archive.manifest
    assert archive.path.name.startswith("gridmap-backup-") and archive.path.suffix == ".tar"
    assert m.row_counts["public.cases"] > 0 and m.schema_revision
    assert len(m.media_files) == len(_files(source_media))
    target_url = test_db.create_database()
    media = tmp_path / "media"
    report = restore_backup(
        archive_path=archive.path, target=PgTarget.from_url(target_url), media_dir=media
    )
    assert report.media_restored == len(m.media_files)
    before, after = _snapshot(pg_url), _snapshot(target_url)
    # ops_backups gained this backup's own log row after the snapshot was taken
    before.pop("count:ops_backups"), after.pop("count:ops_backups")
    assert after == before
    assert _files(media) == _files(source_media)
    # geometries compared by PostGIS itself, row by row
    src = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg2://"))
    with src.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, ST_AsEWKB(geom) FROM grids")).all()
    src.dispose()
    engine = sa.create_engine(target_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE src (id int, geom bytea)"))
        conn.execute(
            sa.text("INSERT INTO src VALUES (:i, :g)"), [{"i": i, "g": bytes(g)} for i, g in rows]
        )
        equal, unequal = conn.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE ST_Equals(g.geom, s.geom::geometry)), "
                "count(*) FILTER (WHERE NOT ST_Equals(g.geom, s.geom::geometry)) "
                "FROM grids g JOIN src s ON s.id = g.id"
            )
        ).one()
    engine.dispose()
    assert (equal, unequal) == (len(rows), 0)


def test_restore_refuses_a_non_empty_database_unless_forced(
    archive: BackupResult, test_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = test_db.create_database()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE keep_me (id int PRIMARY KEY, note text)"))
        conn.execute(sa.text("INSERT INTO keep_me VALUES (1, 'precious')"))
    with pytest.raises(Conflict, match="not empty"):
        restore_backup(archive_path=archive.path, target=PgTarget.from_url(url), media_dir=tmp_path)
    with engine.connect() as conn:
        assert _tables(conn) == ["keep_me"]
        assert conn.execute(sa.text("SELECT note FROM keep_me")).scalar() == "precious"
    report = restore_backup(
        archive_path=archive.path, target=PgTarget.from_url(url), media_dir=tmp_path, force=True
    )
    with engine.connect() as conn:
        assert "keep_me" not in _tables(conn)
        assert (
            conn.execute(sa.text("SELECT count(*) FROM cases")).scalar()
            == (archive.manifest.row_counts["public.cases"])
        )
    engine.dispose()
    assert report.row_counts["public.grids"] == archive.manifest.row_counts["public.grids"]


def test_forced_restore_that_fails_leaves_the_database_as_it_was(
    archive: BackupResult, test_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """An error inside the restore transaction rolls back the drop of the old tables too."""
    url = test_db.create_database()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE keep_me (id int PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO keep_me VALUES (7)"))
        # a composite type named like a dumped table: its CREATE TABLE fails mid-restore,
        # after the old tables were dropped in the same transaction
        conn.execute(sa.text("CREATE TYPE cases AS (x int)"))
    with pytest.raises(SetupError, match="rolled back"):
        restore_backup(
            archive_path=archive.path, target=PgTarget.from_url(url), media_dir=tmp_path, force=True
        )
    with engine.connect() as conn:
        assert _tables(conn) == ["keep_me"]
        assert conn.execute(sa.text("SELECT id FROM keep_me")).scalar() == 7
    engine.dispose()


def test_corrupt_backup_is_refused_and_nothing_touched(
    archive: BackupResult, test_db, tmp_path: Path, rewrite_archive
) -> None:  # type: ignore[no-untyped-def]
    def flip(name: str, data: bytes) -> bytes:
        if name != "database.dump":
            return data
        mid = len(data) // 2
        return data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :]

    bad = rewrite_archive(archive.path, tmp_path / "bad.tar", member_edit=flip)
    url = test_db.create_database()
    with pytest.raises(BadBackup, match="checksum"):
        restore_backup(archive_path=bad, target=PgTarget.from_url(url), media_dir=tmp_path / "m")
    assert _is_empty(url)
    assert not (tmp_path / "m").exists()
    with pytest.raises(BadBackup, match="checksum"):
        verify_backup(bad)


def test_truncated_backup_is_refused(archive: BackupResult, test_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = test_db.create_database()
    import tarfile

    with tarfile.open(archive.path) as tar:
        manifest_at = tar.getmember("manifest.json").offset_data
    # inside the dump, inside the manifest, just past the first header
    for keep in (archive.size // 2, manifest_at + 40, 700):
        cut = tmp_path / f"cut-{keep}.tar"
        cut.write_bytes(archive.path.read_bytes()[:keep])
        with pytest.raises(BadBackup, match="truncated|corrupt"):
            restore_backup(archive_path=cut, target=PgTarget.from_url(url), media_dir=tmp_path)
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(BadBackup):
        restore_backup(archive_path=garbage, target=PgTarget.from_url(url), media_dir=tmp_path)
    assert _is_empty(url)


def test_backup_from_a_newer_schema_is_refused(
    archive: BackupResult, test_db, tmp_path: Path, rewrite_archive
) -> None:  # type: ignore[no-untyped-def]
    def future(doc: dict) -> None:  # type: ignore[type-arg]
        doc["schema_revision"] = "9999_from_the_future"

    newer = rewrite_archive(archive.path, tmp_path / "newer.tar", manifest_edit=future)
    url = test_db.create_database()
    with pytest.raises(BadBackup, match="newer"):
        restore_backup(archive_path=newer, target=PgTarget.from_url(url), media_dir=tmp_path)
    assert _is_empty(url)


def test_manifest_mismatch_rolls_the_restore_back(
    archive: BackupResult, test_db, tmp_path: Path, rewrite_archive
) -> None:  # type: ignore[no-untyped-def]
    """The checks after the data run inside the restore's transaction."""

    def lie(doc: dict) -> None:  # type: ignore[type-arg]
        doc["row_counts"]["public.grids"] += 1

    lying = rewrite_archive(archive.path, tmp_path / "lying.tar", manifest_edit=lie)
    url = test_db.create_database()
    with pytest.raises(SetupError, match="row count of public.grids"):
        restore_backup(archive_path=lying, target=PgTarget.from_url(url), media_dir=tmp_path / "m")
    assert _is_empty(url)
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").rglob("*.jpg"))


def test_differing_media_file_is_refused_unless_forced(
    archive: BackupResult, test_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    media = tmp_path / "media"
    clash = media / "cases/ab/ab12cd.jpg"
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"another photo")
    url = test_db.create_database()
    with pytest.raises(Conflict, match="--force"):
        restore_backup(archive_path=archive.path, target=PgTarget.from_url(url), media_dir=media)
    assert _is_empty(url) and clash.read_bytes() == b"another photo"


def _jpeg(seed: int) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (seed * 40 % 256, 90, 160)).save(buf, "JPEG")
    return buf.getvalue()


def test_cases_with_photos_survive_backup_and_restore(
    archive: BackupResult, test_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Cases reported through the API with photos → backup → restore: same rows and files."""
    import json
    import uuid

    from fastapi.testclient import TestClient

    from api.main import create_app
    from gis.ops.backup import create_backup
    from gis.settings import Settings

    url_a = test_db.create_database()
    var_a = tmp_path / "a"
    restore_backup(
        archive_path=archive.path, target=PgTarget.from_url(url_a), media_dir=var_a / "media"
    )
    engine = sa.create_engine(url_a.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as conn:
        cat = conn.execute(
            sa.text("SELECT code FROM categories WHERE level = 2 ORDER BY code LIMIT 1")
        ).scalar()
        lon, lat = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids ORDER BY code LIMIT 1) s"
            )
        ).one()
    engine.dispose()
    app = create_app(Settings(env="test", var_dir=var_a), database_url=url_a)
    headers = {"X-Gridmap-User": "wg1", "X-Gridmap-Role": "field_staff"}
    with TestClient(app) as client:
        for i in range(3):
            case = {
                "client_id": str(uuid.uuid4()),
                "lon": lon,
                "lat": lat,
                "category": cat,
                "description": f"测试案卷 {i}",
            }
            r = client.post(
                "/api/v1/cases",
                data={"case": json.dumps(case)},
                files=[("photos", (f"p{i}.jpg", _jpeg(i), "image/jpeg"))],
                headers=headers,
            )
            assert r.status_code == 201, r.text
    photos_a = _files(var_a / "media")
    assert len(photos_a) >= len(_files(tmp_path / "a" / "media")) and any(
        k.startswith("photos/") for k in photos_a
    )
    second = create_backup(
        target=PgTarget.from_url(url_a), media_dir=var_a / "media", output=tmp_path
    )
    assert second.manifest.row_counts["public.case_photos"] >= 3
    url_b = test_db.create_database()
    restore_backup(
        archive_path=second.path, target=PgTarget.from_url(url_b), media_dir=tmp_path / "b"
    )
    a, b = _snapshot(url_a), _snapshot(url_b)
    a.pop("count:ops_backups"), b.pop("count:ops_backups")
    assert a == b
    assert _files(tmp_path / "b") == photos_a
