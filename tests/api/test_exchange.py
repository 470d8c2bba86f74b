"""The exchange API: admin uploads with a row-level report, exports for signed-in roles."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import sqlalchemy as sa

from api.routes import exchange

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
ADMIN = {"X-Gridmap-User": "root", "X-Gridmap-Role": "admin"}
VIEWER = {"X-Gridmap-User": "v", "X-Gridmap-Role": "viewer"}
COMMUNITY = "630202001001"


def _rule(path: str, method: str):  # type: ignore[no-untyped-def]
    route = next(r for r in exchange.router.routes if r.path == path and method in r.methods)
    return [d.call for d in route.dependant.dependencies if hasattr(d.call, "roles")][0]


def test_roles_declared() -> None:
    assert _rule("/exchange/imports", "POST").roles == {"admin"}
    assert not _rule("/exchange/export/{layer}", "GET").public


def test_export_download_each_format(client) -> None:
    for fmt, magic in [
        ("gpkg", b"SQLite format 3"),
        ("shp", b"PK"),
        ("geojson", b"{"),
        ("csv", b"\xef\xbb\xbf"),
        ("xlsx", b"PK"),
    ]:
        r = client.get(f"/exchange/export/grids?format={fmt}&community={COMMUNITY}", headers=VIEWER)
        assert r.status_code == 200, r.text
        assert r.content.startswith(magic), fmt
        assert "attachment" in r.headers["content-disposition"]
        assert int(r.headers["x-feature-count"]) > 0
    shp = zipfile.ZipFile(
        io.BytesIO(
            client.get(
                f"/exchange/export/grids?format=shp&community={COMMUNITY}", headers=VIEWER
            ).content
        )
    )
    assert "grids.cpg" in shp.namelist()


def test_export_refusals(client) -> None:
    assert client.get("/exchange/export/grids").status_code == 401
    r = client.get("/exchange/export/nope", headers=VIEWER)
    assert r.status_code == 400 and r.json()["field"] == "layer"
    r = client.get("/exchange/export/grids?bbox=1,2", headers=VIEWER)
    assert r.status_code == 400 and r.json()["field"] == "bbox"
    r = client.get("/exchange/export/cases?datetime=yesterday", headers=VIEWER)
    assert r.status_code == 400 and r.json()["field"] == "datetime"
    r = client.get("/exchange/export/cases?format=pdf", headers=VIEWER)
    assert r.status_code == 400 and r.json()["field"] == "format"


def test_viewer_export_has_no_personal_fields(client) -> None:
    r = client.get(
        "/exchange/export/cases?format=geojson&bbox=102.38,36.46,102.42,36.50", headers=VIEWER
    )
    cols = gpd.read_file(io.BytesIO(r.content)).columns
    assert "reporter_phone" not in cols
    r = client.get(
        "/exchange/export/cases?format=geojson&bbox=102.38,36.46,102.42,36.50",
        headers={"X-Gridmap-User": "c", "X-Gridmap-Role": "commander"},
    )
    assert "reporter_phone" in gpd.read_file(io.BytesIO(r.content)).columns


def test_upload_dry_run_then_refusal_then_import(client, engine) -> None:
    gpkg = client.get(
        f"/exchange/export/grids?format=gpkg&community={COMMUNITY}", headers=VIEWER
    ).content
    files = {"file": ("朝阳山网格.gpkg", gpkg, "application/octet-stream")}
    assert (
        client.post(
            "/exchange/imports", files=files, data={"layer": "grids"}, headers=VIEWER
        ).status_code
        == 403
    )
    r = client.post("/exchange/imports", files=files, data={"layer": "grids"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] and r.json()["dry_run"] and r.json()["file"] == "朝阳山网格.gpkg"

    bad = (BAD / "duplicate_codes.geojson").read_bytes()
    r = client.post(
        "/exchange/imports",
        headers=ADMIN,
        data={"layer": "grids", "dry_run": "false"},
        files={"file": ("dup.geojson", bad, "application/geo+json")},
    )
    assert r.status_code == 422
    problems = r.json()["detail"]["problems"]
    assert any(
        p["row"] == 2 and p["field"] == "code" and "duplicate" in p["problem"] for p in problems
    )

    r = client.post(
        "/exchange/imports",
        headers=ADMIN,
        files={"file": ("x.zip", (BAD / "truncated.zip").read_bytes(), "application/zip")},
        data={"layer": "grids", "dry_run": "false"},
    )
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = client.post(
        "/exchange/imports",
        headers=ADMIN,
        data={"layer": "grids"},
        files={"file": ("x.kml", b"<kml/>", "application/xml")},
    )
    assert r.status_code == 400 and r.json()["field"] == "file"

    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        n_before = conn.execute(sa.text("SELECT count(*) FROM grids")).scalar_one()
    r = client.post(
        "/exchange/imports",
        files=files,
        headers=ADMIN,
        data={"layer": "grids", "dry_run": "false", "valid_from": "2099-01-01"},
    )
    try:
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["committed"] and body["written"]["inserted"] == body["written"]["retired"]
        listed = client.get("/exchange/imports", headers=ADMIN).json()
        assert listed[0]["id"] == body["import_id"] and listed[0]["actor"] == "root"
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM grids")).scalar_one() == (
                n_before + body["written"]["inserted"]
            )
    finally:  # the shared database goes back to how it was
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM grids WHERE valid_from = '2099-01-01'"))
            conn.execute(sa.text("UPDATE grids SET valid_to = NULL WHERE valid_to = '2099-01-01'"))
            conn.execute(sa.text("DELETE FROM import_runs WHERE valid_from = '2099-01-01'"))
            conn.execute(
                sa.text(
                    "UPDATE residences r SET grid_code = g.code FROM grids g WHERE g.valid_to IS NULL "
                    "AND g.community_code = r.community_code AND ST_Intersects(g.geom, r.geom) "
                    "AND r.community_code = :c"
                ),
                {"c": COMMUNITY},
            )
