"""Writing an auto-partition: a new grid generation in one transaction, checked in PostGIS."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import audit
from gis.errors import Conflict, Unprocessable
from gis.spatial.partition import partition

CHECK_SQL = sa.text("""
    WITH n AS (SELECT geom FROM grids WHERE community_code = :c AND valid_to IS NULL),
    c AS (SELECT geom FROM admin_units WHERE code = :c AND level = 5 AND valid_to IS NULL)
    SELECT ST_Area(ST_SymDifference((SELECT ST_Union(geom) FROM n), (SELECT geom FROM c)))
               / ST_Area((SELECT geom FROM c)) AS uncovered,
           ((SELECT sum(ST_Area(geom)) FROM n) - ST_Area((SELECT ST_Union(geom) FROM n)))
               / ST_Area((SELECT geom FROM c)) AS overlap
""")
#: Area mismatch tolerated, relative to the community's planar area (noise of the cuts).
TOLERANCE = 1e-7


def apply_partition(
    session: Session,
    *,
    community: str,
    grids: int | None = None,
    min_households: int = 300,
    max_households: int = 500,
    valid_from: date | None = None,
    fingerprint: str | None = None,
    actor: audit.Actor | str | None = None,
) -> dict[str, Any]:
    """Replace the current grids of ``community`` by a new generation, in one transaction.

    The old grids keep their rows with ``valid_to = valid_from``; the new ones are inserted
    with ``valid_from`` (default: today, or the day after the newest old grid began,
    whichever is later); dwellings are reassigned to the new grids. The result is checked in
    PostGIS — the new grids cover the community with no overlap (relative area error below
    1e-7) — before it is committed.

    Parameters
    ----------
    fingerprint
        From :func:`partition`: refuse (409) when the recomputed partition differs from
        the previewed one (the data changed meanwhile).
    actor
        Who applies it: recorded in the audit log in the same transaction.

    Raises
    ------
    Conflict
        ``valid_from`` not after the start of an old grid (field ``valid_from``); a
        ``fingerprint`` that no longer matches (field ``fingerprint``).
    Unprocessable
        The check in PostGIS failed (nothing is written).
    """
    try:
        result = _apply(
            session,
            community=community,
            grids=grids,
            min_households=min_households,
            max_households=max_households,
            valid_from=valid_from,
            fingerprint=fingerprint,
        )
        audit.record(
            session=session,
            actor=actor,
            action="grids.partition",
            object_type="community",
            object_id=community,
            before={"grids": result["retired"]},
            after={"grids": result["created"], "valid_from": result["valid_from"]},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _apply(
    session: Session,
    *,
    community: str,
    grids: int | None,
    min_households: int,
    max_households: int,
    valid_from: date | None,
    fingerprint: str | None,
) -> dict[str, Any]:
    old = session.execute(
        sa.text(
            "SELECT id, code, valid_from FROM grids WHERE community_code = :c "
            "AND valid_to IS NULL ORDER BY code FOR UPDATE"
        ),
        {"c": community},
    ).all()
    plan = partition(
        session,
        community=community,
        grids=grids,
        min_households=min_households,
        max_households=max_households,
    )
    if fingerprint is not None and fingerprint != plan["fingerprint"]:
        raise Conflict(
            "预览之后数据已变化，请重新预览 (the data changed since the preview; preview again)",
            field="fingerprint",
        )
    latest = max((o.valid_from for o in old), default=None)
    earliest = date.today() if latest is None else max(date.today(), latest + timedelta(days=1))
    day = valid_from or earliest
    if latest is not None and day <= latest:
        raise Conflict(
            f"生效日期须晚于现有网格的开始日期 {latest} (valid_from must be after {latest}, "
            f"when the current generation began)",
            field="valid_from",
        )
    session.execute(
        sa.text("UPDATE grids SET valid_to = :d WHERE community_code = :c AND valid_to IS NULL"),
        {"c": community, "d": day},
    )
    for f in plan["features"]:
        p = f["properties"]
        session.execute(
            sa.text(
                "INSERT INTO grids (code, name, community_code, kind, households, population, "
                "geom, boundary_source, valid_from) VALUES (:code, :name, :c, 'basic', :hh, "
                ":pop, ST_Multi(ST_GeomFromText(:wkt, 4326)), 'illustrative', :d)"
            ),
            {
                "code": p["code"],
                "name": p["name"],
                "c": community,
                "hh": p["households"],
                "pop": p["population"],
                "wkt": shapely.geometry.shape(f["geometry"]).wkt,
                "d": day,
            },
        )
    uncovered, overlap = session.execute(CHECK_SQL, {"c": community}).one()
    if uncovered > TOLERANCE or overlap > TOLERANCE:
        raise Unprocessable(
            f"新网格未能恰好覆盖社区 (new grids do not tile the community): "
            f"gap/excess {uncovered:.2e}, overlap {overlap:.2e}",
            field="community",
        )
    session.execute(
        sa.text(
            "UPDATE residences r SET grid_code = g.code FROM grids g "
            "WHERE r.community_code = :c AND g.community_code = :c AND g.valid_to IS NULL "
            "AND ST_Covers(g.geom, r.geom)"
        ),
        {"c": community},
    )
    orphans = session.execute(
        sa.text(
            "SELECT count(*) FROM grid_staff s WHERE s.grid_code LIKE :p AND NOT EXISTS ("
            "SELECT 1 FROM grids g WHERE g.code = s.grid_code AND g.valid_to IS NULL)"
        ),
        {"p": community + "%"},
    ).scalar_one()
    return {
        **{k: v for k, v in plan.items() if k != "features"},
        "valid_from": day.isoformat(),
        "retired": [o.code for o in old],
        "created": [f["properties"]["code"] for f in plan["features"]],
        "staff_without_grid": int(orphans),
        "check": {"uncovered": float(uncovered), "overlap": float(overlap)},
    }
