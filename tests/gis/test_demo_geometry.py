"""Tests for the illustrative Ledu demo geometry generator (pure, no database)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from gis.demo import geometry as G
from gis.demo import seeds as S

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "ledu"
CITY = {S.NIANBO, S.GANGGOU}


def _area_m2(geom) -> float:
    return G.to_metric(geom).area


def _assert_tiles(parts, whole, rel: float) -> None:
    """``parts`` cover ``whole`` (sym-diff < rel·area) and overlap pairwise by < rel·area."""
    parts = np.asarray(parts, dtype=object)
    area = whole.area
    union = shapely.union_all(parts)
    assert shapely.symmetric_difference(union, whole).area < rel * area
    tree = shapely.STRtree(parts)
    left, right = tree.query(parts, predicate="intersects")
    mask = left < right
    if mask.any():
        inter = shapely.area(shapely.intersection(parts[left[mask]], parts[right[mask]]))
        assert inter.max() < rel * area, inter.max() / area


@pytest.fixture(scope="module")
def demo():
    return G.generate(DATA)


def test_counts(demo):
    # speed is measured in bench/, not asserted here
    assert len(demo.grids) >= 372 and len(demo.residences) > 3000
    assert len(demo.townships) == 21
    assert len(demo.communities) == 372
    assert demo.townships["code"].is_unique and demo.communities["code"].is_unique
    pop = int(demo.residences["population"].sum())
    assert 250_000 <= pop <= 300_000
    print(
        f"\ntownships {len(demo.townships)} "
        f"communities {len(demo.communities)} grids {len(demo.grids)} "
        f"residences {len(demo.residences)} facilities {len(demo.facilities)} "
        f"households {int(demo.residences['households'].sum())} population {pop}"
    )


def test_boundary_source(demo):
    assert set(demo.district_gdf["boundary_source"]) == {"official"}
    assert demo.district.geom_type == "MultiPolygon"
    for layer in (demo.townships, demo.communities, demo.grids, demo.residences, demo.facilities):
        assert set(layer["boundary_source"]) == {"illustrative"}
        assert layer.crs.to_epsg() == 4326
    assert demo.district_gdf.crs.to_epsg() == 4326


def test_townships_tile_district(demo):
    district = demo.district
    _assert_tiles(demo.townships.geometry.values, district, 1e-9)


def test_streets_are_small_and_around_the_seat(demo):
    t = demo.townships.set_index("code")
    seat = shapely.Point(S.DISTRICT_SEAT)
    assert shapely.union(t.geometry[S.NIANBO], t.geometry[S.GANGGOU]).contains(seat)
    for code in CITY:
        km2 = _area_m2(t.geometry[code]) / 1e6
        assert 10 <= km2 <= 80, (code, km2)


def test_communities_tile_townships(demo):
    c = demo.communities
    for t in demo.townships.itertuples():
        sub = c[c["township_code"] == t.code]
        assert len(sub) > 0
        _assert_tiles(sub.geometry.values, t.geometry, 1e-9)
        # each community lies in its township
        outside = shapely.area(shapely.difference(sub.geometry.values, t.geometry))
        assert outside.max() < 1e-9 * t.geometry.area
    assert shapely.area(G.to_metric(c.geometry.values)).min() >= 0.05e6
    assert all(g.contains(s) for g, s in zip(c.geometry, c["seat"], strict=True))


def test_city_communities_are_compact(demo):
    c = demo.communities
    urban = c[c["township_code"].isin(CITY) & c["is_urban"]]
    assert len(urban) == 10
    km2 = shapely.area(G.to_metric(urban.geometry.values)) / 1e6
    assert (km2 >= 0.5).all() and (km2 <= 4).all(), km2


def test_geometries_valid(demo):
    for layer in (demo.townships, demo.communities, demo.grids):
        assert shapely.is_valid(layer.geometry.values).all()
        assert set(layer.geom_type) == {"MultiPolygon"}
        assert not layer.geometry.is_empty.any()


def test_grid_codes(demo):
    g = demo.grids
    assert g["code"].is_unique
    assert g["code"].str.fullmatch(r"\d{15}").all()
    comm = g["community_code"]
    expected = "630202" + comm.str[6:9] + comm.str[9:12]
    assert (g["code"].str[:12] == expected).all()
    for _, grp in g.groupby("community_code"):
        seqs = sorted(int(x[-3:]) for x in grp["code"])
        assert seqs == list(range(1, len(grp) + 1))
    assert set(g["kind"]) == {"basic"}
    assert set(g["community_code"]) == set(demo.communities["code"])


def test_grid_reading_order(demo):
    g = demo.grids[demo.grids["community_code"] == "630202001001"].sort_values("code")
    assert len(g) >= 4
    cy = shapely.get_y(shapely.centroid(g.geometry.values))
    # the first grid is in the northern band, the last in the southern one
    assert cy[0] > cy[-1]


def test_grids_cover_communities(demo):
    grids = demo.grids
    for c in demo.communities.itertuples():
        sub = grids[grids["community_code"] == c.code]
        _assert_tiles(sub.geometry.values, c.geometry, 1e-6)


def test_grid_households(demo):
    g, r, c = demo.grids, demo.residences, demo.communities
    assert g["households"].sum() == r["households"].sum()
    assert g["population"].sum() == r["population"].sum()
    urban = c[c["township_code"].isin(CITY) & c["is_urban"]]["code"]
    ug = g[g["community_code"].isin(urban)]
    share = ug["households"].between(300, 500).mean()
    assert share >= 0.8, share
    rural = c[~c["is_urban"]]["code"]
    assert (g[g["community_code"].isin(rural)].groupby("community_code").size() <= 2).all()


def test_residences_inside_community(demo):
    r = demo.residences.merge(
        demo.communities[["code", "geometry"]].rename(columns={"geometry": "cg"}),
        left_on="community_code",
        right_on="code",
    )
    assert shapely.contains(r["cg"].values, r.geometry.values).all()
    assert (r["households"] > 0).all()
    ratio = r["population"] / r["households"]
    assert ratio.between(2.5, 3.4).all()
    hh = demo.residences.groupby("community_code")["households"].sum()
    urban = demo.communities.set_index("code")
    city = urban[urban["township_code"].isin(CITY) & urban["is_urban"]].index
    assert hh[city].between(2000, 6000).all()
    assert hh[urban[~urban["is_urban"]].index].between(80, 600).all()


def test_facilities(demo):
    f = demo.facilities
    assert set(f["kind"]) == set(S.FACILITY_KINDS)
    office = f[f["kind"] == "office_service_site"].set_index("community_code")
    for code, (short, status) in S.PLAN_SITES.items():
        assert office.loc[code, "status"] == status
        assert office.loc[code, "name"].startswith(short[:2])
    assert (f.loc[~f["community_code"].isin(list(S.PLAN_SITES)), "status"] == "in_service").all()
    assert (f["status"] != "in_service").sum() == 9
    c = demo.communities.set_index("code")
    assert shapely.contains(c.loc[f["community_code"], "geometry"].values, f.geometry.values).all()
    urban = c[c["is_urban"]].index
    assert set(urban) <= set(office.index)
    assert (
        f[f["kind"] == "service_centre"]["community_code"].map(c["township_code"]).nunique()
    ) == 21


def test_deterministic(demo):
    again = G.generate(DATA)
    a = demo.townships.set_index("code").geometry
    b = again.townships.set_index("code").geometry
    assert shapely.to_wkb(a[S.NIANBO]) == shapely.to_wkb(b[S.NIANBO])
    assert shapely.to_wkb(a["630202106000"]) == shapely.to_wkb(b["630202106000"])
    assert list(demo.grids["code"]) == list(again.grids["code"])
    assert shapely.equals_exact(demo.grids.geometry.values, again.grids.geometry.values, 0).all()
    assert demo.residences["households"].tolist() == again.residences["households"].tolist()
    other = G.build_townships(demo.district, demo.townships[["code", "name", "type"]], seed=1)
    assert shapely.to_wkb(other.set_index("code").geometry["630202106000"]) != shapely.to_wkb(
        a["630202106000"]
    )
