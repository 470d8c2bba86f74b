"""Case categories (大类/小类) and departments."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(Text, default="")


class Category(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    level: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text, default="")
    sla_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    default_department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
