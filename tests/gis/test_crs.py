"""Tests for the Chinese coordinate systems (WGS84, GCJ-02, BD-09, EPSG via pyproj)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.crs import (
    ACCEPTED_CRS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Ledu district seat, fixed pair from data/ledu/SOURCES.md
SEAT_GCJ = (102.402431, 36.480291)
SEAT_WGS = (102.40041, 36.48023)

LEDU_LON = st.floats(min_value=102.09, max_value=102.80)
LEDU_LAT = st.floats(min_value=36.20, max_value=36.86)


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance in metres; exact enough below a kilometre."""
    k = math.pi / 180 * 6_371_000
    return math.hypot((lon2 - lon1) * k * math.cos(math.radians(lat1)), (lat2 - lat1) * k)


def test_seat_fixed_pair() -> None:
    assert metres(*wgs84_to_gcj02(*SEAT_WGS), *SEAT_GCJ) < 1
    assert metres(*gcj02_to_wgs84(*SEAT_GCJ), *SEAT_WGS) < 1


def test_gcj_offset_in_ledu_is_about_180_m_west() -> None:
    lon, lat = wgs84_to_gcj02(*SEAT_WGS)
    assert 150 < metres(*SEAT_WGS, lon, lat) < 220
    assert lon > SEAT_WGS[0]  # GCJ-02 coordinates are east of the true position here


def test_inverse_is_exact_not_one_step() -> None:
    w = gcj02_to_wgs84(*SEAT_GCJ)
    assert metres(*wgs84_to_gcj02(*w), *SEAT_GCJ) < 0.01
    # the one-step approximation (subtract the offset at the GCJ point) is measurably worse
    g = wgs84_to_gcj02(*SEAT_GCJ)
    one_step = (2 * SEAT_GCJ[0] - g[0], 2 * SEAT_GCJ[1] - g[1])
    assert metres(*wgs84_to_gcj02(*one_step), *SEAT_GCJ) > metres(*wgs84_to_gcj02(*w), *SEAT_GCJ)


def test_known_bd09_value() -> None:
    # The published formula moves GCJ-02 by roughly +0.0065 lon, +0.006 lat.
    lon, lat = gcj02_to_bd09(*SEAT_GCJ)
    assert 0.005 < lon - SEAT_GCJ[0] < 0.008
    assert 0.005 < lat - SEAT_GCJ[1] < 0.008
    assert metres(*bd09_to_gcj02(lon, lat), *SEAT_GCJ) < 0.01


def test_outside_china_no_offset() -> None:
    for lon, lat in [(2.35, 48.85), (-74.0, 40.7), (151.2, -33.9)]:
        assert wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert gcj02_to_wgs84(lon, lat) == (lon, lat)
        assert out_of_china(lon, lat)
    assert not out_of_china(*SEAT_WGS)


def test_scalar_in_float_out_array_in_array_out() -> None:
    lon, lat = wgs84_to_gcj02(*SEAT_WGS)
    assert type(lon) is float and type(lat) is float
    lons = np.array([[102.1, 102.4], [102.7, 2.35]])
    lats = np.array([[36.3, 36.5], [36.8, 48.85]])
    glon, glat = wgs84_to_gcj02(lons, lats)
    assert isinstance(glon, np.ndarray) and glon.shape == (2, 2)
    for i in range(2):
        for j in range(2):
            assert (glon[i, j], glat[i, j]) == wgs84_to_gcj02(float(lons[i, j]), float(lats[i, j]))
    wlon, _ = gcj02_to_wgs84([102.4, 102.5], 36.5)  # lists and broadcasting
    assert wlon.shape == (2,)


def test_nan_passes_through() -> None:
    lon, lat = gcj02_to_wgs84(np.array([np.nan, SEAT_GCJ[0]]), np.array([36.5, SEAT_GCJ[1]]))
    assert np.isnan(lon[0]) and np.isnan(lat[0])
    assert metres(float(lon[1]), float(lat[1]), *SEAT_WGS) < 1


@settings(max_examples=300, deadline=None)
@given(lon=LEDU_LON, lat=LEDU_LAT)
def test_round_trip_gcj(lon: float, lat: float) -> None:
    assert metres(*gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), lon, lat) < 0.01


@settings(max_examples=300, deadline=None)
@given(lon=LEDU_LON, lat=LEDU_LAT)
def test_round_trip_bd(lon: float, lat: float) -> None:
    assert metres(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < 0.01
    assert metres(*gcj02_to_bd09(*bd09_to_gcj02(lon, lat)), lon, lat) < 0.01


@given(lon=LEDU_LON, lat=LEDU_LAT)
def test_vectorised_round_trip(lon: float, lat: float) -> None:
    lons = np.linspace(lon, 102.8, 50)
    lats = np.linspace(lat, 36.2, 50)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lons, lats))
    assert np.max(np.abs(back[0] - lons)) < 1e-7
    assert np.max(np.abs(back[1] - lats)) < 1e-7


# -- to_wgs84 / from_wgs84 ---------------------------------------------------------------


@pytest.mark.parametrize("crs", ["wgs84", "EPSG:4326", "cgcs2000", "epsg:4490", " WGS84 "])
def test_wgs84_aliases_are_identity(crs: str) -> None:
    assert to_wgs84(*SEAT_WGS, crs) == SEAT_WGS
    assert from_wgs84(*SEAT_WGS, crs) == SEAT_WGS


def test_identity_returns_a_copy() -> None:
    lons = np.array([102.4])
    out, _ = to_wgs84(lons, np.array([36.5]), "wgs84")
    out[0] = 0
    assert lons[0] == 102.4


@pytest.mark.parametrize("crs", ["gcj02", "GCJ02", "bd09"])
def test_named_crs_round_trip(crs: str) -> None:
    x, y = from_wgs84(*SEAT_WGS, crs)
    assert metres(*to_wgs84(x, y, crs), *SEAT_WGS) < 0.01
    assert to_wgs84(*SEAT_GCJ, "gcj02") == gcj02_to_wgs84(*SEAT_GCJ)


def test_gauss_kruger_4543() -> None:
    e, n = from_wgs84(*SEAT_WGS, "epsg:4543")
    # CM 102E, false easting 500 km: the seat is ~36 km east of the meridian
    assert 535_000 < e < 537_000
    assert 4_037_000 < n < 4_040_000
    assert metres(*to_wgs84(e, n, "EPSG:4543"), *SEAT_WGS) < 1e-3
    arr_e, _ = from_wgs84(np.array([102.0, 102.4]), np.array([36.5, 36.5]), "epsg:4543")
    assert abs(arr_e[0] - 500_000) < 1e-6


def test_other_epsg_web_mercator() -> None:
    x, y = from_wgs84(*SEAT_WGS, "epsg:3857")
    assert abs(x - 6_378_137 * math.radians(SEAT_WGS[0])) < 1e-3
    assert metres(*to_wgs84(x, y, "epsg:3857"), *SEAT_WGS) < 1e-3


@pytest.mark.parametrize("crs", ["mars", "epsg:999999", "epsg:", "4326", ""])
def test_unknown_crs_lists_accepted(crs: str) -> None:
    for func in (to_wgs84, from_wgs84):
        with pytest.raises(ValueError, match="accepted") as info:
            func(*SEAT_WGS, crs)
        for value in ACCEPTED_CRS:
            assert value in str(info.value)
