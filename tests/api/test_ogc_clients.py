"""Real OGC clients read the service over HTTP: OWSLib and GDAL's OAPIF driver (paging too)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from gis.cluster import free_port
from gis.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def server(engine, pg_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "GRIDMAP_DATABASE_URL": pg_url,
        "GRIDMAP_ENV": "test",
        "GRIDMAP_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _communities(engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM admin_units WHERE level = 5 AND valid_to IS NULL")
            ).scalar_one()
        )


def test_owslib_reads_collections_items_and_queryables(server, engine):
    features = pytest.importorskip("owslib.ogcapi.features")
    api = features.Features(f"{server}/ogc")
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"grids", "communities", "incidents"} <= ids
    page = api.collection_items("communities", limit=25)
    assert len(page["features"]) == 25 and page["numberMatched"] == _communities(engine)
    q = api.collection_queryables("grids")
    assert "households" in q["properties"]
    one = api.collection_item("communities", page["features"][0]["id"])
    assert one["properties"]["code"] == page["features"][0]["properties"]["code"]


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs gdal-bin (ogrinfo)")
def test_gdal_oapif_driver_pages_through_every_feature(server, engine):
    total = _communities(engine)
    out = subprocess.run(
        [
            "ogrinfo",
            "-ro",
            "-al",
            "-q",
            f"OAPIF:{server}/ogc",
            "communities",
            "-oo",
            "PAGE_SIZE=40",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("OGRFeature(communities)") == total
    summary = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{server}/ogc", "grids"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert summary.returncode == 0, summary.stderr
    assert "Geometry: Multi Polygon" in summary.stdout and "households" in summary.stdout
    filtered = subprocess.run(
        [
            "ogrinfo",
            "-ro",
            "-al",
            "-q",
            f"OAPIF:{server}/ogc",
            "grids",
            "-where",
            "households > 300",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert filtered.returncode == 0, filtered.stderr
    with engine.connect() as conn:
        want = conn.execute(
            sa.text("SELECT count(*) FROM grids WHERE valid_to IS NULL AND households > 300")
        ).scalar_one()
    assert filtered.stdout.count("OGRFeature(grids)") == want
