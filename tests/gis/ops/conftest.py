"""Fixtures for the operations tests: a media directory with photos, archives, targets."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from gis.ops.backup import BackupResult, create_backup
from gis.ops.pgtarget import PgTarget

PHOTOS = {
    "cases/ab/ab12cd.jpg": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40,
    "cases/ab/ab12cd.thumb.webp": b"RIFF\x00\x00WEBP" + b"\x01" * 999,
    "cases/9f/9f00.png": b"\x89PNG\r\n\x1a\n" + b"\x00\x07" * 3000,
    "attachments/验收报告.pdf": b"%PDF-1.4 " + b"x" * 5000,
}


def write_media(root: Path) -> dict[str, bytes]:
    for rel, data in PHOTOS.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return PHOTOS


@pytest.fixture(scope="module")
def source_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media-src")
    write_media(root)
    return root


@pytest.fixture(scope="module")
def archive(engine, pg_url: str, source_media: Path, tmp_path_factory) -> BackupResult:  # type: ignore[no-untyped-def]
    """One backup of the session database (demo data) and the media directory."""
    out = tmp_path_factory.mktemp("backups")
    return create_backup(target=PgTarget.from_url(pg_url), media_dir=source_media, output=out)


@pytest.fixture
def rewrite_archive():  # type: ignore[no-untyped-def]
    """Copy a backup archive, changing its manifest or members on the way."""
    return _rewrite_archive


def _rewrite_archive(src: Path, dest: Path, *, manifest_edit=None, member_edit=None) -> Path:  # type: ignore[no-untyped-def]
    with tarfile.open(src) as tin, tarfile.open(dest, "w", format=tarfile.GNU_FORMAT) as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read()  # type: ignore[union-attr]
            if m.name == "manifest.json" and manifest_edit:
                doc = json.loads(data)
                manifest_edit(doc)
                data = json.dumps(doc).encode()
            elif member_edit:
                data = member_edit(m.name, data)
            m.size = len(data)
            tout.addfile(m, io.BytesIO(data))
    return dest
