"""Administrative units, grids, grid staff and dwellings."""

from __future__ import annotations

from datetime import date

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Date, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base


class AdminUnit(Base):
    """District (level 3), township (4) or community (5), one boundary generation."""

    __tablename__ = "admin_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(SmallInteger)
    unit_type: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(String(12))
    households: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    seat: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326))
    geom: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=4326))
    boundary_source: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Grid(Base):
    """A management grid (网格) with its 15-digit code."""

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(15))
    name: Mapped[str] = mapped_column(Text)
    community_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(Text, default="basic")
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    geom: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=4326))
    boundary_source: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class GridStaff(Base):
    """A person responsible for a grid. ``phone`` is personal information."""

    __tablename__ = "grid_staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(15))
    role: Mapped[str] = mapped_column(Text)
    person_name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(Text)


class Residence(Base):
    """A dwelling point (building or hamlet) with its households."""

    __tablename__ = "residences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_code: Mapped[str] = mapped_column(String(12))
    grid_code: Mapped[str | None] = mapped_column(String(15))
    households: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326))
