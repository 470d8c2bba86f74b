"""Reading a backup archive back: open it, check every member against the manifest."""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from alembic.config import Config
from alembic.script import ScriptDirectory

from gis.migrate import MIGRATIONS
from gis.ops.manifest import DUMP_NAME, MANIFEST_NAME, BadBackup, Manifest, safe_member

CHUNK = 1 << 20
Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def known_revision(revision: str) -> bool:
    """Whether this code's migrations know ``revision``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        return ScriptDirectory.from_config(cfg).get_revision(revision) is not None
    except Exception:  # alembic raises ResolutionError / CommandError for unknown ids
        return False


class Archive:
    """An opened backup archive whose member list matches its manifest."""

    def __init__(self, tar: tarfile.TarFile, path: Path) -> None:
        self.tar = tar
        self.path = path
        try:
            self.members = {safe_member(m.name): m for m in tar.getmembers()}
            if MANIFEST_NAME not in self.members:
                raise BadBackup(
                    f"备份中没有清单, 文件不完整或不是 gridmap 备份 (no manifest.json in {path}: "
                    f"the archive is truncated or not a gridmap backup)"
                )
            self.manifest = Manifest.from_json(self.read(MANIFEST_NAME))
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise _damaged(path, exc) from exc
        listed = set(self.manifest.files)
        present = set(self.members) - {MANIFEST_NAME}
        if DUMP_NAME not in listed:
            raise BadBackup(f"清单中没有数据库转储 (the manifest lists no {DUMP_NAME})")
        if listed - present:
            raise BadBackup(
                f"备份不完整, 缺少 {len(listed - present)} 个文件 (the archive is missing files "
                f"its manifest lists, e.g. {sorted(listed - present)[0]})"
            )
        if present - listed:
            raise BadBackup(
                f"备份中有清单之外的文件 (files not in the manifest: {sorted(present - listed)[:3]})"
            )
        for name in listed:
            if not self.members[name].isfile():
                raise BadBackup(f"备份成员不是普通文件 (not a regular file): {name}")

    def read(self, name: str) -> bytes:
        f = self.tar.extractfile(self.members[name])
        assert f is not None
        return f.read()

    @contextmanager
    def open_member(self, name: str) -> Iterator[IO[bytes]]:
        f = self.tar.extractfile(self.members[name])
        assert f is not None
        try:
            yield f
        except (tarfile.TarError, EOFError) as exc:
            raise _damaged(self.path, exc) from exc

    def check_revision(self) -> None:
        """Refuse a backup whose schema is newer than this code."""
        rev = self.manifest.schema_revision
        if rev is not None and not known_revision(rev):
            raise BadBackup(
                f"备份来自更新的数据库结构 {rev} (the backup is from schema revision {rev}, "
                f"newer than this gridmap knows): upgrade gridmap, then restore"
            )

    def verify(self, progress: Progress = _noop) -> None:
        """Check the size and sha256 of every member the manifest lists.

        Raises
        ------
        BadBackup
            A member is truncated or its checksum does not match.
        """
        for i, (name, entry) in enumerate(sorted(self.manifest.files.items())):
            if name == DUMP_NAME or i % 200 == 0:
                progress(f"校验 (verifying) {name}")
            sha = hashlib.sha256()
            size = 0
            try:
                with self.open_member(name) as f:
                    while chunk := f.read(CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
            except OSError as exc:
                raise _damaged(self.path, exc) from exc
            if size != entry.size or sha.hexdigest() != entry.sha256:
                raise BadBackup(
                    f"备份已损坏: {name} 校验和不符 (the backup is corrupt: checksum of {name} "
                    f"does not match its manifest; {size} bytes read, {entry.size} expected)"
                )


def _damaged(path: Path, exc: BaseException) -> BadBackup:
    return BadBackup(
        f"备份文件损坏或不完整 (the backup {path} is corrupt or truncated): "
        f"{type(exc).__name__}: {exc}"
    )


@contextmanager
def open_archive(path: Path) -> Iterator[Archive]:
    """Open and check the structure of a backup archive (checksums: :meth:`Archive.verify`)."""
    path = Path(path)
    if not path.is_file():
        raise BadBackup(f"找不到备份文件 (no such backup file): {path}")
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _damaged(path, exc) from exc
    with tar:
        yield Archive(tar, path)


def verify_backup(path: Path, progress: Progress = _noop) -> Manifest:
    """Check a backup archive end to end without restoring it; return its manifest."""
    with open_archive(path) as archive:
        archive.verify(progress)
        return archive.manifest
