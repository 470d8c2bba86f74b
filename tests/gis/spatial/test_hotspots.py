"""Hotspots: DBSCAN clusters and the emerging-hotspot comparison, on planted cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from shapely.geometry import Point, shape
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.spatial import hotspots, hotspots_grid, params

# A window in the future, so only planted cases fall in it.
W = params.Window(datetime(2031, 3, 1, tzinfo=UTC), datetime(2031, 4, 1, tzinfo=UTC))
A = (102.395, 36.478)  # new this period
B = (102.420, 36.485)  # only in the previous period: faded
C = (102.405, 36.490)  # both, three times as many now: intensifying
D = (102.380, 36.470)  # both, about the same: persistent


def _plant(db: Session, centre: tuple[float, float], n: int, when: datetime, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xy = np.asarray(centre) + rng.normal(0, 1, (n, 2)) * [0.0003, 0.00025]  # ~25 m
    for i, (x, y) in enumerate(xy):
        db.execute(
            sa.text(
                "INSERT INTO cases (case_no, category_code, description, geom, state, "
                "reported_at) VALUES (:no, '0101', 'planted', ST_SetSRID(ST_Point(:x, :y), 4326), "
                "'reported', :t)"
            ),
            {"no": f"T{seed}-{i}", "x": float(x), "y": float(y), "t": when + timedelta(hours=i)},
        )


@pytest.fixture
def planted(db: Session) -> Session:
    now, before = W.start + timedelta(days=3), W.start - timedelta(days=20)
    _plant(db, A, 30, now, 1)
    _plant(db, B, 25, before, 2)
    _plant(db, C, 36, now, 3)
    _plant(db, C, 12, before, 4)
    _plant(db, D, 20, now, 5)
    _plant(db, D, 20, before, 6)
    _plant(db, (102.43, 36.47), 5, now, 7)  # too few to be a cluster
    return db


@pytest.mark.parametrize("exact_max", [20_000, 10])  # points, then the lattice
def test_clusters_and_trends(
    planted: Session, exact_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hotspots, "EXACT_MAX", exact_max)
    out = hotspots.hotspots(planted, window=W, eps_m=100, min_points=10)
    assert out["method"].startswith("points" if exact_max > 100 else "lattice")
    feats = out["clusters"]["features"]
    assert out["cases"] == 30 + 36 + 20 + 5
    assert [f["properties"]["count"] for f in feats] == [36, 30, 20]
    by_count = {f["properties"]["count"]: f["properties"] for f in feats}
    assert by_count[30]["trend"] == "new" and by_count[30]["previous_count"] == 0
    assert by_count[36]["trend"] == "intensifying" and by_count[36]["previous_count"] == 12
    assert by_count[20]["trend"] == "persistent"
    assert len(out["faded"]["features"]) == 1
    assert out["faded"]["features"][0]["properties"]["previous_count"] == 25
    for f in feats:  # the polygon lies around its cases
        p = f["properties"]
        assert f["geometry"]["type"] == "Polygon" and 0 < p["area_m2"] < 200_000
    # the lattice moves a case by at most eps / 4.2; points stay in their polygons
    for f, centre in zip(feats, (C, A, D), strict=True):
        assert shape(f["geometry"]).contains(Point(centre))


def test_eps_in_metres_matters(planted: Session) -> None:
    tight = hotspots.hotspots(planted, window=W, eps_m=5, min_points=10, compare=False)
    assert len(tight["clusters"]["features"]) < 3
    assert tight["previous_window"] is None


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"eps_m": 0}, "eps"),
        ({"eps_m": 5000}, "eps"),
        ({"min_points": 1}, "min_points"),
        ({"max_clusters": 0}, "max_clusters"),
        ({"category": "x"}, "category"),
        ({"parent": "1"}, "parent"),
    ],
)
def test_bad_parameters(db: Session, kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        hotspots.hotspots(db, window=W, **kwargs)
    assert e.value.field == field


@pytest.mark.parametrize("eps,cell", [(150, 50), (100, 100 / 3), (7, 2.0)])
def test_lattice_density_is_the_stencil_sum(eps: float, cell: float) -> None:
    rng = np.random.default_rng(int(eps))
    ij = np.unique(rng.integers(-40, 40, (900, 2)), axis=0)
    n = rng.integers(1, 9, len(ij))
    offs = hotspots_grid._offsets(eps, cell)
    counts = {(a, b): c for (a, b), c in zip(ij.tolist(), n.tolist(), strict=True)}
    brute = [sum(counts.get((a + di, b + dj), 0) for di, dj in offs) for a, b in ij.tolist()]
    got = hotspots_grid._density(ij - ij.min(axis=0), n, offs)
    assert got.tolist() == brute


def test_lattice_counts_in_polygons_match_shapely() -> None:
    rng = np.random.default_rng(5)
    cells = hotspots_grid.Cells(
        np.unique(rng.integers(0, 200, (3000, 2)), axis=0), np.empty(0, dtype=np.int64), 10.0
    )
    cells.n = rng.integers(1, 5, len(cells.ij))
    polys = [Point(700, 900).buffer(300), Point(1500, 400).buffer(120, 2)]
    centres = cells.centres()
    want = [
        int(sum(c for (x, y), c in zip(centres, cells.n, strict=True) if p.intersects(Point(x, y))))
        for p in polys
    ]
    assert hotspots_grid.count_in(polys, cells) == want
