"""Grid balance and auto-partition: tiling, contiguity, numbering, generations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from shapely.ops import unary_union
from sqlalchemy.orm import Session

from gis.errors import Conflict, InvalidInput, NotFound
from gis.spatial import balance, partition, partition_apply
from gis.spatial.locate import locate

URBAN = "630202001004"  # 新乐东大街居委会


def _community(db: Session, code: str):  # type: ignore[no-untyped-def]
    wkb = db.execute(
        sa.text("SELECT ST_AsBinary(geom) FROM admin_units WHERE code = :c AND valid_to IS NULL"),
        {"c": code},
    ).scalar_one()
    return shapely.from_wkb(bytes(wkb))


def test_balance_flags_against_the_band(db: Session) -> None:
    out = balance.grid_balance(db, min_households=380, max_households=420)
    judged = [g for g in out["grids"] if g["flag"]]
    assert judged and all(g["urban"] for g in judged)
    for g in judged:
        hh = g["households"]
        assert g["flag"] == ("under" if hh < 380 else "over" if hh > 420 else "within")
    assert out["summary"]["under"] + out["summary"]["over"] > 0
    # households come from the dwellings: they add up to the communities' totals
    comm = db.execute(
        sa.text("SELECT sum(households) FROM residences WHERE community_code = :c"), {"c": URBAN}
    ).scalar_one()
    assert sum(g["households"] for g in out["grids"] if g["community_code"] == URBAN) == comm
    rural = balance.grid_balance(db, scope="rural")
    assert all(not g["urban"] for g in rural["grids"] if g["flag"])


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"min_households": 0}, "min_households"),
        ({"min_households": 500, "max_households": 300}, "max_households"),
        ({"scope": "suburb"}, "scope"),
        ({"parent": "abc"}, "parent"),
    ],
)
def test_balance_bad_input(db: Session, kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        balance.grid_balance(db, **kwargs)
    assert e.value.field == field


@pytest.mark.parametrize("code,n", [(URBAN, None), (URBAN, 5), ("630202001001", 3)])
def test_partition_tiles_the_community(db: Session, code: str, n: int | None) -> None:
    out = partition.partition(db, community=code, grids=n)
    feats = out["features"]
    geoms = [shape(f["geometry"]) for f in feats]
    comm = _community(db, code)
    assert len(feats) == out["grids"] and (n is None or len(feats) == n)
    # cover exactly, no overlaps (relative to the planar area)
    assert unary_union(geoms).symmetric_difference(comm).area / comm.area < 1e-9
    assert abs(sum(g.area for g in geoms) - comm.area) / comm.area < 1e-9
    assert all(g.is_valid and g.geom_type == "Polygon" for g in geoms)
    assert all(f["properties"]["contiguous"] for f in feats)
    assert all(f["properties"]["compactness"] > 0.3 for f in feats)
    # every household counted once
    total = db.execute(
        sa.text("SELECT sum(households) FROM residences WHERE community_code = :c"), {"c": code}
    ).scalar_one()
    assert (
        sum(f["properties"]["households"] for f in feats) == total == out["community"]["households"]
    )
    codes = [f["properties"]["code"] for f in feats]
    assert codes == [f"{code}{i:03d}" for i in range(1, len(feats) + 1)]
    # numbering: the first grid is in the top row, and within a row codes go west → east
    cy = [g.centroid.y for g in geoms]
    assert cy[0] >= sorted(cy)[len(cy) // 2] or len(cy) < 3


def test_partition_is_balanced_by_households(db: Session) -> None:
    out = partition.partition(db, community=URBAN)
    sizes = [f["properties"]["households"] for f in out["features"]]
    assert max(sizes) < 2 * min(sizes)
    assert out["summary"]["within_band"] >= len(sizes) * 0.6


def test_apply_keeps_the_old_generation(db: Session) -> None:
    before = db.execute(
        sa.text("SELECT id, code FROM grids WHERE community_code = :c AND valid_to IS NULL"),
        {"c": URBAN},
    ).all()
    preview = partition.partition(db, community=URBAN, grids=6)
    day = date.today() + timedelta(days=1)
    out = partition_apply.apply_partition(
        db, community=URBAN, grids=6, valid_from=day, fingerprint=preview["fingerprint"]
    )
    assert out["created"] == [f"{URBAN}{i:03d}" for i in range(1, 7)]
    assert out["check"]["uncovered"] < 1e-7 and out["check"]["overlap"] < 1e-7
    old = db.execute(
        sa.text("SELECT count(*) FROM grids WHERE id = ANY(:ids) AND valid_to = :d"),
        {"ids": [b.id for b in before], "d": day},
    ).scalar_one()
    assert old == len(before)
    now = db.execute(
        sa.text(
            "SELECT code, valid_from FROM grids WHERE community_code = :c AND valid_to IS NULL "
            "ORDER BY code"
        ),
        {"c": URBAN},
    ).all()
    assert [r.code for r in now] == out["created"] and {r.valid_from for r in now} == {day}
    # locate answers with the new grids straight away; dwellings follow
    pt = shape(preview["features"][0]["geometry"]).representative_point()
    assert locate(db, lon=pt.x, lat=pt.y).grid_code == f"{URBAN}001"
    stale = db.execute(
        sa.text(
            "SELECT count(*) FROM residences WHERE community_code = :c AND grid_code NOT IN "
            "(SELECT code FROM grids WHERE community_code = :c AND valid_to IS NULL)"
        ),
        {"c": URBAN},
    ).scalar_one()
    assert stale == 0


def test_apply_refuses_a_stale_preview_or_a_bad_date(db: Session) -> None:
    n = db.execute(sa.text("SELECT count(*) FROM grids")).scalar_one()
    with pytest.raises(Conflict) as e:
        partition_apply.apply_partition(db, community=URBAN, grids=4, fingerprint="0" * 16)
    assert e.value.field == "fingerprint"
    start = db.execute(
        sa.text("SELECT max(valid_from) FROM grids WHERE community_code = :c"), {"c": URBAN}
    ).scalar_one()
    with pytest.raises(Conflict) as e:
        partition_apply.apply_partition(db, community=URBAN, grids=4, valid_from=start)
    assert e.value.field == "valid_from"
    assert db.execute(sa.text("SELECT count(*) FROM grids")).scalar_one() == n  # nothing written


@pytest.mark.parametrize(
    "kwargs,exc,field",
    [
        ({"community": "6302"}, InvalidInput, "community"),
        ({"community": "630202999999"}, NotFound, "community"),
        ({"community": URBAN, "grids": 0}, InvalidInput, "grids"),
        ({"community": URBAN, "grids": 61}, InvalidInput, "grids"),
        ({"community": URBAN, "min_households": 600}, InvalidInput, "max_households"),
    ],
)
def test_partition_bad_input(db: Session, kwargs: dict, exc: type, field: str) -> None:
    with pytest.raises(exc) as e:
        partition.partition(db, **kwargs)
    assert e.value.field == field
