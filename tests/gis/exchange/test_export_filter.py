"""Exports filtered with CQL2 like the OGC items: the catalogue's queryables, bound values,
and a filtered export that imports back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis.errors import InvalidInput
from gis.exchange.export import ExportQuery, read_layer
from gis.exchange.filters import RowFilter, catalogue_filter, catalogue_layer
from layers import cql, registry
from tests.gis.exchange.conftest import COMMUNITY
from tests.gis.test_cli import gridmap


def _filter(layer: str, text: str, lang: str = "cql2-text", personal: bool = False) -> RowFilter:
    spec = registry.get(catalogue_layer(layer))
    condition = cql.to_sql(cql.parse(text, lang=lang), spec=spec, personal=personal)
    return catalogue_filter(layer=layer, spec=spec, condition=condition, personal=personal)


def test_grids_filtered_by_households_match_the_database(db) -> None:
    f = _filter("grids", f"community_code = '{COMMUNITY}' AND households > 300")
    got = read_layer(session=db, query=ExportQuery(layer="grids", filter=f))
    want = (
        db.execute(
            sa.text(
                "SELECT code FROM grids WHERE valid_to IS NULL AND community_code = :c "
                "AND households > 300 ORDER BY code"
            ),
            {"c": COMMUNITY},
        )
        .scalars()
        .all()
    )
    assert len(want) > 0 and list(got["code"]) == want
    as_json = {"op": "and", "args": [
        {"op": "=", "args": [{"property": "community_code"}, COMMUNITY]},
        {"op": ">", "args": [{"property": "households"}, 300]},
    ]}  # fmt: skip
    again = read_layer(
        session=db,
        query=ExportQuery(layer="grids", filter=_filter("grids", json.dumps(as_json), "cql2-json")),
    )
    assert list(again["code"]) == want


def test_filter_combines_with_bbox_and_spatial_predicates(db) -> None:
    box = (102.38, 36.47, 102.42, 36.49)
    f = _filter("facilities", "kind IN ('service_station', 'health_station')")
    both = read_layer(session=db, query=ExportQuery(layer="facilities", bbox=box, filter=f))
    spatial = _filter(
        "facilities",
        "kind IN ('service_station', 'health_station') AND "
        f"S_INTERSECTS(geometry, POLYGON(({box[0]} {box[1]}, {box[2]} {box[1]}, "
        f"{box[2]} {box[3]}, {box[0]} {box[3]}, {box[0]} {box[1]})))",
    )
    same = read_layer(session=db, query=ExportQuery(layer="facilities", filter=spatial))
    assert len(both) > 0 and sorted(both["id"]) == sorted(same["id"])
    assert set(both["kind"]) <= {"service_station", "health_station"}


@pytest.mark.parametrize(
    "text",
    [
        "name = 'x'' OR ''1''=''1'",  # a quote inside a bound value
        "name = 'x'; DROP TABLE grids; --'",
        "name = '1'' OR ''1''=''1' OR name = '' OR ''x''=''x'",
    ],
)
def test_injection_in_values_stays_a_value_or_is_refused(db, text: str) -> None:
    n = db.execute(sa.text("SELECT count(*) FROM grids")).scalar_one()
    try:
        f = _filter("grids", text)
    except InvalidInput as exc:
        assert exc.field == "filter"
    else:
        got = read_layer(session=db, query=ExportQuery(layer="grids", filter=f))
        assert len(got) == 0
    assert db.execute(sa.text("SELECT count(*) FROM grids")).scalar_one() == n


@pytest.mark.parametrize(
    "text, lang",
    [
        ('"code; DROP TABLE grids" = 1', "cql2-text"),
        ("valid_to IS NULL", "cql2-text"),  # a column of the table, not a queryable
        ("households >>> 3", "cql2-text"),
        ('{"op": "=", "args": [{"property": "pg_sleep(5)"}, 1]}', "cql2-json"),
    ],
)
def test_bad_filters_are_refused_naming_filter(text: str, lang: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        _filter("grids", text, lang)
    assert exc.value.field == "filter"


def test_personal_properties_queryable_only_for_personal_callers(db) -> None:
    with pytest.raises(InvalidInput) as exc:
        _filter("cases", "reporter_phone LIKE '170%'")
    assert exc.value.field == "filter"
    f = _filter("cases", "reporter_phone LIKE '170%'", personal=True)
    got = read_layer(session=db, query=ExportQuery(layer="cases", sees_personal=True, filter=f))
    assert all(str(p).startswith("170") for p in got["reporter_phone"])


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv"])
def test_filtered_export_round_trip(db, do_import, do_export, fmt: str) -> None:
    f = _filter("facilities", f"community_code = '{COMMUNITY}' AND kind <> 'service_station'")
    before = read_layer(session=db, query=ExportQuery(layer="facilities", filter=f))
    assert len(before) > 0 and "service_station" not in set(before["kind"])
    path: Path = do_export("facilities", fmt, filter=f)
    report = do_import("facilities", path)
    assert report.ok and report.committed and report.written["inserted"] == len(before)
    audit = db.execute(
        sa.text(
            "SELECT actor, after FROM audit_log WHERE action = 'import.run' AND object_id = :i"
        ),
        {"i": str(report.import_id)},
    ).one()  # the import's audit row, written in its transaction
    assert audit.after["layer"] == "facilities" and audit.after["rows"] == len(before)
    assert audit.after["written"] == report.written and audit.after["file"] == path.name
    after = read_layer(session=db, query=ExportQuery(layer="facilities", filter=f))
    after = after[~after["id"].isin(before["id"])]  # the imported copies
    keep = ["name", "kind", "status", "community_code", "floor_area_m2"]
    a = before.sort_values("name").reset_index(drop=True)
    b = after.sort_values("name").reset_index(drop=True)
    assert a[keep].astype(str).equals(b[keep].astype(str))
    assert all(ga.equals_exact(gb, 1e-7) for ga, gb in zip(a.geometry, b.geometry, strict=True))


def test_cli_export_filter(engine, pg_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": pg_url}
    out = tmp_path / "big.geojson"
    r = gridmap("export", "grids", "-o", str(out), "--filter", "households >= 450", env=env)
    assert r.returncode == 0, r.stderr
    got = json.loads(out.read_text())["features"]
    with engine.connect() as conn:
        want = conn.execute(
            sa.text("SELECT count(*) FROM grids WHERE valid_to IS NULL AND households >= 450")
        ).scalar_one()
    assert len(got) == want > 0 and all(f["properties"]["households"] >= 450 for f in got)
    r = gridmap("export", "grids", "-o", str(out), "--filter", "nosuch = 1", env=env)
    assert r.returncode == 1 and "not queryable" in r.stderr and "Traceback" not in r.stderr
