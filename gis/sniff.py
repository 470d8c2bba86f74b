"""Upload type sniffing: trust the bytes, not the file name or the declared type.

Every upload (photos, import files) is checked here by its first bytes::

    from gis.sniff import require_media_type

    media = require_media_type(data[:4096], PHOTO_TYPES, field="file")
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gis.errors import InvalidInput

HEAD_BYTES = 4096
SHAPE = "application/x-esri-shape"
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"PK\x05\x06", 0, "application/zip"),  # an empty archive
    (b"SQLite format 3\x00", 0, "application/geopackage+sqlite3"),
    (b"\x00\x00\x27\x0a", 0, SHAPE),  # Shapefile main file: file code 9994, big-endian
)
# Names shown in messages, for the types an upload may turn out to be.
LABELS = {
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "image/gif": "GIF 图片",
    "image/webp": "WebP 图片",
    "image/heic": "HEIC 图片",
    "application/pdf": "PDF",
    "application/zip": "ZIP 压缩包",
    "application/geopackage+sqlite3": "GeoPackage/SQLite",
    SHAPE: "Shapefile (.shp)",
    "application/json": "JSON/GeoJSON",
    "text/csv": "CSV 文本",
}


def _text(head: bytes) -> str | None:
    """The sample as text (UTF-8, else GB18030 as Chinese spreadsheets write it), or None."""
    sample = head[:HEAD_BYTES]
    for codec in ("utf-8-sig", "gb18030"):
        for cut in (0, 1, 2, 3):  # the sample may end mid-character
            try:
                return sample[: len(sample) - cut].decode(codec)
            except UnicodeDecodeError:
                continue
    return None


def sniff_media_type(head: bytes) -> str | None:
    """The media type the first bytes of an upload show, or None when unknown.

    Recognises JPEG, PNG, GIF, WebP, HEIC/HEIF, PDF, ZIP (Shapefile bundles, XLSX),
    SQLite/GeoPackage, a Shapefile's ``.shp``, and JSON/GeoJSON or CSV text (UTF-8 or GBK).

    Examples
    --------
    >>> sniff_media_type(b"\\x89PNG\\r\\n\\x1a\\n....")
    'image/png'
    >>> sniff_media_type(b"lon,lat,name\\n102.4,36.5,a\\n")
    'text/csv'
    """
    for magic, offset, media in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return media
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return "image/heic"
    text = _text(head)
    if text is None or "\x00" in text:
        return None
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        return "application/json"
    if stripped[:1] != "<" and any(d in text for d in (",", "\t", ";")):
        return "text/csv"
    return None


def require_media_type(head: bytes, allowed: Iterable[str], *, field: str = "file") -> str:
    """The sniffed type of an upload if it is one of ``allowed``.

    Raises
    ------
    InvalidInput
        The content is of another (or an unknown) type, whatever its name says.
    """
    allowed = tuple(allowed)
    found = sniff_media_type(head)
    if found not in allowed:
        shown = ", ".join(LABELS.get(a, a) for a in allowed)
        raise InvalidInput(
            f"文件内容是 {LABELS.get(found or '', found or '未知类型')}，应为 {shown} "
            f"(file content is {found or 'unknown'}, expected {', '.join(allowed)})",
            field=field,
            found=found,
        )
    return found  # type: ignore[return-value]


def require_file_type(path: Path, allowed: Iterable[str], *, field: str = "file") -> str:
    """:func:`require_media_type` on the first bytes of a file."""
    with path.open("rb") as f:
        return require_media_type(f.read(HEAD_BYTES), allowed, field=field)
