"""Uploads are judged by their content, not their name: renamed files through every upload route."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from gis.errors import InvalidInput
from gis.projects.config import local_today
from gis.sniff import require_media_type, sniff_media_type

PLANNER = {"X-Gridmap-User": "sniff-plan", "X-Gridmap-Role": "planner"}
ADMIN = {"X-Gridmap-User": "sniff-admin", "X-Gridmap-Role": "admin"}


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (3, 2), (10, 200, 40)).save(buf, "PNG")
    return buf.getvalue()


def test_sniffing_by_content() -> None:
    assert sniff_media_type(_png()) == "image/png"
    assert sniff_media_type(b"\x00\x00\x27\x0a" + b"\x00" * 96) == "application/x-esri-shape"
    assert sniff_media_type("名称,经度,纬度\n服务站,102.4,36.5\n".encode("gbk")) == "text/csv"
    assert sniff_media_type(b"<svg onload=alert(1)>,") is None
    with pytest.raises(InvalidInput) as exc:
        require_media_type(_png(), ["application/json"], field="file")
    assert exc.value.field == "file" and "image/png" in exc.value.message


@pytest.fixture
def report(client: TestClient, engine: Engine, tmp_path: Path, monkeypatch) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(client.app.state.settings, "var_dir", tmp_path)  # type: ignore[attr-defined]
    with engine.connect() as c:
        pid = c.execute(sa.text("SELECT min(id) FROM projects")).scalar_one()
    body = {"report_date": str(local_today()), "body": "嗅探测试", "reporter": "张"}
    r = client.post(f"/api/v1/projects/{pid}/reports", json=body, headers=PLANNER)
    assert r.status_code == 201, r.text
    return int(pid), int(r.json()["id"])


def test_photo_named_jpg_is_stored_as_what_it_is(
    client: TestClient, report: tuple[int, int]
) -> None:
    pid, rid = report
    url = f"/api/v1/projects/{pid}/reports/{rid}/photos"
    r = client.post(url, files={"file": ("照片.jpg", _png(), "image/jpeg")}, headers=PLANNER)
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == "image/png"
    got = client.get(r.json()["url"], headers=PLANNER)
    assert got.headers["content-type"] == "image/png" and got.content == _png()


@pytest.mark.parametrize(
    "name, data",
    [
        ("photo.jpg", b"<?php system($_GET['c']); ?>"),
        ("photo.png", b"%PDF-1.7\n..."),
        ("photo.webp", b'{"type": "FeatureCollection"}'),
    ],
)
def test_photo_refused_when_the_content_is_not_an_image(
    client: TestClient, report: tuple[int, int], name: str, data: bytes
) -> None:
    pid, rid = report
    url = f"/api/v1/projects/{pid}/reports/{rid}/photos"
    r = client.post(url, files={"file": (name, data, "image/jpeg")}, headers=PLANNER)
    assert r.status_code == 400 and r.json()["field"] == "file", r.text
    assert "file content is" in r.json()["message"]


@pytest.mark.parametrize(
    "name, data, found",
    [
        ("grids.geojson", _png(), "image/png"),
        ("grids.gpkg", json.dumps({"type": "FeatureCollection", "features": []}).encode(),
         "application/json"),
        ("grids.zip", b"SQLite format 3\x00" + b"\x00" * 200, "application/geopackage+sqlite3"),
        ("grids.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
    ],
)  # fmt: skip
def test_import_upload_refused_when_content_and_name_disagree(
    client: TestClient, engine: Engine, name: str, data: bytes, found: str
) -> None:
    with engine.connect() as c:
        before = c.execute(sa.text("SELECT count(*) FROM import_runs")).scalar_one()
    r = client.post(
        "/exchange/imports",
        files={"file": (name, data, "application/octet-stream")},
        data={"layer": "grids", "dry_run": "false"},
        headers=ADMIN,
    )
    assert r.status_code == 400 and r.json()["field"] == "file", r.text
    assert f"file content is {found}" in r.json()["message"]
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM import_runs")).scalar_one() == before
