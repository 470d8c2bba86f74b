"""Checks on project input that need more than types: money, dates, places, standards.

Every check raises a domain error naming the offending field, before anything is written.
Things that are worth saying but not refusing (funding that does not add up to the budget,
a floor area below the standard) come back as warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, Polygon, shape
from sqlalchemy.orm import Session

from gis import crs as crs_mod
from gis.errors import InvalidInput, Unprocessable
from gis.models.projects import FUNDING_SOURCES, MILESTONES
from gis.projects.config import SITE_MAX_OUTSIDE_COMMUNITY_M, standards
from gis.projects.schemas import FundingIn, MilestoneIn
from gis.spatial.locate import locate, to_storage_crs

ORDER = list(MILESTONES)


@dataclass(frozen=True)
class Warning_:
    """Something the planner should know that does not stop the save."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def money(field: str, value: Decimal | None) -> None:
    """Refuse negative or absurd amounts (yuan)."""
    if value is None:
        return
    if not value.is_finite():
        raise InvalidInput(f"{field} 不是有效金额 (not a finite amount)", field=field)
    if value < 0:
        raise InvalidInput(f"{field} 不能为负数 (must not be negative): {value}", field=field)
    if value >= Decimal("1e12"):
        raise InvalidInput(f"{field} 金额过大 (amount too large): {value}", field=field)


def facility_kind(kind: str) -> None:
    """The kind must be one the standards file knows."""
    if kind not in standards():
        raise InvalidInput(
            f"未知设施类型 (unknown facility kind): {kind!r}; "
            f"可选 (known): {', '.join(standards())}",
            field="facility_kind",
        )


def community(*, session: Session, code: str) -> int | None:
    """The community must exist (current boundary); returns its households."""
    row = session.execute(
        sa.text(
            "SELECT households FROM admin_units WHERE code = :c AND level = 5 AND valid_to IS NULL"
        ),
        {"c": code},
    ).first()
    if row is None:
        raise InvalidInput(
            f"社区代码不存在 (unknown community code): {code!r}", field="community_code"
        )
    return int(row[0]) if row[0] is not None else None


def site(*, session: Session, lon: float, lat: float, crs: str, community_code: str) -> Point2:
    """The site must lie in the district and in (or near) its community.

    Returns the WGS84 coordinates.
    """
    try:
        x, y = to_storage_crs(lon, lat, crs)
        locate(session, lon=x, lat=y)
    except (InvalidInput, Unprocessable) as exc:
        exc.message = f"项目选址无效 (site): {exc.message}"
        exc.field = "crs" if exc.field == "crs" else "site"
        raise
    dist = session.execute(
        sa.text(
            "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_Point(:x, :y), 4326)::geography) "
            "FROM admin_units WHERE code = :c AND valid_to IS NULL"
        ),
        {"x": x, "y": y, "c": community_code},
    ).scalar_one()
    if dist > SITE_MAX_OUTSIDE_COMMUNITY_M:
        raise Unprocessable(
            f"项目选址距所属社区 {community_code} 边界 {dist:.0f} 米，超过 "
            f"{SITE_MAX_OUTSIDE_COMMUNITY_M:.0f} 米 (site is {dist:.0f} m outside its community)",
            field="site",
            distance_m=round(float(dist), 1),
        )
    return (x, y)


Point2 = tuple[float, float]


def site_polygon(*, session: Session, geojson: dict[str, Any], crs: str, site_xy: Point2) -> str:
    """A valid (Multi)Polygon near the site point; returns MULTIPOLYGON WKT in WGS84."""
    try:
        geom = shape(geojson)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
        raise InvalidInput(
            f"场地范围不是有效的 GeoJSON (not GeoJSON): {exc}", field="site_polygon"
        ) from exc
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if not isinstance(geom, MultiPolygon) or geom.is_empty:
        raise InvalidInput(
            "场地范围须为 Polygon 或 MultiPolygon (site_polygon must be a polygon)",
            field="site_polygon",
        )

    def _to_wgs(a: np.ndarray) -> np.ndarray:
        xs, ys = crs_mod.to_wgs84(a[:, 0], a[:, 1], crs)
        return np.column_stack([xs, ys])

    geom = shapely.transform(geom, _to_wgs)
    if not geom.is_valid:
        raise InvalidInput(
            f"场地范围几何无效 (invalid polygon): {shapely.is_valid_reason(geom)}",
            field="site_polygon",
        )
    row = session.execute(
        sa.text(
            "SELECT ST_Area(g::geography), ST_Distance(g::geography, "
            "ST_SetSRID(ST_Point(:x, :y), 4326)::geography) "
            "FROM (SELECT ST_GeomFromText(:w, 4326) AS g) s"
        ),
        {"w": geom.wkt, "x": site_xy[0], "y": site_xy[1]},
    ).one()
    if row[1] > 100:
        raise Unprocessable(
            f"场地范围距选址点 {row[1]:.0f} 米 (polygon is {row[1]:.0f} m from the site point)",
            field="site_polygon",
        )
    if row[0] > 200_000:
        raise Unprocessable(
            f"场地范围面积 {row[0]:.0f} 平方米过大 (polygon area too large)", field="site_polygon"
        )
    return str(geom.wkt)


