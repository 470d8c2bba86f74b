"""Batch locate and the trigger-maintained lookup tables, against PostGIS."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import crs
from gis.errors import InvalidInput, TooLarge, Unprocessable
from gis.spatial.locate import MAX_BATCH, Location, locate, locate_many

SEAT = (102.40041, 36.48023)


def _sample_points(db: Session, n: int) -> list[tuple[float, float]]:
    rows = db.execute(
        sa.text("SELECT ST_X(geom), ST_Y(geom) FROM residences ORDER BY id LIMIT :n"), {"n": n}
    ).all()
    return [(float(x), float(y)) for x, y in rows]


def test_batch_agrees_with_single_lookups_and_a_plain_join(db: Session) -> None:
    pts = _sample_points(db, 60)
    batch = locate_many(db, points=pts)
    for (x, y), got in zip(pts, batch, strict=True):
        assert isinstance(got, Location)
        assert got == locate(db, lon=x, lat=y)
        # independent answer: the grid table itself, not the lookup table
        codes = (
            db.execute(
                sa.text(
                    "SELECT code FROM grids WHERE valid_to IS NULL AND "
                    "ST_Intersects(geom, ST_SetSRID(ST_Point(:x, :y), 4326)) ORDER BY code"
                ),
                {"x": x, "y": y},
            )
            .scalars()
            .all()
        )
        assert got.grid_code == codes[0]


def test_batch_keeps_order_and_reports_outside_and_swapped(db: Session) -> None:
    pts = [SEAT, (SEAT[1], SEAT[0]), (101.78, 36.62), SEAT]
    out = locate_many(db, points=pts)
    assert isinstance(out[0], Location) and out[0] == out[3]
    assert isinstance(out[1], Unprocessable) and out[1].detail["swapped"] is True
    assert isinstance(out[2], Unprocessable) and out[2].detail["swapped"] is False


def test_batch_lat_beyond_90_that_is_swapped_is_named_swapped(db: Session) -> None:
    out = locate_many(db, points=[(SEAT[1], SEAT[0])])
    assert isinstance(out[0], Unprocessable) and out[0].detail["swapped"]
    with pytest.raises(InvalidInput) as e:
        locate_many(db, points=[SEAT, (10.0, 170.0)])
    assert e.value.field == "points[1].lat"


def test_batch_converts_gcj02(db: Session) -> None:
    g = crs.wgs84_to_gcj02(*SEAT)
    (a,) = locate_many(db, points=[g], crs="gcj02")
    assert isinstance(a, Location)
    assert abs(a.lon - SEAT[0]) < 1e-7 and abs(a.lat - SEAT[1]) < 1e-7


@pytest.mark.parametrize(
    "points,field",
    [
        ([], "points"),
        ([(102.4, float("nan"))], "points[0].lat"),
        ([SEAT, (200.0, 36.0)], "points[1].lon"),
        ([SEAT, (1.0, 2.0, 3.0)], "points[1]"),
    ],
)
def test_batch_bad_points_name_the_index(db: Session, points: list, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        locate_many(db, points=points)
    assert e.value.field == field


def test_batch_limits(db: Session) -> None:
    with pytest.raises(TooLarge):
        locate_many(db, points=[SEAT] * (MAX_BATCH + 1))
    with pytest.raises(InvalidInput) as e:
        locate_many(db, points=[SEAT], crs="mars")
    assert e.value.field == "crs"


def _grid_at(db: Session) -> dict:
    return dict(
        db.execute(
            sa.text(
                "SELECT id, code, name, community_code, geom FROM grids WHERE valid_to IS NULL "
                "AND ST_Intersects(geom, ST_SetSRID(ST_Point(:x, :y), 4326))"
            ),
            {"x": SEAT[0], "y": SEAT[1]},
        )
        .mappings()
        .one()
    )


def test_lookup_follows_grid_writes(db: Session) -> None:
    g = _grid_at(db)
    # rename: the lookup sees the new name at once
    db.execute(sa.text("UPDATE grids SET name = '改名网格' WHERE id = :i"), {"i": g["id"]})
    assert locate(db, lon=SEAT[0], lat=SEAT[1]).grid_name == "改名网格"
    # retire the grid and draw a new generation with the same code
    db.execute(
        sa.text(
            "UPDATE grids SET valid_from = CURRENT_DATE - 10, valid_to = CURRENT_DATE WHERE id = :i"
        ),
        {"i": g["id"]},
    )
    with pytest.raises(Unprocessable):
        locate(db, lon=SEAT[0], lat=SEAT[1])
    db.execute(
        sa.text(
            "INSERT INTO grids (code, name, community_code, geom, boundary_source) "
            "SELECT code, '新一代网格', community_code, geom, boundary_source FROM grids "
            "WHERE id = :i"
        ),
        {"i": g["id"]},
    )
    loc = locate(db, lon=SEAT[0], lat=SEAT[1])
    assert (loc.grid_code, loc.grid_name) == (g["code"], "新一代网格")
    # a community renamed: every lookup row of its grids follows
    db.execute(
        sa.text("UPDATE admin_units SET name = '测试社区' WHERE code = :c AND valid_to IS NULL"),
        {"c": g["community_code"]},
    )
    assert locate(db, lon=SEAT[0], lat=SEAT[1]).community_name == "测试社区"
    # deleted grids leave nothing behind
    db.execute(sa.text("DELETE FROM grids WHERE community_code = :c"), {"c": g["community_code"]})
    left = db.execute(
        sa.text("SELECT count(*) FROM spatial_lookup WHERE community_code = :c"),
        {"c": g["community_code"]},
    ).scalar_one()
    assert left == 0


def test_lookup_pieces_cover_exactly_the_current_grids(db: Session) -> None:
    n_grids, n_in_lookup = db.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM grids WHERE valid_to IS NULL), "
            "(SELECT count(DISTINCT grid_id) FROM spatial_lookup)"
        )
    ).one()
    assert n_grids == n_in_lookup
    assert (
        db.execute(sa.text("SELECT max(ST_NPoints(geom)) FROM spatial_lookup")).scalar_one() <= 64
    )
    # the pieces of a grid add up to the grid (relative to its planar area)
    rel = db.execute(
        sa.text(
            "SELECT max(abs(ST_Area(g.geom) - (SELECT sum(ST_Area(s.geom)) FROM spatial_lookup s "
            "WHERE s.grid_id = g.id)) / ST_Area(g.geom)) FROM grids g WHERE g.valid_to IS NULL"
        )
    ).scalar_one()
    assert rel < 1e-9
