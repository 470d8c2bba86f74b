"""Routes: map reports (self-contained HTML) and the monthly township summary (HTML, PDF)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

import layers.catalog  # noqa: F401  (registers the layers whose styles the reports use)
from api.deps import SessionDep
from api.security import PrincipalDep, allow
from gis.reports.maps import ReportOptions, community_report, projects_report, township_report
from gis.reports.monthly import monthly_html, monthly_pdf
from gis.spatial.params import window
from layers import registry

router = APIRouter(prefix="/reports", tags=["reports"])
READERS = allow("commander", "supervisor", "handler", "planner", "viewer")


def _styles() -> dict[str, Any]:
    return {spec.id: spec.style for spec in registry.all_layers()}


def _options(principal: Any, start: date | None, end: date | None) -> ReportOptions:
    w = window(start, end)
    return ReportOptions(
        start=w.start, end=w.end, sees_personal=principal.sees_personal, styles=_styles()
    )


def _html(body: str, name: str) -> HTMLResponse:
    return HTMLResponse(body, headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/projects.html", dependencies=[Depends(READERS)])
def get_projects_report(session: SessionDep, principal: PrincipalDep) -> HTMLResponse:
    """Map of the construction projects by status."""
    return _html(
        projects_report(session=session, options=_options(principal, None, None)), "projects.html"
    )


@router.get("/monthly/{township}.html", dependencies=[Depends(READERS)])
def get_monthly_html(
    township: str,
    session: SessionDep,
    principal: PrincipalDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> HTMLResponse:
    """Monthly summary of a township (default: the previous month)."""
    body = monthly_html(
        session=session, township=township, month=month, sees_personal=principal.sees_personal
    )
    return _html(body, f"monthly-{township}-{month or 'last'}.html")


@router.get("/monthly/{township}.pdf", dependencies=[Depends(READERS)])
def get_monthly_pdf(
    township: str,
    session: SessionDep,
    principal: PrincipalDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    """The monthly summary as PDF."""
    pdf = monthly_pdf(
        session=session, township=township, month=month, sees_personal=principal.sees_personal
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="monthly-{township}-{month or "last"}.pdf"'
        },
    )


@router.get("/{level}/{code}.html", dependencies=[Depends(READERS)])
def get_area_report(
    level: Literal["community", "township"],
    code: str,
    session: SessionDep,
    principal: PrincipalDep,
    start: date | None = None,
    end: date | None = None,
) -> HTMLResponse:
    """Map report of a community or township; cases of [start, end] (default: last 30 days)."""
    build = community_report if level == "community" else township_report
    html = build(session=session, code=code, options=_options(principal, start, end))
    return _html(html, f"{level}-{code}.html")
