"""Turn raw indicator values into scores, heading scores, a total and a ranking.

score = min(1, value / target) for each indicator; a heading is the weighted mean of its
indicators' scores (indicators without a value, or with too small a sample, are left out and
the weights renormalised); the total is the weighted mean of the five headings, × 100.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.scorecard.config import HEADINGS, Scheme, load_scheme
from gis.scorecard.indicators import raw_values

MIN_DISPUTES = 5  # fewer disputes due than this: the on-time rate is not scored
MIN_POPULATION = 300  # smaller communities are flagged in rankings


def _wmean(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(w for _, w in pairs)
    return None if total <= 0 else sum(s * w for s, w in pairs) / total


def compute(
    bind: Session | Connection,
    *,
    today: date,
    scheme: Scheme | None = None,
    codes: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Scorecards for every current community (or ``codes``), ranked best first.

    Examples
    --------
    >>> cards = compute(session, today=date(2026, 11, 26))  # doctest: +SKIP
    >>> cards[0]["rank"], sorted(cards[0]["headings"])  # doctest: +SKIP
    (1, ['capable', 'cohesive', 'harmony', 'selfgov', 'service'])
    """
    scheme = scheme or load_scheme()
    raw = raw_values(bind, today=today, codes=codes)
    meta = (
        bind.execute(
            sa.text(
                "SELECT c.code, c.name, c.unit_type, c.parent_code, t.name AS township_name, "
                "coalesce(c.population, 0) AS population, coalesce(c.households, 0) AS households "
                "FROM admin_units c JOIN admin_units t ON t.code = c.parent_code AND t.valid_to IS NULL "
                "WHERE c.level = 5 AND c.valid_to IS NULL ORDER BY c.code"
            )
        )
        .mappings()
        .all()
    )
    cards = []
    for m in meta:
        if codes is not None and m["code"] not in codes:
            continue
        inds: dict[str, dict[str, Any]] = {}
        for ind in scheme.indicators:
            value, n = raw[ind.code].get(m["code"], (None, 0))
            small = ind.code == "disputes_on_time" and n < MIN_DISPUTES
            score = None if value is None or small else min(1.0, value / ind.target)
            inds[ind.code] = {"value": value, "n": n, "score": score, "small_sample": small}
        heads: dict[str, float | None] = {}
        for h in HEADINGS:
            heads[h] = _wmean(
                [
                    (inds[i.code]["score"], i.weight)
                    for i in scheme.indicators
                    if i.heading == h and inds[i.code]["score"] is not None
                ]
            )
        hw = {h.code: h.weight for h in scheme.headings}
        total = _wmean([(s, hw[h]) for h, s in heads.items() if s is not None])
        flags = []
        if m["population"] < MIN_POPULATION:
            flags.append("small_population")
        if inds.get("disputes_on_time", {}).get("small_sample"):
            flags.append("few_disputes")
        cards.append(
            {
                **dict(m),
                "indicators": inds,
                "headings": heads,
                "total": None if total is None else round(total * 100, 1),
                "flags": flags,
            }
        )
    cards.sort(key=lambda c: (c["total"] is None, -(c["total"] or 0), c["code"]))
    for i, c in enumerate(cards, start=1):
        c["rank"] = i
    return cards


def one(
    bind: Session | Connection, *, code: str, today: date, scheme: Scheme | None = None
) -> dict[str, Any]:
    """The scorecard of one community, with the definitions and sources of its indicators."""
    if not (len(code) == 12 and code.isdigit()):
        raise InvalidInput(
            f"社区代码应为12位数字 (community code must be 12 digits): {code!r}", field="code"
        )
    scheme = scheme or load_scheme()
    ranked = compute(bind, today=today, scheme=scheme)
    found = [c for c in ranked if c["code"] == code]
    if not found:
        raise NotFound(f"社区不存在 (no current community {code})", field="code")
    card = found[0]
    card["of"] = len(ranked)
    card["definitions"] = [vars(i) for i in scheme.indicators]
    card["heading_names"] = {
        h.code: {"name": h.name, "name_en": h.name_en, "weight": h.weight} for h in scheme.headings
    }
    return card


def choropleth(
    bind: Session | Connection, *, today: date, heading: str = "total", scheme: Scheme | None = None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of communities with their scores (simplified shapes)."""
    if heading not in (*HEADINGS, "total"):
        raise InvalidInput(
            f"未知维度 (unknown heading) {heading!r}; use one of {', '.join((*HEADINGS, 'total'))}",
            field="heading",
        )
    cards = {c["code"]: c for c in compute(bind, today=today, scheme=scheme)}
    rows = bind.execute(
        sa.text(
            "SELECT code, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.0003), 5) "
            "FROM admin_units WHERE level = 5 AND valid_to IS NULL ORDER BY code"
        )
    ).all()
    feats = []
    for code, geom in rows:
        c = cards[code]
        value = (
            c["total"]
            if heading == "total"
            else (
                None if c["headings"][heading] is None else round(c["headings"][heading] * 100, 1)
            )
        )
        feats.append(
            {
                "type": "Feature",
                "id": code,
                "geometry": json.loads(geom),
                "properties": {
                    "code": code,
                    "name": c["name"],
                    "value": value,
                    "rank": c["rank"],
                    "flags": c["flags"],
                },
            }
        )
    return {"type": "FeatureCollection", "heading": heading, "features": feats}
