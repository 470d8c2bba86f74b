"""Case photos: checked by content, stored outside the database by content hash, with thumbnails.

Files go to ``<media_dir>/photos/<aa>/<sha256>.<ext>`` and thumbnails to
``<media_dir>/thumbs/<aa>/<sha256>.jpg``. Writing is idempotent (same content, same path),
so a file left behind by a rolled-back report is harmless and reused by the next one.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from gis.cases.settings import get_case_settings
from gis.errors import InvalidInput, NotFound, TooLarge

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
Image.MAX_IMAGE_PIXELS = 60_000_000  # refuse decompression bombs


@dataclass(frozen=True)
class Photo:
    """A checked photo, ready to store."""

    data: bytes
    sha256: str
    mime: str
    ext: str
    width: int
    height: int
    exif_lon: float | None
    exif_lat: float | None


def _sniff(data: bytes) -> bool:
    return data.startswith(MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _rational(v: Any) -> float:
    return float(v[0]) / float(v[1]) if isinstance(v, tuple) else float(v)


def exif_position(img: Image.Image) -> tuple[float, float] | None:
    """Longitude and latitude from EXIF GPS tags, or None."""
    try:
        gps = img.getexif().get_ifd(0x8825)
    except Exception:  # noqa: BLE001 — broken EXIF is common and not the sender's fault
        return None
    try:
        lat_ref, lat, lon_ref, lon = gps.get(1), gps.get(2), gps.get(3), gps.get(4)
        if not (lat and lon):
            return None
        la = sum(_rational(x) / 60**i for i, x in enumerate(lat))
        lo = sum(_rational(x) / 60**i for i, x in enumerate(lon))
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    la = -la if str(lat_ref).upper().startswith("S") else la
    lo = -lo if str(lon_ref).upper().startswith("W") else lo
    if not (math.isfinite(la) and math.isfinite(lo) and -90 <= la <= 90 and -180 <= lo <= 180):
        return None
    return lo, la


def check_photo(data: bytes, *, field: str = "photos") -> Photo:
    """Check one upload by its content (JPEG, PNG or WebP, size-limited).

    Raises
    ------
    TooLarge
        Larger than ``GRIDMAP_PHOTO_MAX_BYTES``.
    InvalidInput
        Empty, not an image, or another image type.
    """
    limit = get_case_settings().photo_max_bytes
    if len(data) > limit:
        raise TooLarge(
            f"照片过大 (photo too large): {len(data)} bytes > {limit}", field=field, limit=limit
        )
    if not data or not _sniff(data):
        raise InvalidInput(
            "照片须为 JPEG、PNG 或 WebP (photo must be JPEG, PNG or WebP)", field=field
        )
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = FORMATS.get(img.format or "")
            if kind is None:
                raise InvalidInput(
                    f"不支持的图片格式 (unsupported image type): {img.format}", field=field
                )
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            pos = exif_position(img)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise InvalidInput(f"图片已损坏或无法识别 (unreadable image): {exc}", field=field) from exc
    return Photo(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        mime=kind[0],
        ext=kind[1],
        width=width,
        height=height,
        exif_lon=pos[0] if pos else None,
        exif_lat=pos[1] if pos else None,
    )


def check_photos(uploads: list[bytes]) -> list[Photo]:
    """Check every upload before anything is stored."""
    most = get_case_settings().photo_max_count
    if len(uploads) > most:
        raise InvalidInput(f"照片最多 {most} 张 (at most {most} photos)", field="photos")
    return [check_photo(d, field=f"photos[{i}]") for i, d in enumerate(uploads)]


def photo_path(media_dir: Path, sha256: str, ext: str) -> Path:
    return media_dir / "photos" / sha256[:2] / f"{sha256}.{ext}"


def thumb_path(media_dir: Path, sha256: str) -> Path:
    return media_dir / "thumbs" / sha256[:2] / f"{sha256}.jpg"


def _atomic_write(path: Path, data: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_files(photo: Photo, *, media_dir: Path) -> None:
    """Store the photo and its thumbnail (EXIF orientation applied)."""
    _atomic_write(photo_path(media_dir, photo.sha256, photo.ext), photo.data)
    tp = thumb_path(media_dir, photo.sha256)
    if tp.exists():
        return
    with Image.open(io.BytesIO(photo.data)) as img:
        thumb = ImageOps.exif_transpose(img).convert("RGB")
        px = get_case_settings().thumb_px
        thumb.thumbnail((px, px))
        buf = io.BytesIO()
        thumb.save(buf, "JPEG", quality=80)
    _atomic_write(tp, buf.getvalue())


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


_INSERT = sa.text("""
    INSERT INTO case_photos (case_id, event_id, kind, sha256, mime, bytes, width, height,
                             exif_geom, exif_distance_m, uploaded_by)
    VALUES (:case_id, :event_id, :kind, :sha256, :mime, :bytes, :width, :height,
            CASE WHEN CAST(:elon AS float8) IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_Point(:elon, :elat), 4326) END,
            :dist, :by)
    ON CONFLICT (case_id, sha256) DO NOTHING
    RETURNING id
