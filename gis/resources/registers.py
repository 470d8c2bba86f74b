"""Read and write the community registers. Personal fields only when the caller may see them.

Party members and service populations are counts per grid; the count of people under
community correction (社区矫正) is restricted to the roles that handle it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from gis import audit
from gis.errors import InvalidInput, NotFound, Unprocessable
from gis.spatial.locate import locate

RESTRICTED_POPULATIONS = frozenset({"correction"})
UNIT_KINDS = ("organ", "enterprise", "school", "police", "hospital", "other")
ACTIVITY_KINDS = (
    "fitness",
    "elderly_care",
    "culture_sports",
    "reading",
    "calligraphy",
    "volunteer",
    "mediation_open_day",
    "other",
)
DUTIES = ("work", "security", "culture", "education", "environment")


class UnitIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: str
    lon: float
    lat: float
    crs: str = "wgs84"
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")
    duties: list[str] = Field(default_factory=list)
    meetings_held: int = Field(default=0, ge=0, le=10_000)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in UNIT_KINDS:
            raise ValueError(f"unknown kind {v!r}; use one of {', '.join(UNIT_KINDS)}")
        return v

    @field_validator("duties")
    @classmethod
    def _duties(cls, v: list[str]) -> list[str]:
        bad = [d for d in v if d not in DUTIES]
        if bad:
            raise ValueError(f"unknown duties {bad}; use {', '.join(DUTIES)}")
        return sorted(set(v))


class ActivityIn(BaseModel):
    kind: str
    title: str = Field(min_length=1, max_length=200)
    held_on: date
    lon: float
    lat: float
    crs: str = "wgs84"
    place: str | None = Field(default=None, max_length=200)
    organiser: str | None = Field(default=None, max_length=200)
    participants: int = Field(ge=0, le=100_000)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in ACTIVITY_KINDS:
            raise ValueError(f"unknown kind {v!r}; use one of {', '.join(ACTIVITY_KINDS)}")
        return v


def _community(session: Session, code: str) -> None:
    ok = session.execute(
        sa.text("SELECT 1 FROM admin_units WHERE code = :c AND level = 5 AND valid_to IS NULL"),
        {"c": code},
    ).scalar()
    if not ok:
        raise NotFound(f"社区不存在 (no current community {code})", field="community_code")


def roster(*, session: Session, grid_code: str, personal: bool) -> dict[str, Any]:
    """A grid's roster: leader, workers, party-member posts, volunteer teams, party counts."""
    if not session.execute(
        sa.text("SELECT 1 FROM grids WHERE code = :g AND valid_to IS NULL"), {"g": grid_code}
    ).scalar():
        raise NotFound(f"网格不存在 (no current grid {grid_code})", field="grid_code")
    posts = [
        dict(r)
        for r in session.execute(
            sa.text(
                "SELECT post, title, person_name, phone, members FROM grid_roster WHERE grid_code = :g "
                "ORDER BY post, id"
            ),
            {"g": grid_code},
        ).mappings()
    ]
    if not personal:
        for p in posts:
            p.pop("phone")
            p.pop("person_name")
    party = dict(
        session.execute(
            sa.text("SELECT category, count FROM party_member_counts WHERE grid_code = :g"),
            {"g": grid_code},
        ).all()
    )
    return {"grid_code": grid_code, "posts": posts, "party_members": party}


def population_counts(*, session: Session, community_code: str, restricted: bool) -> dict[str, Any]:
    """Service populations of a community, per grid and in total (counts only)."""
    _community(session, community_code)
    rows = session.execute(
        sa.text(
            "SELECT p.grid_code, p.category, p.count FROM service_population_counts p "
            "JOIN grids g ON g.code = p.grid_code AND g.valid_to IS NULL "
            "WHERE g.community_code = :c ORDER BY p.grid_code"
        ),
        {"c": community_code},
    ).all()
    grids: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for g, cat, n in rows:
        if cat in RESTRICTED_POPULATIONS and not restricted:
            continue
        grids.setdefault(g, {})[cat] = n
        total[cat] = total.get(cat, 0) + n
    return {
        "community_code": community_code,
        "total": total,
        "grids": grids,
        "restricted_hidden": not restricted,
    }


def _place(session: Session, lon: float, lat: float, crs: str) -> tuple[str, float, float]:
    loc = locate(session, lon=lon, lat=lat, crs=crs)
    return loc.community_code, loc.lon, loc.lat


