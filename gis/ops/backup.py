"""``gridmap db backup``: the database (``pg_dump -Fc``) and the media files in one archive.

The dump, the row counts and the geometry digests of the manifest all come from one
exported snapshot, so the manifest describes exactly what the dump holds. Media files are
copied after the snapshot was taken: photos are written once under their content hash, so
every photo the dumped cases name is already on disk.

The archive is written as ``NAME.partial``, flushed to disk, then renamed: a failed or
interrupted backup never leaves a file that looks complete.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gis.errors import SetupError
from gis.ops import inventory
from gis.ops.disk import NoSpace, human_bytes, is_no_space, remove_quietly, require_free
from gis.ops.log import record_backup
from gis.ops.manifest import (
    DUMP_NAME,
    MANIFEST_NAME,
    MEDIA_PREFIX,
    FileEntry,
    HashingReader,
    Manifest,
)
from gis.ops.pgtarget import PgTarget

CHUNK = 1 << 20
KINDS = ("manual", "scheduled", "pre-migrate")
Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


@dataclass
class BackupResult:
    """Where the archive went and what it holds."""

    path: Path
    size: int
    manifest: Manifest
    seconds: float


def backup_name(kind: str, when: datetime) -> str:
    """``gridmap-backup-20261126T043000Z.tar`` (``gridmap-auto-…`` for scheduled ones)."""
    prefix = "gridmap-auto" if kind == "scheduled" else "gridmap-backup"
    return f"{prefix}-{when.strftime('%Y%m%dT%H%M%SZ')}.tar"


def media_files(media_dir: Path) -> list[tuple[str, Path, int]]:
    """``(relative posix name, path, size)`` of every regular file under ``media_dir``."""
    if not media_dir.is_dir():
        return []
    out = []
    for root, dirs, files in os.walk(media_dir):
        dirs.sort()
        for name in sorted(files):
            p = Path(root) / name
            if name.startswith(".") or name.endswith(".tmp"):
                continue  # a file still being written (renamed into place when done)
            if p.is_symlink() or not p.is_file():
                continue
            out.append((p.relative_to(media_dir).as_posix(), p, p.stat().st_size))
    return out


def create_backup(
    *,
    target: PgTarget,
    media_dir: Path,
    output: Path,
    kind: str = "manual",
    progress: Progress = _noop,
) -> BackupResult:
    """Write a consistent backup archive of ``target`` and ``media_dir``.

    Parameters
    ----------
    target
        The database to dump.
    media_dir
        The photo and attachment directory (may not exist yet: no media).
    output
        The archive file (``….tar``), or a directory to put a dated archive in.
    kind
        ``manual``, ``scheduled`` or ``pre-migrate`` (kept in the manifest and the log).

    Returns
    -------
    BackupResult
        The archive path, its size and its manifest.

    Raises
    ------
    NoSpace
        Not enough free space for the archive (checked first; also if the disk fills up
        while writing). Nothing is left behind.
    SetupError
        ``pg_dump`` failed, or ``output`` already exists.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    started = time.monotonic()
    now = datetime.now(UTC)
    output = Path(output)
    if output.is_dir() or output.suffix != ".tar":
        output = output / backup_name(kind, now)
    if output.exists():
        raise SetupError(f"文件已存在, 不会覆盖 (refusing to overwrite {output})")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")

    conn = target.connect()
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        cur = conn.cursor()
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
        progress("统计表行数与几何摘要 (counting rows, hashing geometries)")
        info = inventory.server_info(cur)
        exts = inventory.extensions(cur)
        tables = inventory.user_tables(cur)
        manifest = Manifest(
            created_at=now.isoformat(timespec="seconds"),
            kind=kind,
            schema_revision=inventory.schema_revision(cur),
            gridmap_version=_version(),
            postgresql=info["postgresql"],
            postgis=exts.get("postgis"),
            database=target.dbname,
            database_bytes=info["database_bytes"],
            extensions=exts,
            row_counts=inventory.row_counts(cur, tables),
            geometry_digests=inventory.geometry_digests(cur, tables),
        )
        media = media_files(media_dir)
        need = inventory.table_bytes(cur) + sum(m[2] for m in media) + 1024 * (len(media) + 64)
        require_free(output, need, what="备份 (backup)")
        progress(f"pg_dump → {output.name} (≈{human_bytes(need)} at most)")
        try:
            with open(partial, "wb") as f:
                manifest.files[DUMP_NAME] = _write_dump(f, target, snapshot, info["major"])
                conn.rollback()  # the snapshot is no longer needed
                progress(f"照片与附件 (media: {len(media)} files)")
                with tarfile.open(fileobj=f, mode="w", format=tarfile.GNU_FORMAT) as tar:
                    for rel, path, size in media:
                        manifest.files[MEDIA_PREFIX + rel] = _add_file(tar, rel, path, size, now)
                    raw = manifest.to_json()
                    info_m = _tarinfo(MANIFEST_NAME, len(raw), now)
                    tar.addfile(info_m, io.BytesIO(raw))
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, output)
            _fsync_dir(output.parent)
        except BaseException as exc:
            remove_quietly(partial)
            if is_no_space(exc):
                raise NoSpace(
                    f"写入备份时磁盘已满 (the disk filled up while writing {output}); "
                    f"nothing was kept — free some space or choose another location"
                ) from exc
            raise
    finally:
        conn.close()
    size = output.stat().st_size
    record_backup(target=target, path=output, size=size, manifest=manifest)
    return BackupResult(
        path=output, size=size, manifest=manifest, seconds=time.monotonic() - started
    )


def _tarinfo(name: str, size: int, when: datetime) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.mtime = int(when.timestamp())
    ti.mode = 0o600
    return ti


def _write_dump(f: io.BufferedWriter, target: PgTarget, snapshot: str, major: int) -> FileEntry:
    """Stream ``pg_dump -Fc`` into the first tar member (its header is written last)."""
    f.write(b"\0" * tarfile.BLOCKSIZE)
    reader = None
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            target.command(
                "pg_dump", "-Fc", "--snapshot", snapshot, *target.conn_args(), server_major=major
            ),
            stdout=subprocess.PIPE,
            stderr=err,
            env=target.env(),
            cwd="/",
        )
        assert proc.stdout is not None
        reader = HashingReader(proc.stdout)
        try:
            while chunk := reader.read(CHUNK):
                f.write(chunk)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        rc = proc.wait()
        if rc != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip()[-800:]
            raise SetupError(f"pg_dump 失败 (failed, exit {rc}): {message}")
    entry = reader.entry
    f.write(b"\0" * (-entry.size % tarfile.BLOCKSIZE))
    header = _tarinfo(DUMP_NAME, entry.size, datetime.now(UTC)).tobuf(
        tarfile.GNU_FORMAT, "utf-8", "surrogateescape"
    )
    assert len(header) == tarfile.BLOCKSIZE
    end = f.tell()
    f.seek(0)
    f.write(header)
    f.seek(end)
    return entry


def _add_file(tar: tarfile.TarFile, rel: str, path: Path, size: int, when: datetime) -> FileEntry:
    with open(path, "rb") as src:
        reader = HashingReader(src)
        tar.addfile(_tarinfo(MEDIA_PREFIX + rel, size, when), reader)
    if reader.size != size:
        raise SetupError(f"备份期间文件被修改 (file changed during the backup): {path}")
    return reader.entry


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("gridmap")
    except Exception:
        return "0.1.0"


__all__ = ["BackupResult", "backup_name", "create_backup", "media_files"]