def funding(rows: Sequence[FundingIn]) -> None:
    """Known sources, each once, no negative amounts."""
    seen: set[str] = set()
    for i, f in enumerate(rows):
        if f.source not in FUNDING_SOURCES:
            raise InvalidInput(
                f"未知资金来源 (unknown funding source): {f.source!r}; "
                f"可选 (known): {', '.join(FUNDING_SOURCES)}",
                field=f"funding[{i}].source",
            )
        if f.source in seen:
            raise InvalidInput(
                f"资金来源重复 (funding source given twice): {f.source}",
                field=f"funding[{i}].source",
            )
        seen.add(f.source)
        money(f"funding[{i}].amount", f.amount)


def funding_warnings(budget: Decimal, rows: Sequence[FundingIn]) -> list[Warning_]:
    """A warning when the funding does not add up to the budget (not an error)."""
    total = sum((f.amount for f in rows), Decimal(0))
    if total == budget:
        return []
    gap = budget - total
    what = f"缺口 {gap:,.2f} 元 (short by)" if gap > 0 else f"超出 {-gap:,.2f} 元 (over by)"
    return [
        Warning_(
            "funding",
            f"各渠道资金合计 {total:,.2f} 元，与总预算 {budget:,.2f} 元不一致，{what} "
            f"(funding does not add up to the budget)",
        )
    ]


def milestone_kinds(rows: Sequence[MilestoneIn]) -> dict[str, MilestoneIn]:
    """Known kinds, each once; returns them by kind."""
    by_kind: dict[str, MilestoneIn] = {}
    for m in rows:
        if m.kind not in MILESTONES:
            raise InvalidInput(
                f"未知里程碑 (unknown milestone kind): {m.kind!r}; "
                f"可选 (known): {', '.join(MILESTONES)}",
                field="milestones.kind",
            )
        if m.kind in by_kind:
            raise InvalidInput(
                f"里程碑重复 (milestone given twice): {m.kind}", field=f"milestones.{m.kind}"
            )
        by_kind[m.kind] = m
    return by_kind


def milestones(rows: Sequence[MilestoneIn], *, today: date) -> list[MilestoneIn]:
    """Check a project's full set of milestones; returns them in canonical order.

    - known kinds, each once;
    - no actual date after ``today``;
    - planned dates in milestone order;
    - a milestone done only after its predecessors, and not before them.
    """
    by_kind = milestone_kinds(rows)
    ordered = [by_kind[k] for k in ORDER if k in by_kind]
    last_planned: MilestoneIn | None = None
    last_actual: MilestoneIn | None = None
    open_before: MilestoneIn | None = None
    for m in ordered:
        label = MILESTONES[m.kind]
        if m.actual_date is not None and m.actual_date > today:
            raise InvalidInput(
                f"{label}实际日期 {m.actual_date} 晚于今天 {today} (actual date in the future)",
                field=f"milestones.{m.kind}.actual_date",
            )
        if m.planned_date is not None:
            if last_planned is not None and m.planned_date < last_planned.planned_date:  # type: ignore[operator]
                raise InvalidInput(
                    f"{label}计划日期 {m.planned_date} 早于{MILESTONES[last_planned.kind]}"
                    f" {last_planned.planned_date} (planned dates out of order)",
                    field=f"milestones.{m.kind}.planned_date",
                )
            last_planned = m
        if m.actual_date is not None:
            if open_before is not None:
                raise InvalidInput(
                    f"{label}已完成但{MILESTONES[open_before.kind]}尚未完成 "
                    f"(milestone done before its predecessor)",
                    field=f"milestones.{m.kind}.actual_date",
                )
            if last_actual is not None and m.actual_date < last_actual.actual_date:  # type: ignore[operator]
                raise InvalidInput(
                    f"{label}实际日期 {m.actual_date} 早于{MILESTONES[last_actual.kind]}"
                    f" {last_actual.actual_date} (milestones out of order)",
                    field=f"milestones.{m.kind}.actual_date",
                )
            last_actual = m
        elif open_before is None:
            open_before = m
    return ordered


def progress_override(value: Decimal | None, reason: str | None) -> None:
    """A reported progress figure is 0–100 and comes with a reason."""
    if value is None:
        return
    if not value.is_finite() or not 0 <= value <= 100:
        raise InvalidInput(
            f"进度须在 0–100 之间 (progress must be 0–100): {value}", field="progress_override"
        )
    if not (reason or "").strip():
        raise InvalidInput(
            "以填报进度代替推算进度时须说明原因 (a reason is required with a progress override)",
            field="progress_reason",
        )


def floor_area(
    kind: str, area: Decimal | None, households: int | None
) -> tuple[dict[str, Any], list[Warning_]]:
    """Compare the planned floor area with the standard of the kind.

    Returns the comparison (for the response) and a warning when the area is below it.
    """
    if area is not None:
        money("planned_floor_area", area)
        if area >= 1_000_000:
            raise InvalidInput(
                f"规划面积过大 (floor area too large): {area}", field="planned_floor_area"
            )
    std = standards()[kind]
    need = std.required_area(households)
    out: dict[str, Any] = {
        "planned_m2": float(area) if area is not None else None,
        "standard_m2": float(need) if need is not None else None,
        "max_m2": float(std.max_floor_area_m2) if std.max_floor_area_m2 is not None else None,
        "basis": std.basis,
        "meets_standard": None if area is None or need is None else area >= need,
        "service_reach_m": std.service_reach_m,
    }
    warns = []
    if out["meets_standard"] is False:
        warns.append(
            Warning_(
                "planned_floor_area",
                f"规划面积 {area} 平方米低于标准 {need} 平方米 (below the standard for {kind})",
            )
        )
    return out, warns