def create_unit(
    *, session: Session, unit_in: UnitIn, actor: audit.Actor | str | None
) -> dict[str, Any]:
    """Register a co-building unit at a point in the district (its community is found);
    audited as ``cobuilding_unit.create`` in the same transaction."""
    community, x, y = _place(session, unit_in.lon, unit_in.lat, unit_in.crs)
    uid = session.execute(
        sa.text(
            "INSERT INTO cobuilding_units (name, kind, community_code, contact_name, contact_phone,"
            " duties, meetings_held, geom) VALUES (:n, :k, :c, :cn, :cp, CAST(:d AS text[]), :m, "
            "ST_SetSRID(ST_Point(:x, :y), 4326)) RETURNING id"
        ),
        {
            "n": unit_in.name.strip(),
            "k": unit_in.kind,
            "c": community,
            "cn": unit_in.contact_name,
            "cp": unit_in.contact_phone,
            "d": unit_in.duties,
            "m": unit_in.meetings_held,
            "x": x,
            "y": y,
        },
    ).scalar_one()
    after = {**unit_in.model_dump(), "lon": x, "lat": y, "community_code": community}
    audit.record(
        session=session,
        actor=actor,
        action="cobuilding_unit.create",
        object_type="cobuilding_unit",
        object_id=uid,
        after=after,
    )
    return {"id": uid, "community_code": community}


def create_activity(
    *, session: Session, activity_in: ActivityIn, today: date, actor: audit.Actor | str | None
) -> dict[str, Any]:
    """Record a community activity (not dated in the future); audited as
    ``activity.create`` in the same transaction."""
    if activity_in.held_on > today:
        raise Unprocessable(
            f"活动日期不能在未来 (held_on {activity_in.held_on} is after today {today})",
            field="held_on",
        )
    community, x, y = _place(session, activity_in.lon, activity_in.lat, activity_in.crs)
    aid = session.execute(
        sa.text(
            "INSERT INTO community_activities (kind, title, held_on, community_code, place, "
            "organiser, participants, geom) VALUES (:k, :t, :d, :c, :p, :o, :n, "
            "ST_SetSRID(ST_Point(:x, :y), 4326)) RETURNING id"
        ),
        {
            "k": activity_in.kind,
            "t": activity_in.title.strip(),
            "d": activity_in.held_on,
            "c": community,
            "p": activity_in.place,
            "o": activity_in.organiser,
            "n": activity_in.participants,
            "x": x,
            "y": y,
        },
    ).scalar_one()
    audit.record(
        session=session,
        actor=actor,
        action="activity.create",
        object_type="community_activity",
        object_id=aid,
        after={**activity_in.model_dump(), "lon": x, "lat": y, "community_code": community},
    )
    return {"id": aid, "community_code": community}


def list_units(
    *, session: Session, community_code: str | None, personal: bool
) -> list[dict[str, Any]]:
    if community_code is not None:
        _community(session, community_code)
    rows = (
        session.execute(
            sa.text(
                "SELECT id, name, kind, community_code, contact_name, contact_phone, duties, "
                "meetings_held, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM cobuilding_units "
                "WHERE CAST(:c AS text) IS NULL OR community_code = :c ORDER BY id"
            ),
            {"c": community_code},
        )
        .mappings()
        .all()
    )
    out = []
    for r in rows:
        d = dict(r)
        if not personal:
            d.pop("contact_name")
            d.pop("contact_phone")
        out.append(d)
    return out


def list_activities(
    *, session: Session, community_code: str | None, since: date | None, until: date | None
) -> list[dict[str, Any]]:
    if since and until and until < since:
        raise InvalidInput(
            f"结束日期早于开始日期 (until {until} is before since {since})", field="until"
        )
    if community_code is not None:
        _community(session, community_code)
    rows = (
        session.execute(
            sa.text(
                "SELECT id, kind, title, held_on, community_code, place, organiser, participants, "
                "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM community_activities "
                "WHERE (CAST(:c AS text) IS NULL OR community_code = :c) "
                "AND (CAST(:s AS date) IS NULL OR held_on >= :s) "
                "AND (CAST(:u AS date) IS NULL OR held_on <= :u) ORDER BY held_on DESC, id LIMIT 5000"
            ),
            {"c": community_code, "s": since, "u": until},
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]
