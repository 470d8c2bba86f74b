"""Nearest facilities and facilities within a radius, checked against brute force."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pyproj import Geod
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.spatial.nearby import nearest, within_radius

GEOD = Geod(ellps="WGS84")
P = (102.40041, 36.48023)


def _all(db: Session, kind: str | None) -> list[tuple[int, float]]:
    rows = db.execute(
        sa.text(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM facilities WHERE status = 'in_service' "
            "AND (CAST(:k AS text) IS NULL OR kind = :k)"
        ),
        {"k": kind},
    ).all()
    out = []
    for i, x, y in rows:
        _, _, d = GEOD.inv(P[0], P[1], x, y)
        out.append((i, d))
    return sorted(out, key=lambda t: (t[1], t[0]))


@pytest.mark.parametrize("kind,k", [("police_room", 3), ("health_station", 10), (None, 25)])
def test_nearest_matches_brute_force_geodesic(db: Session, kind: str | None, k: int) -> None:
    got = nearest(db, lon=P[0], lat=P[1], k=k, kind=kind)
    want = _all(db, kind)[:k]
    assert [f.id for f in got] == [i for i, _ in want]
    for f, (_, d) in zip(got, want, strict=True):
        assert abs(f.distance_m - d) < 1.0
        assert kind is None or f.kind == kind


def test_within_radius_matches_brute_force(db: Session) -> None:
    got = within_radius(db, lon=P[0], lat=P[1], radius_m=1500, kind="office_service_site")
    want = [i for i, d in _all(db, "office_service_site") if d <= 1500]
    assert want and sorted(f.id for f in got) == sorted(want)
    assert all(f.distance_m <= 1500 for f in got)
    assert [f.distance_m for f in got] == sorted(f.distance_m for f in got)


def test_status_all_includes_planned_sites(db: Session) -> None:
    a = within_radius(db, lon=P[0], lat=P[1], radius_m=50_000, kind="office_service_site")
    b = within_radius(
        db,
        lon=P[0],
        lat=P[1],
        radius_m=50_000,
        kind="office_service_site",
        status="all",
        limit=2000,
    )
    assert {f.status for f in a} == {"in_service"}
    assert {"planned", "under_construction"} <= {f.status for f in b}


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"k": 0}, "k"),
        ({"k": 101}, "k"),
        ({"k": -3}, "k"),
        ({"kind": "casino"}, "kind"),
        ({"status": "demolished"}, "status"),
        ({"lat": 95.0}, "lat"),
        ({"crs": "xyz"}, "crs"),
    ],
)
def test_nearest_bad_input(db: Session, kwargs: dict, field: str) -> None:
    args = {"lon": P[0], "lat": P[1], **kwargs}
    with pytest.raises(InvalidInput) as e:
        nearest(db, **args)
    assert e.value.field == field


@pytest.mark.parametrize("radius", [0, -5, 50_001, float("inf"), float("nan")])
def test_radius_bounds(db: Session, radius: float) -> None:
    with pytest.raises(InvalidInput) as e:
        within_radius(db, lon=P[0], lat=P[1], radius_m=radius)
    assert e.value.field == "radius"
