"""Routes: the five-type community scorecard (``/api/v1/scorecard``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

import layers.catalog  # noqa: F401  (registers the layers whose styles the report uses)
from api.deps import SessionDep
from api.hardening import REPORT_CSP
from api.security import Principal, allow
from gis.projects.config import local_today
from gis.reports.maps import ReportOptions
from gis.scorecard import map_report, score
from gis.scorecard.config import load_scheme
from layers import registry

router = APIRouter(prefix="/api/v1/scorecard", tags=["五型社区 scorecard"])
Reader = Annotated[Principal, Depends(allow("commander", "supervisor", "planner", "viewer"))]


@router.get("", summary="五型社区排名 (ranking of all communities)")
def ranking(
    session: SessionDep, principal: Reader, township_code: str | None = None
) -> dict[str, Any]:
    scheme = load_scheme()
    cards = score.compute(session, today=local_today(), scheme=scheme)
    if township_code:
        cards = [c for c in cards if c["parent_code"] == township_code]
    return {
        "as_of": local_today().isoformat(),
        "headings": [vars(h) for h in scheme.headings],
        "indicators": [vars(i) for i in scheme.indicators],
        "items": cards,
    }


@router.get("/geojson", summary="评分专题图 (choropleth GeoJSON per heading or total)")
def geojson(session: SessionDep, principal: Reader, heading: str = "total") -> dict[str, Any]:
    return score.choropleth(session, today=local_today(), heading=heading)


@router.get("/{code}", summary="单个社区评估 (one community, with definitions)")
def community(code: str, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return score.one(session, code=code, today=local_today())


@router.get(
    "/{code}/report",
    response_class=HTMLResponse,
    summary="社区评估报告 (self-contained HTML: map and scorecard, opens offline)",
)
def community_report(code: str, session: SessionDep, principal: Reader) -> HTMLResponse:
    styles = {spec.id: spec.style for spec in registry.all_layers()}
    html = map_report.community_report(
        session=session,
        code=code,
        today=local_today(),
        options=ReportOptions(sees_personal=principal.sees_personal, styles=styles),
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Disposition": f'inline; filename="scorecard-{code}.html"',
            # the page inlines its scripts (it must open as a file too): the report policy
            "Content-Security-Policy": REPORT_CSP,
            "X-Frame-Options": "SAMEORIGIN",
        },
    )
