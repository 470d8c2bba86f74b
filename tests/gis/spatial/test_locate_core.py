"""The core point lookup, against PostGIS."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from gis import crs
from gis.errors import InvalidInput, Unprocessable
from gis.spatial.locate import locate

SEAT = (102.40041, 36.48023)  # district seat, WGS84


def test_seat_is_in_nianbo(db: Session) -> None:
    loc = locate(db, lon=SEAT[0], lat=SEAT[1])
    assert loc.township_code == "630202001000"
    assert loc.grid_code.startswith(loc.community_code)
    assert len(loc.grid_code) == 15


def test_gcj02_input_is_converted(db: Session) -> None:
    glon, glat = crs.wgs84_to_gcj02(*SEAT)
    a = locate(db, lon=SEAT[0], lat=SEAT[1])
    b = locate(db, lon=glon, lat=glat, crs="gcj02")
    assert (a.grid_code, round(a.lon, 5), round(a.lat, 5)) == (
        b.grid_code,
        round(b.lon, 5),
        round(b.lat, 5),
    )


def test_swapped_coordinates_are_named(db: Session) -> None:
    with pytest.raises(Unprocessable, match="swapped") as e:
        locate(db, lon=SEAT[1], lat=SEAT[0])
    assert e.value.detail["swapped"] is True


def test_outside_the_district(db: Session) -> None:
    with pytest.raises(Unprocessable, match="outside") as e:
        locate(db, lon=101.78, lat=36.62)  # Xining
    assert e.value.detail["swapped"] is False


@pytest.mark.parametrize(
    "lon,lat,crs_,field",
    [
        (float("nan"), 36.4, "wgs84", "lon"),
        (102.4, 91, "wgs84", "lat"),
        (181, 36.4, "wgs84", "lon"),
        (102.4, 36.4, "mars", "crs"),
    ],
)
def test_bad_input(db: Session, lon: float, lat: float, crs_: str, field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        locate(db, lon=lon, lat=lat, crs=crs_)
    assert e.value.field == field
