"""ORM models (GeoAlchemy2). The schema itself is defined by the Alembic migrations."""

from gis.models.admin import AdminUnit, Grid, GridStaff, Residence
from gis.models.base import Base
from gis.models.cases import Case, CaseEvent
from gis.models.catalog import Category, Department
from gis.models.facilities import Facility
from gis.models.projects import Project, ProjectFunding, ProjectMilestone

__all__ = [
    "AdminUnit",
    "Base",
    "Case",
    "CaseEvent",
    "Category",
    "Department",
    "Facility",
    "Grid",
    "GridStaff",
    "Project",
    "ProjectFunding",
    "ProjectMilestone",
    "Residence",
]
