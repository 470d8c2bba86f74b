"""Construction projects for community facilities, their funding and milestones."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base

MILESTONES: dict[str, str] = {
    "site_selection": "选址",
    "approval": "立项",
    "design": "设计",
    "tendering": "招标",
    "construction_start": "开工",
    "structure_complete": "主体完工",
    "acceptance": "竣工验收",
    "in_service": "投入使用",
}
FUNDING_SOURCES: dict[str, str] = {
    "budget": "财政预算",
    "enterprise": "企业支持",
    "donation": "社会捐助",
    "lottery": "福利彩票公益金",
    "other": "其他",
}


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    name: Mapped[str] = mapped_column(Text)
    facility_kind: Mapped[str] = mapped_column(Text)
    community_code: Mapped[str] = mapped_column(String(12))
    site: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326))
    site_polygon: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326))
    planned_floor_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    responsible_unit: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    budget_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    spent_to_date: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    progress_override: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    progress_reason: Mapped[str | None] = mapped_column(Text)
    plan_group: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProjectFunding(Base):
    __tablename__ = "project_funding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class ProjectMilestone(Base):
    __tablename__ = "project_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(Text)
    planned_date: Mapped[date | None] = mapped_column(Date)
    actual_date: Mapped[date | None] = mapped_column(Date)
