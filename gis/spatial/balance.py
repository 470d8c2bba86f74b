"""Grid balance: households per grid against a target band, and the outliers.

Households are summed from the dwelling points (``residences``) inside each current grid.
Urban grids (grids of 居委会 communities) are held to the band, default 300–500 households;
rural (村委会) grids are reported but judged only when ``scope="all"``.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.spatial import params

URBAN_TYPES = ("居委会(社区)", "类似居委会(园区)")
SCOPES = ("urban", "rural", "all")

BALANCE_SQL = sa.text("""
    SELECT g.code, g.name, g.community_code, c.name AS community_name, c.unit_type,
           (c.unit_type = ANY (:urban)) AS urban,
           coalesce((SELECT sum(r.households) FROM residences r
                     WHERE r.community_code = g.community_code
                       AND ST_Intersects(g.geom, r.geom)), 0) AS households,
           ST_Area(ST_Transform(g.geom, 4543)) AS area
    FROM grids g
    JOIN admin_units c ON c.code = g.community_code AND c.valid_to IS NULL
    WHERE g.valid_to IS NULL AND g.code LIKE :prefix
    ORDER BY g.code
""")


def band(lo: int, hi: int) -> tuple[int, int]:
    """Check a household band ``lo < hi``."""
    params.int_in(lo, field="min_households", lo=1, hi=100_000)
    params.int_in(hi, field="max_households", lo=1, hi=100_000)
    if hi <= lo:
        raise InvalidInput(
            f"上限须大于下限 (max_households must exceed min_households): {lo}–{hi}",
            field="max_households",
        )
    return lo, hi


def suggest_count(households: int, lo: int, hi: int) -> int:
    """How many grids to cut ``households`` into: the count whose mean size is nearest the
    middle of the band (preferring one inside it).

    Examples
    --------
    >>> suggest_count(551, 300, 500), suggest_count(1300, 300, 500), suggest_count(90, 300, 500)
    (2, 3, 1)
    """
    mid = (lo + hi) / 2
    top = max(1, math.ceil(households / lo) + 1)
    return min(
        range(1, top + 1),
        key=lambda n: (not lo <= households / n <= hi, abs(households / n - mid), n),
    )


def grid_balance(
    bind: Session | Connection,
    *,
    min_households: int = 300,
    max_households: int = 500,
    scope: str = "urban",
    parent: str | None = None,
) -> dict[str, Any]:
    """Households per grid, flagged ``under`` / ``within`` / ``over`` the band.

    Parameters
    ----------
    min_households, max_households
        The target band (default 300–500, the usual urban grid size).
    scope
        Which grids are judged: ``urban`` (default), ``rural`` or ``all``; the others are
        listed with ``flag = null``.
    parent
        Only grids inside this township or community.

    Returns
    -------
    dict
        ``band``, ``summary`` (counts per flag), ``grids`` and ``communities`` (grid count,
        households, and ``suggested_grids`` = households / band middle, rounded, ≥ 1, for
        the communities with an outlier, from :func:`suggest_count`).

    Raises
    ------
    InvalidInput
        A bad band, ``scope`` or ``parent``.
    """
    lo, hi = band(min_households, max_households)
    if scope not in SCOPES:
        raise InvalidInput(
            f"未知范围 (unknown scope) {scope!r}; known: {', '.join(SCOPES)}", field="scope"
        )
    prefix = params.parent_prefix(bind, parent)
    rows = bind.execute(BALANCE_SQL, {"urban": list(URBAN_TYPES), "prefix": prefix + "%"}).all()
    grids = []
    summary = {"under": 0, "within": 0, "over": 0, "not_judged": 0}
    comms: dict[str, dict[str, Any]] = {}
    for r in rows:
        judged = scope == "all" or (scope == "urban") == bool(r.urban)
        hh = int(r.households)
        flag = None
        if judged:
            flag = "under" if hh < lo else "over" if hh > hi else "within"
        summary[flag or "not_judged"] += 1
        grids.append(
            {
                "code": r.code,
                "name": r.name,
                "community_code": r.community_code,
                "urban": bool(r.urban),
                "households": hh,
                "area_m2": round(float(r.area), 1),
                "flag": flag,
                "deviation": (hh - lo if hh < lo else hh - hi if hh > hi else 0)
                if judged
                else None,
            }
        )
        c = comms.setdefault(
            r.community_code,
            {
                "code": r.community_code,
                "name": r.community_name,
                "grids": 0,
                "households": 0,
                "outliers": 0,
            },
        )
        c["grids"] += 1
        c["households"] += hh
        c["outliers"] += flag in ("under", "over")
    communities = []
    for c in comms.values():
        if c["outliers"]:
            c["suggested_grids"] = suggest_count(c["households"], lo, hi)
            communities.append(c)
    return {
        "band": {"min_households": lo, "max_households": hi},
        "scope": scope,
        "summary": summary,
        "grids": grids,
        "communities": communities,
    }
