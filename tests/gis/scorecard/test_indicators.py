"""Each scorecard indicator on a hand-built community with a known answer, in PostGIS."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.scorecard.config import load_scheme
from gis.scorecard.score import compute

TODAY = date(2026, 11, 26)
A, B = "630202999001", "630202999002"
# two small squares in the north of the district (indicators are keyed by code, not place)
X0, Y0 = 102.30, 36.70


def _square(x: float, y: float, d: float = 0.01) -> str:
    return f"SRID=4326;MULTIPOLYGON((({x} {y},{x + d} {y},{x + d} {y + d},{x} {y + d},{x} {y})))"


def _pt(x: float, y: float) -> str:
    return f"SRID=4326;POINT({x} {y})"


def _exec(db: Session, sql: str, **p: object) -> None:
    db.execute(sa.text(sql), p)


def _community(db: Session, code: str, x: float, households: int, population: int) -> None:
    _exec(
        db,
        "INSERT INTO admin_units (code, name, level, unit_type, parent_code, households,"
        " population, geom, boundary_source) VALUES (:c, :n, 5, '居委会(社区)', "
        "'630202001000', :h, :p, ST_GeomFromEWKT(:g), 'illustrative')",
        c=code,
        n=f"测试社区{code[-1]}",
        h=households,
        p=population,
        g=_square(x, Y0),
    )
    for i, gx in enumerate((x, x + 0.005), start=1):
        _exec(
            db,
            "INSERT INTO grids (code, name, community_code, households, population, geom,"
            " boundary_source) VALUES (:c, :n, :cc, 200, 500, ST_GeomFromEWKT(:g), "
            "'illustrative')",
            c=f"{code}00{i}",
            n=f"网格{i}",
            cc=code,
            g=_square(gx, Y0, 0.005),
        )


@pytest.fixture
def fixture(db: Session) -> Session:
    _community(db, A, X0, households=400, population=1000)
    _community(db, B, X0 + 0.05, households=400, population=1000)
    # A: party post in grid 1 only (0.5); volunteer teams in both grids (1.0)
    _exec(
        db,
        "INSERT INTO grid_roster (grid_code, post, title, members) VALUES "
        "(:g1, 'party_post', '岗', 1), (:g1, 'volunteer_team', '队', 9), "
        "(:g2, 'volunteer_team', '队', 9)",
        g1=f"{A}001",
        g2=f"{A}002",
    )
    # B: party posts in both grids, a volunteer team in one (cohesive 0.8 against A's 0.7)
    _exec(
        db,
        "INSERT INTO grid_roster (grid_code, post, title, members) VALUES "
        "(:g1, 'party_post', '岗', 1), (:g2, 'party_post', '岗', 1), "
        "(:g1, 'volunteer_team', '队', 6)",
        g1=f"{B}001",
        g2=f"{B}002",
    )
    # A: 900 m² office in service (standard 600 m² → 1.5); station 100 m from 100 of 400
    # households; mediation centre 500 m outside the boundary; no health station
    facilities = [
        ("office_service_site", "in_service", 900, X0 + 0.002, Y0 + 0.002),
        ("service_station", "in_service", 700, X0 + 0.001, Y0 + 0.001),
        ("mediation_centre", "in_service", 80, X0 - 0.0056, Y0 + 0.005),
    ]
    for kind, status, area, x, y in facilities:
        _exec(
            db,
            "INSERT INTO facilities (kind, name, community_code, status, floor_area_m2,"
            " geom) VALUES (:k, :k, :c, :s, :a, ST_GeomFromEWKT(:g))",
            k=kind,
            c=A,
            s=status,
            a=area,
            g=_pt(x, y),
        )
    # B: office only planned
    _exec(
        db,
        "INSERT INTO facilities (kind, name, community_code, status, floor_area_m2, geom)"
        " VALUES ('office_service_site', 'x', :c, 'planned', 600, ST_GeomFromEWKT(:g))",
        c=B,
        g=_pt(X0 + 0.055, Y0 + 0.005),
    )
    _exec(
        db,
        "INSERT INTO residences (community_code, households, population, geom) VALUES "
        "(:c, 100, 250, ST_GeomFromEWKT(:near)), (:c, 300, 750, ST_GeomFromEWKT(:far))",
        c=A,
        near=_pt(X0 + 0.0015, Y0 + 0.0015),
        far=_pt(X0 + 0.009, Y0 + 0.009),
    )
    # A: 6 disputes due in the last year, 3 closed on time, 2 late, 1 still open and overdue
    due = TODAY - timedelta(days=30)
    closes = [due - timedelta(hours=5)] * 3 + [due + timedelta(days=2)] * 2 + [None]
    for i, closed in enumerate(closes):
        _exec(
            db,
            "INSERT INTO cases (case_no, category_code, description, geom, "
            "community_code, state, deadline_at, closed_at, source) VALUES "
            "(:no, '0601', 'x', ST_GeomFromEWKT(:g), :c, :s, :d, :cl, 'test')",
            no=f"T-{i}",
            g=_pt(X0 + 0.003, Y0 + 0.003),
            c=A,
            s="closed" if closed else "processing",
            d=due,
            cl=closed,
        )
    # B: two disputes only → small sample
    for i in range(2):
        _exec(
            db,
            "INSERT INTO cases (case_no, category_code, description, geom, "
            "community_code, state, deadline_at, closed_at, source) VALUES "
            "(:no, '0601', 'x', ST_GeomFromEWKT(:g), :c, 'closed', :d, :d, 'test')",
            no=f"TB-{i}",
            g=_pt(X0 + 0.053, Y0 + 0.003),
            c=B,
            d=due,
        )
    # A: 2 co-building units (2 per 1000); 5 activities this year + 1 older (5 per 1000)
    for i in range(2):
        _exec(
            db,
            "INSERT INTO cobuilding_units (name, kind, community_code, geom) VALUES "
            "(:n, 'school', :c, ST_GeomFromEWKT(:g))",
            n=f"u{i}",
            c=A,
            g=_pt(X0 + 0.004, Y0 + 0.004),
        )
    for days in (10, 40, 100, 200, 300, 400):
        _exec(
            db,
            "INSERT INTO community_activities (kind, title, held_on, community_code, "
            "participants, geom) VALUES ('reading', '读书会', :d, :c, 20, "
            "ST_GeomFromEWKT(:g))",
            d=TODAY - timedelta(days=days),
            c=A,
            g=_pt(X0 + 0.004, Y0 + 0.004),
        )
    return db


def _card(db: Session, code: str) -> dict:
    return {c["code"]: c for c in compute(db, today=TODAY, codes=[A, B])}[code]


def test_each_indicator_has_its_known_value(fixture: Session) -> None:
    ind = _card(fixture, A)["indicators"]
    assert ind["party_posts"]["value"] == pytest.approx(0.5)
    assert ind["volunteer_teams"]["value"] == pytest.approx(1.0)
    assert ind["office_area"]["value"] == pytest.approx(1.5)
    assert ind["office_area"]["score"] == pytest.approx(1.0)  # capped
    assert ind["office_status"]["value"] == pytest.approx(1.0)
    assert ind["station_reach"]["value"] == pytest.approx(0.25)
    assert ind["health_reach"]["value"] == pytest.approx(0.0)
    assert ind["mediation_centre"]["value"] == pytest.approx(1.0)
    assert ind["disputes_on_time"]["value"] == pytest.approx(0.5)
    assert ind["disputes_on_time"]["n"] == 6
    assert ind["cobuilding_units"]["value"] == pytest.approx(2.0)
    assert ind["activities"]["value"] == pytest.approx(5.0)
    assert ind["activities"]["score"] == pytest.approx(0.5)


def test_small_samples_are_flagged_and_not_scored(fixture: Session) -> None:
    b = _card(fixture, B)
    assert b["indicators"]["disputes_on_time"]["small_sample"] is True
    assert b["indicators"]["disputes_on_time"]["score"] is None
    assert "few_disputes" in b["flags"]
    assert b["indicators"]["office_status"]["value"] == pytest.approx(0.25)
    assert b["indicators"]["mediation_centre"]["value"] == pytest.approx(0.0)


def test_heading_scores_are_weighted_means(fixture: Session) -> None:
    a = _card(fixture, A)
    scheme = load_scheme()
    w = {i.code: i.weight for i in scheme.indicators}
    expected = (0.5 * w["party_posts"] + 1.0 * w["volunteer_teams"]) / (
        w["party_posts"] + w["volunteer_teams"]
    )
    assert a["headings"]["cohesive"] == pytest.approx(expected)


def _scheme(tmp_path: Path, heading_weights: dict[str, float]):  # type: ignore[no-untyped-def]
    src = Path(__file__).resolve().parents[3] / "data" / "scorecard_headings.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        code, name, name_en, _ = line.split(",")
        out.append(f"{code},{name},{name_en},{heading_weights.get(code, 0)}")
    p = tmp_path / "headings.csv"
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return load_scheme(headings=p)


def test_changing_a_weight_changes_the_ranking(fixture: Session, tmp_path: Path) -> None:
    # A leads on 和谐型 (units, activities), B on 向心型 (party posts in every grid)
    harmony = compute(
        fixture,
        today=TODAY,
        codes=[A, B],
        scheme=_scheme(tmp_path, {"harmony": 1, "cohesive": 0.01}),
    )
    cohesive = compute(
        fixture,
        today=TODAY,
        codes=[A, B],
        scheme=_scheme(tmp_path, {"harmony": 0.01, "cohesive": 1}),
    )
    assert [c["code"] for c in harmony] == [A, B]
    assert [c["code"] for c in cohesive] == [B, A]


def test_bad_weights_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text(
        "code,heading,name,name_en,definition,source,target,weight\nx,nonsense,n,n,d,s,1,1\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="s.csv:2: unknown heading"):
        load_scheme(indicators=p)
