"""Community facilities (office & service sites, stations, mediation centres …)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import DateTime, Integer, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base

FACILITY_KINDS: dict[str, str] = {
    "office_service_site": "社区办公和服务场所",
    "service_centre": "社区服务中心",
    "service_station": "社区服务站",
    "mediation_centre": "矛盾纠纷调解中心",
    "police_room": "警务室",
    "health_station": "卫生服务站",
    "elderly_care": "养老服务设施",
    "culture_sports": "文体活动场所",
    "commercial_outlet": "商业服务网点",
}
FACILITY_STATUSES: dict[str, str] = {
    "planned": "计划开工",
    "under_construction": "在建",
    "in_service": "已投入使用",
    "closed": "已停用",
}


class Facility(Base):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    community_code: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(Text, default="in_service")
    floor_area_m2: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326))
    footprint: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
