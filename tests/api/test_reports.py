"""Report downloads: roles, self-contained HTML, PDF, clear errors."""

from __future__ import annotations

from api.routes import reports
from gis.reports.styles import DEFAULTS
from layers import registry

VIEWER = {"X-Gridmap-User": "v", "X-Gridmap-Role": "viewer"}


def test_every_route_declares_roles() -> None:
    for route in reports.router.routes:
        rules = [d.call for d in route.dependant.dependencies if hasattr(d.call, "roles")]
        assert rules and not rules[0].public, route.path


def test_report_defaults_match_the_layer_catalogue() -> None:
    import layers.catalog  # noqa: F401

    for layer in ("townships", "communities", "grids"):
        spec = registry.get(layer).style
        for key in ("stroke", "fill", "stroke_width", "fill_opacity"):
            assert DEFAULTS[layer][key] == spec[key], (layer, key)
    for layer, table in (("facilities", "symbols"), ("incidents", "classes")):
        spec = registry.get(layer).style[table]
        assert {k: v["color"] for k, v in DEFAULTS[layer][table].items()} == {
            k: v["color"] for k, v in spec.items()
        }


def test_report_downloads(client) -> None:
    assert client.get("/reports/projects.html").status_code == 401
    r = client.get("/reports/community/630202001001.html?start=2026-01-01", headers=VIEWER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "L.map(" in r.text and "cdn." not in r.text
    r = client.get("/reports/township/630202001000.html", headers=VIEWER)
    assert r.status_code == 200 and "碾伯街道" in r.text
    assert client.get("/reports/projects.html", headers=VIEWER).status_code == 200
    r = client.get("/reports/monthly/630202001000.pdf", headers=VIEWER)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_report_errors(client) -> None:
    r = client.get("/reports/community/630202999999.html", headers=VIEWER)
    assert r.status_code == 404 and r.json()["field"] == "code"
    r = client.get("/reports/township/abc.html", headers=VIEWER)
    assert r.status_code == 400 and r.json()["field"] == "code"
    r = client.get("/reports/monthly/630202001000.html?month=2026-1", headers=VIEWER)
    assert r.status_code == 400 and r.json()["field"] == "month"
    r = client.get(
        "/reports/community/630202001001.html?start=2026-05-01&end=2026-01-01", headers=VIEWER
    )
    assert r.status_code == 400 and r.json()["field"] == "end"
