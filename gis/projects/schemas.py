"""Input shapes of construction projects: what a planner or a site reporter sends.

Types are checked here (pydantic); the rules that need the calendar, the map or other fields
are in :mod:`gis.projects.validate`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

PHONE = r"^[0-9+()\- ]{3,40}$"


def _no_nul(v: Any) -> Any:
    if isinstance(v, str) and "\x00" in v:
        raise ValueError("文本不能含空字符 (text must not contain NUL characters)")
    return v


class SiteIn(BaseModel):
    """A point: longitude and latitude in ``crs`` (default WGS84/CGCS2000)."""

    model_config = ConfigDict(extra="forbid")

    lon: float
    lat: float


class FundingIn(BaseModel):
    """Money from one channel (财政预算, 企业支持, 社会捐助, 福利彩票公益金, 其他)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    amount: Decimal


class MilestoneIn(BaseModel):
    """Planned and actual date of one milestone (``kind`` from ``MILESTONES``)."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    planned_date: date | None = None
    actual_date: date | None = None


class ProjectFields(BaseModel):
    """Fields shared by creation and update."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    facility_kind: str | None = None
    community_code: str | None = None
    facility_id: int | None = None
    site: SiteIn | None = None
    crs: str = "wgs84"
    site_polygon: dict[str, Any] | None = None  # GeoJSON Polygon or MultiPolygon
    planned_floor_area: Decimal | None = None
    responsible_unit: str | None = Field(default=None, max_length=200)
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=40, pattern=PHONE)
    budget_total: Decimal | None = None
    spent_to_date: Decimal | None = None
    progress_override: Decimal | None = None
    progress_reason: str | None = None
    plan_group: str | None = Field(default=None, max_length=60)
    notes: str | None = None
    funding: list[FundingIn] | None = None
    milestones: list[MilestoneIn] | None = None

    _text = field_validator("*")(_no_nul)


class ProjectIn(ProjectFields):
    """A new project. Name, kind, community and site are required."""

    name: str = Field(min_length=1, max_length=200)
    facility_kind: str
    community_code: str
    site: SiteIn
    budget_total: Decimal = Decimal(0)
    spent_to_date: Decimal = Decimal(0)


class ProjectPatch(ProjectFields):
    """A change: only the fields sent are changed. ``funding`` replaces all funding rows;
    ``milestones`` updates the kinds sent and keeps the others. Send ``null`` for
    ``progress_override`` to go back to the derived progress."""


class ReportIn(BaseModel):
    """A progress report from the site."""

    model_config = ConfigDict(extra="forbid")

    report_date: date
    body: str = Field(min_length=1, max_length=5000)
    reporter: str = Field(min_length=1, max_length=100)
    reporter_phone: str | None = Field(default=None, max_length=40, pattern=PHONE)
    progress: Decimal | None = None
    site: SiteIn | None = None  # where the reporter stood
    crs: str = "wgs84"

    _text = field_validator("*")(_no_nul)
