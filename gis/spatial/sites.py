"""Site suggestion: where k new facilities would cover the most uncovered households.

Greedy maximal coverage (Church & ReVelle's MCLP, greedy heuristic — within 1 − 1/e of the
optimum): at each step take the candidate that covers the most households not yet
covered, by existing facilities or by the sites already chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis import crs as crs_mod
from gis.errors import InvalidInput, TooLarge
from gis.spatial import coverage, params

MAX_K = 50
MAX_CANDIDATES = 20_000

UNCOVERED_SQL = """
    SELECT x.id, x.households, ST_X(x.g) AS x, ST_Y(x.g) AS y FROM ({residences}) x
    WHERE NOT x.covered
"""
INSIDE_SQL = sa.text("""
    SELECT p.i FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)
    WHERE EXISTS (SELECT 1 FROM district_pieces d
                  WHERE ST_Intersects(d.geom, ST_SetSRID(ST_Point(p.x, p.y), 4326)))
""")


def _candidates_from_points(
    bind: Session | Connection, points: Sequence[Sequence[float]]
) -> np.ndarray:
    if len(points) > MAX_CANDIDATES:
        raise TooLarge(f"候选点过多 (at most {MAX_CANDIDATES} candidates)", field="candidates")
    xy = np.asarray(points, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
        raise InvalidInput(
            "候选点应为 [lon, lat] 数对 (candidates must be [lon, lat] pairs)", field="candidates"
        )
    inside = {
        i - 1
        for (i,) in bind.execute(INSIDE_SQL, {"xs": xy[:, 0].tolist(), "ys": xy[:, 1].tolist()})
    }
    outside = [i for i in range(len(xy)) if i not in inside]
    if outside:
        raise InvalidInput(
            f"候选点 {outside[0]} 不在乐都区内 (candidate {outside[0]} is outside the district)",
            field=f"candidates[{outside[0]}]",
        )
    x, y = crs_mod.from_wgs84(xy[:, 0], xy[:, 1], "epsg:4543")
    return np.column_stack([x, y])


def suggest_sites(
    bind: Session | Connection,
    *,
    kind: str,
    k: int = 3,
    reach_m: float | None = None,
    candidates: Sequence[Sequence[float]] | None = None,
    spacing_m: float | None = None,
    parent: str | None = None,
    include_planned: bool = True,
) -> dict[str, Any]:
    """Choose ``k`` new sites of ``kind`` that cover the most uncovered households.

    Parameters
    ----------
    kind
        The facility kind (its default reach applies unless ``reach_m`` is given).
    k
        Sites to choose, 1…50.
    candidates
        ``[lon, lat]`` WGS84 points to choose from (all inside the district). When absent,
        candidates are generated: the centres of a ``spacing_m`` square grid (default half
        the reach) at every cell holding an uncovered dwelling.
    parent
        Only households inside this township or community count.
    include_planned
        Planned and under-construction facilities count as already covering (default).

    Returns
    -------
    dict
        ``baseline`` (households, covered), ``sites`` in the order chosen, each with its
        ``gain_households`` and the cumulative ``household_share`` after it.

    Raises
    ------
    InvalidInput
        Unknown ``kind``; bad ``k``, ``reach``, ``spacing``, ``parent`` or candidates.

    Examples
    --------
    >>> out = suggest_sites(session, kind="service_station", k=2)  # doctest: +SKIP
    >>> [s["gain_households"] >= 0 for s in out["sites"]]  # doctest: +SKIP
    [True, True]
    """
    params.facility_kind(kind, required=True)
    params.int_in(k, field="k", lo=1, hi=MAX_K)
    reach = coverage.reach_for(kind, reach_m)
    spacing = (
        reach / 2
        if spacing_m is None
        else params.number_in(spacing_m, field="spacing", lo=10, hi=5000)
    )
    prefix = params.parent_prefix(bind, parent)
    p = {
        "kind": kind,
        "statuses": coverage.statuses(include_planned),
        "reach": reach,
        "deg": reach * coverage.DEG_PAD,
        "prefix": prefix + "%",
    }
    res_sql = coverage.RESIDENCES_SQL.format(where=" AND r.community_code LIKE :prefix")
    total_hh = int(
        bind.execute(
            sa.text(f"SELECT coalesce(sum(households), 0) FROM ({res_sql}) x"), p
        ).scalar_one()
    )
    rows = bind.execute(sa.text(UNCOVERED_SQL.format(residences=res_sql)), p).all()
    hh = np.array([r.households for r in rows], dtype=np.int64)
    pts = np.array([(r.x, r.y) for r in rows], dtype=np.float64).reshape(-1, 2)
    if candidates is not None:
        cand = _candidates_from_points(bind, candidates)
        source = "given"
    else:
        cells = np.unique(np.floor(pts / spacing), axis=0) if len(pts) else np.empty((0, 2))
        cand = (cells + 0.5) * spacing
        source = f"generated ({spacing:g} m grid)"
    covered_before = total_hh - int(hh.sum())
    sites: list[dict[str, Any]] = []
    if len(pts) and len(cand):
        tree = shapely.STRtree(shapely.points(pts))
        ci, ri = tree.query(shapely.points(cand), predicate="dwithin", distance=reach)
        order = np.argsort(ci, kind="stable")
        ci, ri = ci[order], ri[order]
        starts = np.searchsorted(ci, np.arange(len(cand) + 1))
        alive = np.ones(len(pts), dtype=bool)
        covered = covered_before
        for _ in range(k):
            vals = np.append(np.where(alive[ri], hh[ri], 0), 0)  # pad: empty tail groups
            gains = np.where(np.diff(starts) > 0, np.add.reduceat(vals, starts[:-1]), 0)
            best = int(np.argmax(gains))
            gain = int(gains[best])
            if gain <= 0:
                break
            served = ri[starts[best] : starts[best + 1]]
            n_new = int(alive[served].sum())
            alive[served] = False
            covered += gain
            lon, lat = crs_mod.to_wgs84(cand[best, 0], cand[best, 1], "epsg:4543")
            sites.append(
                {
                    "rank": len(sites) + 1,
                    "lon": round(float(lon), 6),
                    "lat": round(float(lat), 6),
                    "gain_households": gain,
                    "gain_dwellings": n_new,
                    "covered_households": covered,
                    "household_share": round(covered / total_hh, 4) if total_hh else None,
                }
            )
    return {
        "kind": kind,
        "reach_m": reach,
        "parent": parent,
        "candidates": {"source": source, "count": int(len(cand))},
        "baseline": {
            "households": total_hh,
            "covered_households": covered_before,
            "household_share": round(covered_before / total_hh, 4) if total_hh else None,
        },
        "sites": sites,
    }
