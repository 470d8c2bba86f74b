"""Invariants of the loaded demo data, checked in PostGIS."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import TEST_INCIDENTS, scalar

PLAN_COMPLETE = ["朝阳山", "九哈家", "七里店", "寿乐"]
PLAN_START = ["汉庄", "文化街", "新乐西街", "水磨营", "古城西街"]


def test_codes_unique_and_well_formed(db: Session) -> None:
    assert scalar(db, "SELECT count(*) FROM admin_units WHERE level = 4") == 21
    assert scalar(db, "SELECT count(*) FROM admin_units WHERE level = 5") == 372
    assert scalar(db, "SELECT count(*) - count(DISTINCT code) FROM admin_units") == 0
    assert scalar(db, "SELECT count(*) - count(DISTINCT code) FROM grids") == 0
    bad = scalar(
        db,
        "SELECT count(*) FROM grids g JOIN admin_units c ON c.code = "
        "g.community_code WHERE g.code !~ ('^' || c.code || '[0-9]{3}$')",
    )
    assert bad == 0
    assert scalar(db, "SELECT count(*) FROM grids WHERE substr(code, 13) = '000'") == 0


def test_grids_inside_and_covering_their_community(db: Session) -> None:
    # Tolerance: 1e-9 of the community's area, measured in the storage CRS. (Slivers of
    # floating-point noise along shared edges get inflated to m² by geodesic or projected
    # area, since a straight lon/lat edge is curved on the ellipsoid and in a projection.)
    outside = scalar(
        db,
        """
        SELECT count(*) FROM grids g JOIN admin_units c ON c.code = g.community_code
        WHERE ST_Area(ST_Difference(g.geom, c.geom)) > 1e-9 * ST_Area(c.geom)""",
    )
    assert outside == 0
    gaps = scalar(
        db,
        """
        SELECT count(*) FROM admin_units c JOIN LATERAL (
            SELECT ST_Union(geom) AS u FROM grids WHERE community_code = c.code) g ON true
        WHERE c.level = 5 AND (g.u IS NULL
               OR ST_Area(ST_Difference(c.geom, g.u)) > 1e-9 * ST_Area(c.geom))""",
    )
    assert gaps == 0
    overlaps = scalar(
        db,
        """
        SELECT count(*) FROM grids a JOIN grids b ON a.community_code = b.community_code
          AND a.id < b.id AND a.geom && b.geom
        WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > 1e-9 * ST_Area(a.geom)""",
    )
    assert overlaps == 0
    # and a grid really is missed when one is taken away
    missing = scalar(
        db,
        """
        WITH c AS (SELECT code, geom FROM admin_units WHERE code = '630202001001'),
             u AS (SELECT ST_Union(geom) AS u FROM grids WHERE community_code = '630202001001'
                   AND code <> '630202001001001')
        SELECT ST_Area(ST_Difference(c.geom, u.u)) > 1e-9 * ST_Area(c.geom) FROM c, u""",
    )
    assert missing is True


def test_townships_tile_the_district(db: Session) -> None:
    row = db.execute(
        sa.text("""
        WITH d AS (SELECT geom FROM admin_units WHERE level = 3),
             t AS (SELECT ST_Union(geom) AS u, sum(ST_Area(geom::geography)) AS s
                   FROM admin_units WHERE level = 4)
        SELECT ST_Area(d.geom::geography) AS district,
               ST_Area(ST_SymDifference(d.geom, t.u)::geography) AS diff, t.s AS summed
        FROM d, t""")
    ).one()
    assert row.diff < 1e-6 * row.district
    assert abs(row.summed - row.district) < 1e-6 * row.district  # no overlaps
    assert scalar(db, "SELECT boundary_source FROM admin_units WHERE level = 3") == "official"
    assert (
        scalar(
            db,
            "SELECT count(*) FROM admin_units WHERE level > 3 AND "
            "boundary_source <> 'illustrative'",
        )
        == 0
    )


def test_nine_plan_sites_with_their_planned_state(db: Session) -> None:
    from gis.demo.projects import plan_communities

    codes = plan_communities()
    status = dict(
        db.execute(
            sa.text(
                "SELECT community_code, status FROM facilities WHERE kind = 'office_service_site' "
                "AND status IN ('planned', 'under_construction')"
            )
        ).all()
    )
    assert len(status) == 9
    for name in PLAN_COMPLETE:
        assert status[codes[name]] == "under_construction", name
    for name in PLAN_START:
        assert status[codes[name]] == "planned", name
    assert scalar(db, "SELECT count(*) FROM projects") == 9
    assert scalar(db, "SELECT count(DISTINCT community_code) FROM projects") == 9
    assert scalar(db, "SELECT count(*) FROM project_milestones") == 9 * 8


def test_demo_cases_located_and_numbered(db: Session) -> None:
    assert scalar(db, "SELECT count(*) FROM cases WHERE source = 'demo'") == TEST_INCIDENTS
    misplaced = scalar(
        db,
        """SELECT count(*) FROM cases c JOIN grids g ON g.code = c.grid_code
                              WHERE NOT ST_Intersects(g.geom, c.geom)""",
    )
    assert misplaced == 0
    assert (
        scalar(db, "SELECT count(*) FROM cases WHERE case_no !~ '^630202-[0-9]{8}-[0-9]{4,}$'") == 0
    )
    # every case has its first history entry; closed ones a full trail
    assert (
        scalar(
            db,
            "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM "
            "case_events e WHERE e.case_id = c.id AND e.action = 'report')",
        )
        == 0
    )
    assert (
        scalar(
            db,
            "SELECT count(*) FROM cases WHERE state = 'closed' AND "
            "(closed_at IS NULL OR closed_at < dispatched_at)",
        )
        == 0
    )
    states = {s for (s,) in db.execute(sa.text("SELECT DISTINCT state FROM cases"))}
    assert {"closed", "cancelled", "processing"} <= states
    overdue = scalar(
        db,
        "SELECT count(*) FROM cases WHERE deadline_at < now() AND state IN "
        "('dispatched', 'processing')",
    )
    assert overdue > 0  # the backlog commanders chase
    assert scalar(db, "SELECT count(*) FROM cases WHERE reported_at > now()") == 0


def test_urban_grids_hold_300_to_500_households(db: Session) -> None:
    share = scalar(
        db,
        """
        SELECT avg((g.households BETWEEN 300 AND 500)::int) FROM grids g
        JOIN admin_units c ON c.code = g.community_code
        WHERE c.parent_code IN ('630202001000', '630202002000')
          AND c.unit_type LIKE '居委会%'""",
    )
    assert float(share) >= 0.8  # type: ignore[arg-type]


def test_loading_twice_does_not_duplicate(engine: sa.Engine) -> None:
    from gis.demo.load import load_demo

    with engine.connect() as conn:
        before = {
            t: scalar(conn, f"SELECT count(*) FROM {t}")
            for t in ("admin_units", "grids", "facilities", "cases", "case_events")
        }
    report = load_demo(engine, incidents=TEST_INCIDENTS)
    after = {t: report.counts[t] for t in before}
    assert after == before
    assert report.skipped
