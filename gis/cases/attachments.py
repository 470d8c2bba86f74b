"""Adding photos to a stored case (after the report, e.g. when the signal comes back)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from gis import audit
from gis.cases import photos as photos_mod
from gis.cases.actor import Actor, for_audit
from gis.cases.events import record_event
from gis.cases.repository import can_see, case_row
from gis.cases.workflow import CLOSED_STATES
from gis.errors import Conflict, InvalidInput, NotFound


def attach_photos(
    *, session: Session, case_no: str, actor: Actor, uploads: list[bytes], media_dir: Path
) -> list[dict[str, Any]]:
    """Check and store report photos of an open case, with a history row; one commit.

    Raises
    ------
    NotFound
        No such case (or not visible).
    Conflict
        The case is finished.
    InvalidInput, TooLarge
        No photo, or a photo that is not acceptable; nothing is stored.
    """
    if not uploads:
        raise InvalidInput("请附照片 (no photo sent)", field="photos")
    checked = photos_mod.check_photos(uploads)
    try:
        row = case_row(session=session, case_no=case_no, lock=True)
        if not can_see(actor, row):
            raise NotFound(f"案卷不存在 (no such case): {case_no}", field="case_no")
        if row.state in CLOSED_STATES:
            raise Conflict(f"案卷已结束 (case is {row.state})", field="case_no")
        event_id = record_event(
            session=session,
            case_id=row.id,
            actor=actor.username or "system",
            action="photo",
            from_state=row.state,
            to_state=row.state,
            data={"count": len(checked)},
        )
        stored = photos_mod.store_photos(
            session=session,
            photos=checked,
            case_id=row.id,
            event_id=event_id,
            kind="report",
            lon=row.lon,
            lat=row.lat,
            uploaded_by=actor.username or "system",
            media_dir=media_dir,
        )
        audit.record(
            session=session,
            actor=for_audit(actor),
            action="case.photos",
            object_type="case",
            object_id=case_no,
            before={"state": row.state},
            after={"state": row.state, "photos": [p["sha256"] for p in stored]},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return stored


def case_photo_file(
    *, session: Session, case_no: str, photo_id: int, thumb: bool, actor: Actor, media_dir: Path
) -> tuple[Path, str]:
    """The stored file (or thumbnail) of one photo of a case the actor may see.

    Raises
    ------
    NotFound
        No such case or photo, or the file is missing.
    """
    row = case_row(session=session, case_no=case_no)
    if not can_see(actor, row):
        raise NotFound(f"案卷不存在 (no such case): {case_no}", field="case_no")
    path, mime = photos_mod.photo_file(
        session=session, case_id=row.id, photo_id=photo_id, thumb=thumb, media_dir=media_dir
    )
    session.rollback()
    if not path.exists():
        raise NotFound("照片文件缺失 (photo file missing)", field="photo_id")
    return path, mime
