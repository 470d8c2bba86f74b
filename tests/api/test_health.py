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


def test_database_outage_is_503_not_500(pg_url: str) -> None:
    from api.main import create_app
    from gis.cluster import free_port
    from gis.settings import Settings

    dead = pg_url.rsplit("@", 1)[0] + f"@127.0.0.1:{free_port()}/gridmap"
    app = create_app(Settings(env="test"), database_url=dead)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/locate", params={"lon": 102.40041, "lat": 36.48023})
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "unavailable"
