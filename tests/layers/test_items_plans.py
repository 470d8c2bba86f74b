"""Feature pages of the incidents layer: every plan gives the same pages and counts.

Busy boxes walk the primary key in id order, sparse boxes sort the ids of all hits, other
queries leave the order to the planner; the bounds that choose between them come from the
aggregate cells and must hold the true count between them.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from layers import features, registry
from layers.estimate import incident_bounds
from layers.features import COUNT_CAP, ItemsQuery

INCIDENTS = registry.get("incidents")
VISIBLE = "c.state NOT IN ('cancelled', 'merged')"
PUBLIC = (
    f"{VISIBLE} AND NOT coalesce((SELECT sensitive FROM categories k "
    "WHERE k.code = c.category_code), false)"
)


def _in_box(conn, bbox, where: str) -> int:
    sql = (
        f"SELECT count(*) FROM cases c WHERE {where} AND ST_Intersects(c.geom, "
        "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))"
    )
    x0, y0, x1, y1 = bbox
    return int(conn.execute(sa.text(sql), dict(x0=x0, y0=y0, x1=x1, y1=y1)).scalar_one())


def _busiest_box(conn, half: float) -> tuple[float, float, float, float]:
    """A box of ``2 * half`` degrees around the point with most incidents nearby."""
    lon, lat = conn.execute(
        sa.text(
            "SELECT round(ST_X(geom)::numeric, 2)::float, round(ST_Y(geom)::numeric, 2)::float "
            f"FROM cases c WHERE {VISIBLE} GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1"
        )
    ).one()
    return (lon - half, lat - half, lon + half, lat + half)


def test_bounds_hold_the_true_count(engine):
    rnd = random.Random(5)
    with engine.connect() as conn:
        boxes = [_busiest_box(conn, 0.02), _busiest_box(conn, 0.2)]
        ext = conn.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) e FROM cases) q"
            )
        ).one()
        for _ in range(25):
            w, h = rnd.uniform(0.001, 0.3), rnd.uniform(0.001, 0.3)
            x, y = rnd.uniform(ext[0], ext[2]), rnd.uniform(ext[1], ext[3])
            boxes.append((x - w, y - h, x + w, y + h))
        some_inside = False
        for bbox in boxes:
            for personal, where in ((True, VISIBLE), (False, PUBLIC)):
                b = incident_bounds(conn=conn, bbox=bbox, personal=personal)
                n = _in_box(conn, bbox, where)
                assert b.lower <= n <= b.upper <= b.total, (bbox, personal, b, n)
                some_inside |= b.lower > 0
        assert some_inside, "no box had a cell wholly inside: the lower bound was not tested"


def _pages(conn, query: ItemsQuery, personal: bool, plan: str | None, monkeypatch):
    """Every page of ``query`` (following has_next) under a plan (None: the chosen one)."""
    if plan is not None:
        monkeypatch.setattr(features, "_plan", lambda *a, **k: (plan, None))
    out = []
    offset = query.offset
    while True:
        q = ItemsQuery(limit=query.limit, offset=offset, bbox=query.bbox)
        page = features.items(conn=conn, spec=INCIDENTS, personal=personal, query=q)
        out.append((page.features, page.returned, page.matched, page.has_next))
        if not page.has_next:
            break
        offset += query.limit
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("personal", [True, False])
@pytest.mark.parametrize("half,limit,expect", [(0.03, 10, "scan"), (0.002, 50, "hits")])
def test_every_plan_gives_the_same_pages(engine, monkeypatch, personal, half, limit, expect):
    with engine.connect() as conn:
        bbox = _busiest_box(conn, half)
        query = ItemsQuery(limit=limit, bbox=bbox)
        plan, _ = features._plan(conn, INCIDENTS, query, personal)
        assert plan == expect
        chosen = _pages(conn, query, personal, None, monkeypatch)
        sorted_ = _pages(conn, query, personal, "sorted", monkeypatch)
        n = _in_box(conn, bbox, VISIBLE if personal else PUBLIC)
    if expect == "scan":
        chosen, sorted_ = chosen[:6] + chosen[-2:], sorted_[:6] + sorted_[-2:]
    assert [p[0] for p in chosen] == [p[0] for p in sorted_]  # same features, same order
    assert [p[1:] for p in chosen][-1] == [p[1:] for p in sorted_][-1]
    matched = {p[2] for p in chosen}
    if n <= COUNT_CAP:
        assert matched == {n}
    else:
        assert matched <= {n, None}


def test_scan_plan_leaves_no_planner_settings_behind(engine):
    with engine.connect() as conn:
        bbox = _busiest_box(conn, 0.03)
        query = ItemsQuery(limit=10, bbox=bbox)
        assert features._plan(conn, INCIDENTS, query, True)[0] == "scan"
        features.items(conn=conn, spec=INCIDENTS, personal=True, query=query)
        assert conn.exec_driver_sql("SHOW enable_sort").scalar() == "off"  # this transaction
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW enable_sort").scalar() == "on"  # not the next one
