"""Portfolio views of the register: totals by status, funding source and township; a Gantt
payload with planned and actual bars.

All figures are summed in SQL from the same ``project_overview_at(today)`` the register uses,
so a portfolio total is the sum of the projects listed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.models.projects import FUNDING_SOURCES, MILESTONES
from gis.projects.status import STATUSES


def _f(v: Any) -> float:
    return float(v or 0)


def portfolio(*, session: Session, today: date) -> dict[str, Any]:
    """Counts, budget, spending and funding of all projects on ``today``.

    Returns
    -------
    dict
        ``totals``; ``by_status`` (every status, zeros included); ``by_funding_source``
        (amounts per channel); ``by_township`` (count, budget, spent, status counts).
    """
    params = {"today": today}
    totals = (
        session.execute(
            sa.text(
                "SELECT count(*) AS projects, sum(budget_total) AS budget, "
                "sum(spent_to_date) AS spent, sum(funded_total) AS funded, "
                "round(avg(progress), 1) AS mean_progress FROM project_overview_at(:today)"
            ),
            params,
        )
        .mappings()
        .one()
    )
    by_status = {
        r["status"]: r
        for r in session.execute(
            sa.text(
                "SELECT status, count(*) AS projects, sum(budget_total) AS budget, "
                "sum(spent_to_date) AS spent FROM project_overview_at(:today) GROUP BY status"
            ),
            params,
        ).mappings()
    }
    by_source: dict[str, Any] = dict(
        session.execute(
            sa.text("SELECT source, sum(amount) FROM project_funding GROUP BY source")
        ).all()
    )
    townships = session.execute(
        sa.text(
            "SELECT township_code, township_name, count(*) AS projects, "
            "sum(budget_total) AS budget, sum(spent_to_date) AS spent, "
            "sum(funded_total) AS funded, jsonb_object_agg(status, n) AS statuses FROM ("
            "  SELECT township_code, township_name, status, budget_total, spent_to_date,"
            "         funded_total, count(*) OVER (PARTITION BY township_code, status) AS n"
            "  FROM project_overview_at(:today)) s "
            "GROUP BY township_code, township_name ORDER BY township_code"
        ),
        params,
    ).mappings()
    return {
        "as_of": today.isoformat(),
        "totals": {
            "projects": int(totals["projects"]),
            "budget": _f(totals["budget"]),
            "spent": _f(totals["spent"]),
            "funded": _f(totals["funded"]),
            "funding_gap": round(_f(totals["budget"]) - _f(totals["funded"]), 2),
            "mean_progress": _f(totals["mean_progress"]),
        },
        "by_status": [
            {
                "status": s,
                "label": label,
                "projects": int(by_status[s]["projects"]) if s in by_status else 0,
                "budget": _f(by_status[s]["budget"]) if s in by_status else 0.0,
                "spent": _f(by_status[s]["spent"]) if s in by_status else 0.0,
            }
            for s, label in STATUSES.items()
        ],
        "by_funding_source": [
            {"source": s, "label": label, "amount": _f(by_source.get(s))}
            for s, label in FUNDING_SOURCES.items()
        ],
        "by_township": [
            {
                "township_code": t["township_code"],
                "township_name": t["township_name"],
                "projects": int(t["projects"]),
                "budget": _f(t["budget"]),
                "spent": _f(t["spent"]),
                "funded": _f(t["funded"]),
                "statuses": {k: int(v) for k, v in t["statuses"].items()},
            }
            for t in townships
        ],
    }


def gantt(*, session: Session, today: date, plan_group: str | None = None) -> dict[str, Any]:
    """A timeline payload: per project, per milestone, the planned and the actual bar.

    A milestone's bar runs from the previous milestone's date (the project's first planned
    date for the first one) to its own: ``planned`` with planned dates, ``actual`` with
    actual dates (open-ended to ``today`` while the milestone is under way).
    """
    where = " WHERE o.plan_group = :g" if plan_group else ""
    projects = session.execute(
        sa.text(
            "SELECT o.id, o.name, o.status, o.status_label, o.progress, o.township_name, "
            "o.community_name FROM project_overview_at(:today) o" + where + " ORDER BY o.id"
        ),
        {"today": today, "g": plan_group},
    ).mappings()
    ms: dict[int, list[Any]] = {}
    for r in session.execute(
        sa.text(
            "SELECT project_id, kind, planned_date, actual_date FROM project_milestones "
            "ORDER BY project_id, seq"
        )
    ).mappings():
        ms.setdefault(r["project_id"], []).append(r)
    rows = []
    lo: date | None = None
    hi: date | None = None
    for p in projects:
        bars = []
        prev_plan: date | None = None
        prev_act: date | None = None
        for m in ms.get(p["id"], []):
            pd, ad = m["planned_date"], m["actual_date"]
            if ad is not None and ad > today:
                ad = None
            bar: dict[str, Any] = {"kind": m["kind"], "label": MILESTONES[m["kind"]]}
            bar["planned"] = (
                {"start": (prev_plan or pd).isoformat(), "end": pd.isoformat()} if pd else None
            )
            if ad is not None:
                bar["actual"] = {"start": (prev_act or ad).isoformat(), "end": ad.isoformat()}
            elif prev_act is not None:  # under way since the predecessor was done
                bar["actual"] = {"start": prev_act.isoformat(), "end": None, "open": True}
            else:
                bar["actual"] = None
            bar["done"] = ad is not None
            bar["late"] = ad is None and pd is not None and pd < today
            bars.append(bar)
            prev_plan = pd or prev_plan
            prev_act = ad if ad is not None else None
            for d in (pd, ad):
                if d is not None:
                    lo = d if lo is None or d < lo else lo
                    hi = d if hi is None or d > hi else hi
        rows.append({**{k: p[k] for k in p}, "progress": _f(p["progress"]), "bars": bars})
    return {
        "as_of": today.isoformat(),
        "range": {"start": lo.isoformat() if lo else None, "end": hi.isoformat() if hi else None},
        "projects": rows,
    }
