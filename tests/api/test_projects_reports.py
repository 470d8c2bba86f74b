"""Progress reports from the site: checked position, photos, history, personal data."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from gis.projects.config import local_today

PLANNER = {"X-Gridmap-User": "plan1", "X-Gridmap-Role": "planner"}
ADMIN = {"X-Gridmap-User": "root", "X-Gridmap-Role": "admin"}
VIEWER = {"X-Gridmap-User": "v1", "X-Gridmap-Role": "viewer"}
BASE = "/api/v1/projects"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"


@pytest.fixture
def site(engine: Engine) -> tuple[int, float, float]:
    """A demo project (朝阳山) and its site point."""
    with engine.connect() as c:
        pid, x, y = c.execute(
            sa.text("SELECT id, ST_X(site), ST_Y(site) FROM projects WHERE name LIKE '朝阳山%'")
        ).one()
    return int(pid), float(x), float(y)


@pytest.fixture
def media(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(client.app.state.settings, "var_dir", tmp_path)  # type: ignore[attr-defined]
    return tmp_path / "media"


def _metres_east(x: float, y: float, m: float) -> float:
    return x + m / (111_320 * math.cos(math.radians(y)))


def test_report_near_the_site_with_a_photo(
    client: TestClient, site: tuple[int, float, float], media: Path
) -> None:
    pid, x, y = site
    body = {
        "report_date": str(local_today()),
        "body": "主体结构第三层浇筑完成",
        "reporter": "李海燕",
        "reporter_phone": "17009721234",
        "progress": 48,
        "site": {"lon": _metres_east(x, y, 120), "lat": y},
    }
    r = client.post(f"{BASE}/{pid}/reports", json=body, headers=PLANNER)
    assert r.status_code == 201, r.text
    rep = r.json()
    assert 100 < rep["distance_m"] < 140
    ph = client.post(
        f"{BASE}/{pid}/reports/{rep['id']}/photos",
        files={"file": ("现场.jpg", JPEG, "image/jpeg")},
        headers=PLANNER,
    )
    assert ph.status_code == 201, ph.text
    assert (media / "projects" / str(pid) / f"{ph.json()['sha256']}.jpg").read_bytes() == JPEG
    got = client.get(ph.json()["url"], headers=VIEWER)
    assert got.status_code == 200 and got.content == JPEG
    assert got.headers["content-type"] == "image/jpeg"
    listed = client.get(f"{BASE}/{pid}/reports", headers=VIEWER).json()["reports"]
    mine = next(x for x in listed if x["id"] == rep["id"])
    assert mine["photos"][0]["filename"] == "现场.jpg"
    assert mine["reporter"] is None and mine["reporter_phone"] is None  # viewer
    full = client.get(f"{BASE}/{pid}/reports", headers=ADMIN).json()["reports"]
    assert next(x for x in full if x["id"] == rep["id"])["reporter_phone"] == "17009721234"
    actions = [
        h["action"] for h in client.get(f"{BASE}/{pid}/history", headers=ADMIN).json()["history"]
    ]
    assert actions[-2:] == ["report", "photo"]


def test_report_far_from_the_site_is_refused(
    client: TestClient, engine: Engine, site: tuple[int, float, float]
) -> None:
    pid, x, y = site
    with engine.connect() as c:
        n = c.execute(sa.text("SELECT count(*) FROM project_reports")).scalar_one()
    body = {"report_date": str(local_today()), "body": "x", "reporter": "王",
            "site": {"lon": _metres_east(x, y, 2000), "lat": y}}  # fmt: skip
    r = client.post(f"{BASE}/{pid}/reports", json=body, headers=PLANNER)
    assert r.status_code == 422 and r.json()["field"] == "site"
    assert r.json()["detail"]["distance_m"] > 1900
    future = dict(body, site=None, report_date=str(local_today() + timedelta(days=1)))
    r = client.post(f"{BASE}/{pid}/reports", json=future, headers=PLANNER)
    assert r.status_code == 400 and r.json()["field"] == "report_date"
    bad = dict(body, site=None, progress=101)
    assert (
        client.post(f"{BASE}/{pid}/reports", json=bad, headers=PLANNER).json()["field"]
        == "progress"
    )
    assert client.post(f"{BASE}/{pid}/reports", json=body, headers=VIEWER).status_code == 403
    assert client.post(f"{BASE}/999999/reports", json=future, headers=PLANNER).status_code == 404
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM project_reports")).scalar_one() == n


def test_photo_must_be_an_image(
    client: TestClient, site: tuple[int, float, float], media: Path
) -> None:
    pid, _, _ = site
    rep = client.post(
        f"{BASE}/{pid}/reports",
        json={"report_date": str(local_today()), "body": "无位置报告", "reporter": "张"},
        headers=PLANNER,
    ).json()
    r = client.post(
        f"{BASE}/{pid}/reports/{rep['id']}/photos",
        files={"file": ("x.jpg", b"<html>not a photo</html>", "image/jpeg")},
        headers=PLANNER,
    )
    assert r.status_code == 400 and r.json()["field"] == "file"
    assert not (media / "projects").exists() or not any((media / "projects").rglob("*.*"))
    other = client.post(
        f"{BASE}/{pid + 1}/reports/{rep['id']}/photos",
        files={"file": ("x.jpg", JPEG, "image/jpeg")},
        headers=PLANNER,
    )
    assert other.status_code == 404
