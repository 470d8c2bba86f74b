"""The manifest of a backup archive: what is in it and how to check it.

An archive is an uncompressed tar (``tar tf`` lists it) holding ``database.dump``
(``pg_dump -Fc``), the media files under ``media/`` and ``manifest.json`` last. The manifest
names the time, the schema revision, the row count of every table, a digest of every
geometry column and the size and sha256 of every other member.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any

from gis.errors import SetupError

FORMAT = "gridmap-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DUMP_NAME = "database.dump"
MEDIA_PREFIX = "media/"


class BadBackup(SetupError):
    """The archive is corrupt, truncated, from a newer gridmap, or not a gridmap backup."""

    code = "bad_backup"


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str


@dataclass
class Manifest:
    """Everything needed to check a backup before and after restoring it."""

    created_at: str
    kind: str
    schema_revision: str | None
    gridmap_version: str
    postgresql: str
    postgis: str | None
    database: str
    database_bytes: int
    extensions: dict[str, str]
    row_counts: dict[str, int]
    geometry_digests: dict[str, dict[str, Any]]
    files: dict[str, FileEntry] = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def media_files(self) -> dict[str, FileEntry]:
        return {k: v for k, v in self.files.items() if k.startswith(MEDIA_PREFIX)}

    @property
    def media_bytes(self) -> int:
        return sum(f.size for f in self.media_files.values())

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse and check the shape of a manifest.

        Raises
        ------
        BadBackup
            Not JSON, not a gridmap manifest, or a newer archive format.
        """
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadBackup(f"备份清单已损坏 (the manifest is not valid JSON): {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BadBackup("不是 gridmap 备份 (not a gridmap backup: manifest format unknown)")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise BadBackup(
                f"备份格式版本 {version} 比程序新 (backup format {version} is newer than this "
                f"gridmap understands, {FORMAT_VERSION}): upgrade gridmap to restore it"
            )
        try:
            files = {
                safe_member(name): FileEntry(size=int(f["size"]), sha256=str(f["sha256"]))
                for name, f in data.pop("files").items()
            }
            return cls(files=files, **data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadBackup(f"备份清单不完整 (the manifest is incomplete): {exc}") from exc


def safe_member(name: str) -> str:
    """Refuse absolute paths and ``..`` in archive member names."""
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts or name != p.as_posix():
        raise BadBackup(f"备份中的文件名不安全 (unsafe path in the archive): {name!r}")
    return name


class HashingReader:
    """Wraps a binary file; hashes and counts what is read through it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.raw.read(n)
        self.sha.update(chunk)
        self.size += len(chunk)
        return chunk  # type: ignore[no-any-return]

    @property
    def entry(self) -> FileEntry:
        return FileEntry(size=self.size, sha256=self.sha.hexdigest())
