"""Storing one report: validate, one statement (+ photos and the audit row), commit — the view.

:func:`store_report` is used by :func:`gis.cases.repository.create_case` (a session, photos
allowed); the JSON intake (:mod:`gis.cases.workers`) uses the same pieces
(:func:`report_values`, :func:`outcome`, :func:`created_result`) around one autocommit
statement that also writes the audit row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy.engine import Connection
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from gis import audit
from gis.cases import insert
from gis.cases import photos as photos_mod
from gis.cases.actor import Actor, for_audit
from gis.cases.events import channel
from gis.cases.numbering import DISTRICT, day_of, ensure_day, sequence_lost, sequence_name
from gis.cases.prepared import Bind
from gis.cases.result import CreateResult, existing_case
from gis.cases.schemas import CaseIn
from gis.cases.settings import get_case_settings
from gis.cases.views import case_view
from gis.errors import InvalidInput
from gis.spatial.locate import locate, outside_error, to_storage_crs

_UNSET = dict.fromkeys(
    (
        "department_code",
        "department_name",
        "merged_into_no",
        "registered_at",
        "dispatched_at",
        "deadline_at",
        "responded_at",
        "closed_at",
        "extension_request_hours",
        "cancel_reason",
        "suspended_at",
        "resume_state",
    )
)


def _checked_time(case_in: CaseIn, now: datetime) -> datetime:
    reported_at = case_in.reported_at or now
    if reported_at.tzinfo is None:
        raise InvalidInput("reported_at 须带时区 (must carry a time zone)", field="reported_at")
    if reported_at > now + timedelta(minutes=5) or reported_at < now - timedelta(days=30):
        raise InvalidInput(
            "reported_at 不在合理范围内 (must be within the last 30 days)", field="reported_at"
        )
    return reported_at


def looks_swapped(case_in: CaseIn) -> bool:
    """Whether the pair is out of range as given but would fit with lon and lat swapped."""
    return 90 < abs(case_in.lat) <= 180 and -90 <= case_in.lon <= 90


def check_swapped(*, bind: Bind, case_in: CaseIn) -> None:
    """Raise the "swapped" (or "outside") error for a pair that :func:`looks_swapped`."""
    locate(cast(Connection, bind), lon=case_in.lon, lat=case_in.lat, crs=case_in.crs)


def report_values(
    *, case_in: CaseIn, actor: Actor, source: str, now: datetime, audited: bool
) -> dict[str, Any]:
    """The checked values of a report, as :mod:`gis.cases.insert` takes them.

    ``audited``: the statement itself appends the audit row (it has no photos to list).
    The number sequence (``seq``) must exist (:func:`gis.cases.numbering.ensure_day`).

    Raises
    ------
    InvalidInput
        Empty description, time outside the window, coordinates not numbers or out of range.
    """
    description = case_in.description.strip()
    if not description:
        raise InvalidInput("描述不能为空 (description must not be empty)", field="description")
    reported_at = _checked_time(case_in, now)
    if looks_swapped(case_in):
        lon, lat = case_in.lon, case_in.lat  # refused by check_swapped before any write
    else:
        lon, lat = to_storage_crs(case_in.lon, case_in.lat, case_in.crs)
    s = get_case_settings()
    day = day_of(now)
    client = getattr(actor, "client", None)
    return {
        "lon": lon,
        "lat": lat,
        "category": case_in.category,
        "client_id": case_in.client_id,
        "description": description,
        "address": case_in.address,
        "source": source,
        "reporter_name": case_in.reporter_name,
        "reporter_phone": case_in.reporter_phone,
        "reported_by": actor.username or source,
        "attributes": case_in.attributes,
        "reported_at": reported_at,
        "crs": case_in.crs,
        "day": day,
        "seq": sequence_name(day),
        "prefix": f"{DISTRICT}-{day}-",
        "channel": channel(),
        "dup_days": s.duplicate_days,
        # a cheap index prefilter in degrees, wide enough for the radius at this latitude
        "dup_deg": s.duplicate_radius_m / 111_000 * 1.6,
        "dup_radius": s.duplicate_radius_m,
        "audited": audited,
        "audit_role": actor.role,
        "audit_client": client,
        "now": now,
    }


def outcome(row: Any, case_in: CaseIn) -> str:
    """What the statement did: ``created``, ``outside`` (no grid) or ``exists`` (client id).

    Raises
    ------
    InvalidInput
        The category is unknown.
    """
    if row.category_code is None:
        raise InvalidInput(
            f"未知的案件小类 (unknown sub-category): {case_in.category}",
            field="category",
            value=case_in.category,
        )
    if row.grid_code is None:
        return "outside"
    if row.id is None:  # the client id is stored already (resent, or a racing twin)
        assert case_in.client_id is not None
        return "exists"
    return "created"


def created_result(
    row: Any, values: dict[str, Any], *, actor: Actor, photos: list[dict[str, Any]]
) -> CreateResult:
    """The answer for a report the statement stored (``row``) from ``values``."""
    dups = row.duplicates if isinstance(row.duplicates, list) else json.loads(row.duplicates)
    fresh = {
        **_UNSET,
        **row._mapping,
        **{k: values[k] for k in _FROM_VALUES},
        "state": "reported",
        "rework_count": 0,
        "extension_count": 0,
    }
    view = case_view(fresh, sees_personal=actor.sees_personal)
    return CreateResult(case=view, created=True, duplicates=dups, photos=photos)


_FROM_VALUES = (
    "client_id",
    "description",
    "address",
    "lon",
    "lat",
    "source",
    "reporter_name",
    "reporter_phone",
    "reported_by",
    "attributes",
    "reported_at",
    "now",
)


def store_report(
    *,
    bind: Bind,
    case_in: CaseIn,
    actor: Actor,
    source: str = "field",
    photos: list[bytes] | None = None,
    media_dir: Path | None = None,
) -> CreateResult:
    """Store a report: locate, assign, number, history, NOTIFY, audit row — one commit.

    Parameters
    ----------
    bind : Session or Connection
        No transaction open; this function commits or rolls back.
    case_in : CaseIn
        The validated report.
    actor : Actor
        Who reports (``reported_by``, the history row's actor, the audit row's actor and
        client address when it has a ``client`` attribute).
    source : str
        ``field``, ``open311`` …
    photos : list of bytes, optional
        Raw uploads (Session only); all are checked before anything is written.
    media_dir : Path, optional
        Where photo files go (required with photos).

    Raises
    ------
    InvalidInput
        Unknown category, empty description, bad photo, coordinates or time.
    Unprocessable
        The point is outside the district (or lat/lon swapped).
    Forbidden
        The client id belongs to someone else's case.
    """
    checked = photos_mod.check_photos(photos or [])
    if checked and (media_dir is None or not isinstance(bind, Session)):
        raise InvalidInput("未配置照片存储目录 (no media directory)", field="photos")
    values = report_values(
        case_in=case_in, actor=actor, source=source, now=datetime.now(UTC), audited=False
    )
    try:
        if looks_swapped(case_in):
            check_swapped(bind=bind, case_in=case_in)
        ensure_day(bind=bind, day=values["day"])
        try:
            row = insert.run(bind=bind, values=values)
        except ProgrammingError as exc:  # the day's sequence went away: make it again, once
            if not sequence_lost(exc, values["day"]):
                raise
            bind.rollback()
            ensure_day(bind=bind, day=values["day"])
            row = insert.run(bind=bind, values=values)
        done = outcome(row, case_in)
        if done == "outside":
            raise outside_error(cast(Connection, bind), values["lon"], values["lat"])
        if done == "exists":
            bind.rollback()
            assert case_in.client_id is not None
            return existing_case(bind=bind, client_id=case_in.client_id, actor=actor)
        stored = []
        if checked:
            assert isinstance(bind, Session) and media_dir is not None
            stored = photos_mod.store_photos(
                session=bind,
                photos=checked,
                case_id=row.id,
                event_id=row.event_id,
                kind="report",
                lon=values["lon"],
                lat=values["lat"],
                uploaded_by=values["reported_by"],
                media_dir=media_dir,
            )
        audit.record(
            session=cast(Connection, bind),
            actor=for_audit(actor),
            action="case.report",
            object_type="case",
            object_id=row.case_no,
            before=None,
            after={
                "state": "reported",
                "category": row.category_code,
                "grid": row.grid_code,
                "assignee": row.assignee,
                "source": source,
                "client_id": case_in.client_id,
                "photos": [p["sha256"] for p in stored] if stored else None,
            },
        )
        bind.commit()
    except BaseException:
        bind.rollback()
        raise
    return created_result(row, values, actor=actor, photos=stored)
