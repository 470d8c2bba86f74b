"""Batch locate and the trigger-maintained lookup tables, against PostGIS."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import crs
from gis.errors import InvalidInput, TooLarge, Unprocessable
from gis.spatial.locate import (
    MAX_BATCH,
    Location,
    locate,
    locate_array,
    locate_many,
    multipoint_wkb,
    points_array,
)

SEAT = (102.40041, 36.48023)


def _sample_points(db: Session, n: int) -> list[tuple[float, float]]:
    rows = db.execute(
        sa.text("SELECT ST_X(geom), ST_Y(geom) FROM residences ORDER BY id LIMIT :n"), {"n": n}
    ).all()
    return [(float(x), float(y)) for x, y in rows]


def _grids_at(db: Session, x: float, y: float) -> list[str]:
    """Codes of the current grids touching the point, from the grid table itself."""
    sql = (
        "SELECT code FROM grids WHERE valid_to IS NULL AND "
        "ST_Intersects(geom, ST_SetSRID(ST_Point(:x, :y), 4326)) ORDER BY code"
    )
    return list(db.execute(sa.text(sql), {"x": x, "y": y}).scalars())


def test_batch_agrees_with_single_lookups_and_a_plain_join(db: Session) -> None:
    pts = _sample_points(db, 60)
    batch = locate_many(db, points=pts)
    for (x, y), got in zip(pts, batch, strict=True):
        assert isinstance(got, Location)
        assert got == locate(db, lon=x, lat=y)
        # independent answer: the grid table itself, not the lookup table
        codes = _grids_at(db, x, y)
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


def test_batch_on_shared_edges_takes_the_lowest_grid_like_the_single_path(db: Session) -> None:
    # vertices of grid outlines: most lie on the edge of two or more grids
    rows = db.execute(
        sa.text(
            "SELECT ST_X(p.geom), ST_Y(p.geom) FROM (SELECT (ST_DumpPoints(geom)).geom FROM "
            "grids WHERE valid_to IS NULL ORDER BY code LIMIT 40) p LIMIT 300"
        )
    ).all()
    pts = [(float(x), float(y)) for x, y in rows]
    batch = locate_many(db, points=np.asarray(pts))
    shared = 0
    for (x, y), got in zip(pts, batch, strict=True):
        codes = _grids_at(db, x, y)
        shared += len(codes) > 1
        if not codes:  # on the district outline, outside by a rounding hair
            assert isinstance(got, Unprocessable)
            continue
        assert isinstance(got, Location) and got.grid_code == codes[0]
        assert got == locate(db, lon=x, lat=y)
    assert shared > 20  # the test did look at points on shared edges


def test_batch_arrays_keep_order_with_outside_points_between(db: Session) -> None:
    pts = _sample_points(db, 30)
    mixed = [pts[0], (101.78, 36.62), *pts[1:15], (SEAT[1], SEAT[0]), *pts[15:]]
    found = locate_array(bind=db, points=mixed, crs="wgs84")
    assert found.grid.tolist().count(-1) == 2
    for i, p in enumerate(mixed):
        one = found.location(i)
        try:
            expected: Location | Unprocessable = locate(db, lon=p[0], lat=p[1])
        except Unprocessable as e:
            expected = e
        if isinstance(expected, Location):
            assert one == expected
        else:
            assert isinstance(one, Unprocessable)
            assert one.message == expected.message and one.detail == expected.detail


def test_points_array_names_the_bad_point() -> None:
    assert points_array([(1, 2), (3, 4)]).shape == (2, 2)
    for bad, field in (
        ([(1.0, 2.0), ("x", 1.0)], "points[1]"),
        ([(1.0, 2.0), (1.0,)], "points[1]"),
        ([None], "points[0]"),
    ):
        with pytest.raises(InvalidInput) as e:
            points_array(bad)
        assert e.value.field == field


def test_multipoint_wkb_is_what_shapely_writes() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(-180, 180, (50, 2))
    want = shapely.to_wkb(shapely.multipoints(xy), byte_order=1)
    assert multipoint_wkb(xy[:, 0], xy[:, 1]) == want
