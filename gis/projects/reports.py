"""Progress reports from construction sites, with the reporter's position and photos.

A report taken with a position must be taken near the site (``REPORT_MAX_DISTANCE_M`` from
the site point or its polygon). Photos are stored as files under the media directory,
named by their SHA-256, and listed in ``project_report_photos``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound, TooLarge, Unprocessable
from gis.projects import history
from gis.projects.config import REPORT_MAX_DISTANCE_M
from gis.projects.schemas import ReportIn
from gis.sniff import HEAD_BYTES, require_media_type
from gis.spatial.locate import to_storage_crs

MAX_PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def _project_exists(session: Session, project_id: int) -> None:
    if not session.execute(
        sa.text("SELECT 1 FROM projects WHERE id = :p"), {"p": project_id}
    ).first():
        raise NotFound(f"项目不存在 (no such project): {project_id}", field="project_id")


def create_report(
    *,
    session: Session,
    project_id: int,
    report_in: ReportIn,
    actor: history.Actor,
    username: str | None,
    today: date,
) -> dict[str, Any]:
    """File a progress report (one transaction; also written to the project's history).

    Raises
    ------
    InvalidInput
        A date after today, progress outside 0–100, bad coordinates.
    Unprocessable
        The position is farther than ``REPORT_MAX_DISTANCE_M`` from the site.
    """
    _project_exists(session, project_id)
    r = report_in
    if r.report_date > today:
        raise InvalidInput(
            f"报告日期 {r.report_date} 晚于今天 {today} (report date in the future)",
            field="report_date",
        )
    if r.progress is not None and not (r.progress.is_finite() and 0 <= r.progress <= 100):
        raise InvalidInput(
            f"进度须在 0–100 之间 (progress must be 0–100): {r.progress}", field="progress"
        )
    if not r.body.strip():
        raise InvalidInput("报告内容不能为空 (body is required)", field="body")
    x = y = dist = None
    if r.site is not None:
        try:
            x, y = to_storage_crs(r.site.lon, r.site.lat, r.crs)
        except InvalidInput as exc:
            exc.field = "crs" if exc.field == "crs" else f"site.{exc.field}"
            raise
        dist = session.execute(
            sa.text(
                "SELECT ST_Distance(coalesce(site_polygon, site)::geography, "
                "ST_SetSRID(ST_Point(:x, :y), 4326)::geography) FROM projects WHERE id = :p"
            ),
            {"x": x, "y": y, "p": project_id},
        ).scalar_one()
        if dist > REPORT_MAX_DISTANCE_M:
            raise Unprocessable(
                f"报告位置距项目现场 {dist:.0f} 米，超过 {REPORT_MAX_DISTANCE_M:.0f} 米 "
                f"(the report was taken {dist:.0f} m from the site)",
                field="site",
                distance_m=round(float(dist), 1),
            )
    rid = session.execute(
        sa.text(
            "INSERT INTO project_reports (project_id, report_date, body, reporter, reporter_phone, "
            "username, progress, geom, distance_m) VALUES (:p, :d, :b, :r, :ph, :u, :pr, "
            "CASE WHEN CAST(:x AS float8) IS NULL THEN NULL "
            "ELSE ST_SetSRID(ST_Point(:x, :y), 4326) END, :dist) RETURNING id"
        ),
        {"p": project_id, "d": r.report_date, "b": r.body.strip(), "r": r.reporter.strip(),
         "ph": r.reporter_phone, "u": username, "pr": r.progress, "x": x, "y": y,
         "dist": round(float(dist), 1) if dist is not None else None},
    ).scalar_one()  # fmt: skip
    history.record(
        session=session,
        project_id=project_id,
        actor=actor,
        action="report",
        before=None,
        after={"report_id": rid, "report_date": r.report_date.isoformat(),
               "progress": float(r.progress) if r.progress is not None else None},
    )  # fmt: skip
    session.commit()
    return get_report(session=session, project_id=project_id, report_id=rid, personal=True)


def _row(r: Any, photos: list[dict[str, Any]], personal: bool) -> dict[str, Any]:
    return {
        "id": r["id"],
        "project_id": r["project_id"],
        "report_date": r["report_date"].isoformat(),
        "body": r["body"],
        "reporter": r["reporter"] if personal else None,
        "reporter_phone": r["reporter_phone"] if personal else None,
        "personal_hidden": not personal,
        "progress": float(r["progress"]) if r["progress"] is not None else None,
        "location": {"lon": r["lon"], "lat": r["lat"]} if r["lon"] is not None else None,
        "distance_m": float(r["distance_m"]) if r["distance_m"] is not None else None,
        "created_at": r["created_at"].isoformat(),
        "photos": photos,
    }


REPORT_SQL = (
    "SELECT r.id, r.project_id, r.report_date, r.body, r.reporter, r.reporter_phone, r.progress,"
    " ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat, r.distance_m, r.created_at "
    "FROM project_reports r WHERE r.project_id = :p"
)


def _photos(session: Session, report_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in report_ids}
    for ph in session.execute(
        sa.text(
            "SELECT ph.id, ph.report_id, ph.filename, ph.content_type, ph.size_bytes, "
            "r.project_id FROM project_report_photos ph JOIN project_reports r "
            "ON r.id = ph.report_id WHERE ph.report_id = ANY(:ids) ORDER BY ph.id"
        ),
        {"ids": report_ids},
    ).mappings():
        out[ph["report_id"]].append(
            {
                "id": ph["id"],
                "filename": ph["filename"],
                "content_type": ph["content_type"],
                "size_bytes": ph["size_bytes"],
                "url": f"/api/v1/projects/{ph['project_id']}/reports/{ph['report_id']}"
                f"/photos/{ph['id']}",
            }
        )
    return out


def get_report(
    *, session: Session, project_id: int, report_id: int, personal: bool
) -> dict[str, Any]:
    r = (
        session.execute(sa.text(REPORT_SQL + " AND r.id = :r"), {"p": project_id, "r": report_id})
        .mappings()
        .first()
    )
    if r is None:
        raise NotFound(f"报告不存在 (no such report): {report_id}", field="report_id")
    return _row(r, _photos(session, [report_id])[report_id], personal)


def list_reports(*, session: Session, project_id: int, personal: bool) -> list[dict[str, Any]]:
    """The project's reports, newest first, with their photos."""
    _project_exists(session, project_id)
    rows = list(
        session.execute(
            sa.text(REPORT_SQL + " ORDER BY r.report_date DESC, r.id DESC"), {"p": project_id}
        ).mappings()
    )
    photos = _photos(session, [r["id"] for r in rows])
    return [_row(r, photos[r["id"]], personal) for r in rows]


def add_photo(
    *,
    session: Session,
    project_id: int,
    report_id: int,
    filename: str,
    data: bytes,
    media_dir: Path,
    actor: history.Actor,
) -> dict[str, Any]:
    """Store one photo of a report. The file is written before the row and removed again if
    the row cannot be committed, so a failure leaves neither."""
    get_report(session=session, project_id=project_id, report_id=report_id, personal=False)
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge(
            f"照片超过 {MAX_PHOTO_BYTES // 1024 // 1024} MB (photo too large)", field="file"
        )
    if not data:
        raise InvalidInput("照片为空 (empty file)", field="file")
    media = require_media_type(data[:HEAD_BYTES], PHOTO_TYPES, field="file")
    kind = (media, PHOTO_TYPES[media])  # by content; the name sent is only kept as a label
    digest = hashlib.sha256(data).hexdigest()
    rel = Path("projects") / str(project_id) / f"{digest}{kind[1]}"
    target = media_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    existed = target.exists()
    if not existed:
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    try:
        pid = session.execute(
            sa.text(
                "INSERT INTO project_report_photos (report_id, filename, content_type, "
                "size_bytes, sha256, storage_path) VALUES (:r, :f, :c, :s, :h, :p) RETURNING id"
            ),
            {"r": report_id, "f": Path(filename).name[:200], "c": kind[0], "s": len(data),
             "h": digest, "p": str(rel)},
        ).scalar_one()  # fmt: skip
        history.record(
            session=session, project_id=project_id, actor=actor, action="photo", before=None,
            after={"report_id": report_id, "photo_id": pid, "sha256": digest},
        )  # fmt: skip
        session.commit()
    except Exception:
        session.rollback()
        if not existed:
            target.unlink(missing_ok=True)
        raise
    return {"id": pid, "report_id": report_id, "content_type": kind[0], "size_bytes": len(data),
            "sha256": digest,
            "url": f"/api/v1/projects/{project_id}/reports/{report_id}/photos/{pid}"}  # fmt: skip


def photo_path(
    *, session: Session, project_id: int, report_id: int, photo_id: int, media_dir: Path
) -> tuple[Path, str]:
    """Where a stored photo is, and its content type."""
    row = session.execute(
        sa.text(
            "SELECT ph.storage_path, ph.content_type FROM project_report_photos ph "
            "JOIN project_reports r ON r.id = ph.report_id "
            "WHERE ph.id = :i AND ph.report_id = :r AND r.project_id = :p"
        ),
        {"i": photo_id, "r": report_id, "p": project_id},
    ).first()
    if row is None:
        raise NotFound(f"照片不存在 (no such photo): {photo_id}", field="photo_id")
    path = media_dir / row[0]
    if not path.is_file():
        raise NotFound(f"照片文件缺失 (photo file missing): {photo_id}", field="photo_id")
    return path, str(row[1])
