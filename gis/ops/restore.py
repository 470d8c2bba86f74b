"""``gridmap db restore``: a backup archive back into an empty database, checked.

Order of work, so that a refusal or a failure leaves the database as it was:

1. the archive: structure, schema revision not newer than the code, every checksum;
2. the target: reachable, empty (or ``force``), PostGIS present or creatable, disk space;
3. media files are extracted to a staging directory next to the media directory;
4. ``pg_restore`` writes SQL that ``psql`` runs in ONE transaction, followed by checks of
   every row count and geometry digest against the manifest — any error or mismatch rolls
   the whole restore back;
5. the staged media files are moved into place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gis.errors import Conflict, SetupError
from gis.ops import inventory
from gis.ops.archive import Archive, open_archive
from gis.ops.disk import NoSpace, is_no_space, require_free
from gis.ops.manifest import MEDIA_PREFIX, FileEntry
from gis.ops.pgrestore import run_restore
from gis.ops.pgtarget import PgTarget

CHUNK = 1 << 20
Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


@dataclass
class RestoreReport:
    """What was restored, and what the operator should do next."""

    target: str
    schema_revision: str | None
    backup_created_at: str
    row_counts: dict[str, int]
    geometry_columns: int
    media_restored: int
    media_present: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def restore_backup(
    *,
    archive_path: Path,
    target: PgTarget,
    media_dir: Path,
    force: bool = False,
    progress: Progress = _noop,
) -> RestoreReport:
    """Restore a backup archive into ``target`` and ``media_dir``, verified.

    Parameters
    ----------
    archive_path
        A file written by :func:`gis.ops.backup.create_backup`.
    target
        The database to restore into; it must be empty unless ``force``.
    media_dir
        Where the photos go. Files already there with the same content are kept.
    force
        Replace the tables of a non-empty database and overwrite differing media files.

    Raises
    ------
    BadBackup
        Corrupt, truncated or newer-schema archive (nothing touched).
    Conflict
        The database is not empty, or media files differ (nothing touched).
    NoSpace
        Not enough space for the media files or the database (nothing touched).
    SetupError
        The restore failed inside its transaction (rolled back: nothing changed).
    """
    started = time.monotonic()
    with open_archive(archive_path) as archive:
        manifest = archive.manifest
        archive.check_revision()
        archive.verify(progress)
        conn = target.connect()
        conn.autocommit = True
        try:
            cur = conn.cursor()
            info = inventory.server_info(cur)
            existing = inventory.user_relations(cur)
            if existing and not force:
                raise Conflict(
                    f"目标数据库不是空的 (the target database {target.describe()} is not empty: "
                    f"{len(existing)} tables and other objects, e.g. {existing[0]}); restore "
                    f"into an empty database, or add --force to replace its contents"
                )
            exts = inventory.extensions(cur)
            creatable = inventory.creatable_extensions(cur, superuser=info["superuser"])
            if "postgis" not in exts and not info["superuser"]:
                raise SetupError(
                    "目标数据库没有 PostGIS 扩展且当前角色无权创建 (the target has no postgis "
                    "extension and this role may not create it): as a superuser run "
                    "`CREATE EXTENSION postgis;` there, then restore again"
                )
            new_media, present = _plan_media(archive, media_dir, force=force)
            require_free(
                media_dir, sum(e.size for _, e in new_media) + (1 << 20), what="照片 (media)"
            )
            if target.local_cluster is not None:
                require_free(
                    target.local_cluster, manifest.database_bytes, what="数据库 (database)"
                )
            staging = _stage_media(archive, media_dir, new_media, progress)
            try:
                progress(f"恢复数据库 (restoring into {target.describe()}, one transaction)")
                run_restore(archive, target, cur, info, exts, force=force, existing=existing)
                _move_media(staging, media_dir)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            tables = inventory.user_tables(cur)
            counts = inventory.row_counts(cur, tables)
        finally:
            conn.close()
    notes = []
    skipped = sorted(set(manifest.extensions) - {"postgis"} - set(exts) - creatable)
    if skipped:
        notes.append(f"未创建扩展 (extensions not created, not a superuser): {', '.join(skipped)}")
    from gis.migrate import head_revision

    head = head_revision()
    if manifest.schema_revision != head:
        notes.append(
            f"备份的数据库结构为 {manifest.schema_revision}, 程序为 {head}: 请运行 "
            f"`gridmap db migrate` (the backup is at {manifest.schema_revision}; migrate to {head})"
        )
    return RestoreReport(
        target=target.describe(),
        schema_revision=manifest.schema_revision,
        backup_created_at=manifest.created_at,
        row_counts=counts,
        geometry_columns=len(manifest.geometry_digests),
        media_restored=len(new_media),
        media_present=present,
        seconds=time.monotonic() - started,
        notes=notes,
    )


def _plan_media(
    archive: Archive, media_dir: Path, *, force: bool
) -> tuple[list[tuple[str, FileEntry]], int]:
    """Media files to write, and how many are already there with the same content."""
    import hashlib

    todo, present, differ = [], 0, []
    for name, entry in sorted(archive.manifest.media_files.items()):
        dest = media_dir / name[len(MEDIA_PREFIX) :]
        if (
            dest.is_file()
            and dest.stat().st_size == entry.size
            and hashlib.sha256(dest.read_bytes()).hexdigest() == entry.sha256
        ):
            present += 1
            continue
        if dest.exists():
            differ.append(str(dest))
        todo.append((name, entry))
    if differ and not force:
        raise Conflict(
            f"照片目录中已有 {len(differ)} 个内容不同的同名文件 (media files differ from the "
            f"backup, e.g. {differ[0]}); add --force to overwrite them"
        )
    return todo, present


def _stage_media(
    archive: Archive, media_dir: Path, todo: list[tuple[str, FileEntry]], progress: Progress
) -> Path:
    media_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".gridmap-restore-", dir=media_dir.parent))
    if todo:
        progress(f"解出照片 (staging {len(todo)} media files)")
    try:
        for name, _entry in todo:
            dest = staging / name[len(MEDIA_PREFIX) :]
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open_member(name) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if is_no_space(exc):
            raise NoSpace(
                f"解出照片时磁盘已满 (the disk filled up while staging media in {media_dir.parent});"
                f" the database was not touched"
            ) from exc
        raise
    return staging


def _move_media(staging: Path, media_dir: Path) -> None:
    for root, _dirs, files in os.walk(staging):
        for name in files:
            src = Path(root) / name
            dest = media_dir / src.relative_to(staging)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
