"""Service coverage and site suggestion, checked against shapely in EPSG:4543."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.spatial import coverage, sites

TO_4543 = Transformer.from_crs(4326, 4543, always_xy=True)
TOWN = "630202001000"  # 碾伯街道


def _xy(rows: list) -> np.ndarray:
    x, y = TO_4543.transform([r[0] for r in rows], [r[1] for r in rows])
    return np.column_stack([x, y])


def _independent(db: Session, kind: str, reach: float, prefix: str) -> tuple[int, int]:
    res = db.execute(
        sa.text(
            "SELECT ST_X(geom), ST_Y(geom), households FROM residences WHERE community_code LIKE :p"
        ),
        {"p": prefix + "%"},
    ).all()
    fac = db.execute(
        sa.text(
            "SELECT ST_X(geom), ST_Y(geom) FROM facilities WHERE kind = :k "
            "AND status = 'in_service'"
        ),
        {"k": kind},
    ).all()
    tree = shapely.STRtree(shapely.points(_xy(fac)))
    r_idx, _ = tree.query(shapely.points(_xy(res)), predicate="dwithin", distance=reach)
    hh = np.array([r[2] for r in res])
    return int(hh.sum()), int(hh[np.unique(r_idx)].sum())


@pytest.mark.parametrize("kind", ["service_station", "office_service_site"])
def test_household_coverage_matches_shapely(db: Session, kind: str) -> None:
    out = coverage.coverage(db, kind=kind, level="community", parent=TOWN, max_gaps=5000)
    total, covered = _independent(db, kind, coverage.DEFAULT_REACH_M[kind], TOWN[:9])
    assert out["total"]["households"] == total
    assert out["total"]["covered_households"] == covered
    assert 0 < covered < total
    # the gaps hold exactly the uncovered households
    gap_hh = sum(f["properties"]["households"] for f in out["gaps"]["features"])
    assert gap_hh == total - covered
    for u in out["units"]:
        assert 0 <= u["covered_area_m2"] <= u["area_m2"]
        assert u["household_share"] is None or 0 <= u["household_share"] <= 1


def test_bigger_reach_covers_more(db: Session) -> None:
    a = coverage.coverage(db, kind="police_room", reach_m=300, parent=TOWN, gaps=False)
    b = coverage.coverage(db, kind="police_room", reach_m=2000, parent=TOWN, gaps=False)
    assert a["total"]["covered_households"] < b["total"]["covered_households"]
    assert a["total"]["covered_area_m2"] < b["total"]["covered_area_m2"]


def test_planned_sites_add_coverage(db: Session) -> None:
    a = coverage.coverage(db, kind="office_service_site", gaps=False, level="township")
    b = coverage.coverage(
        db, kind="office_service_site", gaps=False, level="township", include_planned=True
    )
    assert b["total"]["covered_households"] > a["total"]["covered_households"]


def test_greedy_sites_gain_what_they_claim(db: Session) -> None:
    kind = "service_station"
    out = sites.suggest_sites(db, kind=kind, k=3, parent=TOWN)
    gains = [s["gain_households"] for s in out["sites"]]
    assert len(gains) == 3 and gains == sorted(gains, reverse=True) and gains[0] > 0
    before = coverage.coverage(db, kind=kind, parent=TOWN, gaps=False)["total"]
    assert before["covered_households"] == out["baseline"]["covered_households"]
    for s in out["sites"]:  # build them, and coverage rises by exactly the claimed gains
        db.execute(
            sa.text(
                "INSERT INTO facilities (kind, name, geom) "
                "VALUES (:k, '建议站点', ST_SetSRID(ST_Point(:x, :y), 4326))"
            ),
            {"k": kind, "x": s["lon"], "y": s["lat"]},
        )
    after = coverage.coverage(db, kind=kind, parent=TOWN, gaps=False)["total"]
    assert after["covered_households"] == before["covered_households"] + sum(gains)
    assert out["sites"][-1]["covered_households"] == after["covered_households"]


def test_given_candidates_are_ranked(db: Session) -> None:
    cands = [[102.40041, 36.48023], [102.385, 36.489], [102.44, 36.47]]
    out = sites.suggest_sites(db, kind="service_station", k=3, candidates=cands)
    assert out["candidates"] == {"source": "given", "count": 3}
    assert {(s["lon"], s["lat"]) for s in out["sites"]} <= {tuple(c) for c in cands}
    with pytest.raises(InvalidInput) as e:
        sites.suggest_sites(db, kind="service_station", candidates=[[102.4, 36.48], [101.7, 36.6]])
    assert e.value.field == "candidates[1]"


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"kind": "casino"}, "kind"),
        ({"kind": "police_room", "reach_m": 0}, "reach"),
        ({"kind": "police_room", "reach_m": 9000}, "reach"),
        ({"kind": "police_room", "level": "planet"}, "level"),
        ({"kind": "police_room", "parent": "12"}, "parent"),
        ({"kind": "police_room", "max_gaps": 0}, "max_gaps"),
    ],
)
def test_coverage_bad_input(db: Session, kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        coverage.coverage(db, **kwargs)
    assert e.value.field == field


def test_coverage_unknown_parent(db: Session) -> None:
    with pytest.raises(NotFound):
        coverage.coverage(db, kind="police_room", parent="630202999999")


@pytest.mark.parametrize(
    "kwargs,field",
    [({"k": 0}, "k"), ({"k": 51}, "k"), ({"spacing_m": 1}, "spacing"), ({"kind": "x"}, "kind")],
)
def test_sites_bad_input(db: Session, kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        sites.suggest_sites(db, **{"kind": "service_station", **kwargs})
    assert e.value.field == field