""")


def store_photos(
    *,
    session: Session,
    photos: list[Photo],
    case_id: int,
    event_id: int | None,
    kind: str,
    lon: float,
    lat: float,
    uploaded_by: str,
    media_dir: Path,
) -> list[dict[str, Any]]:
    """Write files and rows (in the caller's transaction); returns what was stored."""
    tolerance = get_case_settings().exif_tolerance_m
    out = []
    for p in photos:
        write_files(p, media_dir=media_dir)
        dist = (
            haversine_m(lon, lat, p.exif_lon, p.exif_lat)
            if p.exif_lon is not None and p.exif_lat is not None
            else None
        )
        pid = session.execute(
            _INSERT,
            {
                "case_id": case_id,
                "event_id": event_id,
                "kind": kind,
                "sha256": p.sha256,
                "mime": p.mime,
                "bytes": len(p.data),
                "width": p.width,
                "height": p.height,
                "elon": p.exif_lon,
                "elat": p.exif_lat,
                "dist": dist,
                "by": uploaded_by,
            },
        ).scalar()
        out.append(
            {
                "id": pid,
                "sha256": p.sha256,
                "mime": p.mime,
                "exif_distance_m": None if dist is None else round(dist, 1),
                "exif_mismatch": dist is not None and dist > tolerance,
            }
        )
    return out


def list_photos(*, session: Session, case_id: int) -> list[dict[str, Any]]:
    """The photos of a case (metadata; files are served by id)."""
    tolerance = get_case_settings().exif_tolerance_m
    rows = session.execute(
        sa.text(
            "SELECT id, kind, sha256, mime, bytes, width, height, exif_distance_m, uploaded_at "
            "FROM case_photos WHERE case_id = :c ORDER BY id"
        ),
        {"c": case_id},
    ).mappings()
    return [
        {
            **dict(r),
            "exif_distance_m": None
            if r["exif_distance_m"] is None
            else round(r["exif_distance_m"], 1),
            "exif_mismatch": r["exif_distance_m"] is not None and r["exif_distance_m"] > tolerance,
        }
        for r in rows
    ]


def photo_file(
    *, session: Session, case_id: int, photo_id: int, thumb: bool, media_dir: Path
) -> tuple[Path, str]:
    """The file of one photo (or its thumbnail) and its media type."""
    row = session.execute(
        sa.text("SELECT sha256, mime FROM case_photos WHERE id = :p AND case_id = :c"),
        {"p": photo_id, "c": case_id},
    ).first()
    if row is None:
        raise NotFound(f"照片不存在 (no such photo): {photo_id}", field="photo_id")
    sha, mime = row
    if thumb:
        return thumb_path(media_dir, sha), "image/jpeg"
    ext = {v[0]: v[1] for v in FORMATS.values()}[mime]
    return photo_path(media_dir, sha, ext), mime
