from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_reports_versions(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["postgresql"].startswith("15")
    assert body["postgis"].startswith("3.")
    assert r.headers["x-request-id"]


def test_openapi_served(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert "/healthz" in r.json()["paths"]


def test_unknown_path_is_json_404(client: TestClient) -> None:
    r = client.get("/no/such/thing")
    assert r.status_code == 404
    assert r.json()["error"] == "http"
