"""/readyz, /metrics, /healthz backup age, and no personal data in the logs."""

from __future__ import annotations

import io
import json
import logging

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gis.ops.redact import RedactPersonalData, redact


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_readyz_reports_each_check(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"database", "postgis", "migrations", "disk"}
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from api.main import create_app
    from gis.cluster import free_port
    from gis.settings import Settings

    app = create_app(
        Settings(env="test", var_dir=tmp_path),
        database_url=f"postgresql://x:y@127.0.0.1:{free_port()}/nowhere",
    )
    with TestClient(app) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["database"]["ok"] is False and checks["disk"]["ok"] is True


def test_readyz_fails_on_low_disk(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from gis.ops.settings import get_backup_settings

    monkeypatch.setattr(get_backup_settings(), "min_free_mb", 10**12)
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["disk"]["ok"] is False


def test_metrics_requests_pool_cases_and_sources(client: TestClient, engine: sa.Engine) -> None:
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/path/12345")
    text = client.get("/metrics").text
    s = _samples(text)
    key = (
        "gridmap_http_requests_total",
        (("method", "GET"), ("route", "/healthz"), ("status", "200")),
    )
    assert s[key] >= 3
    assert (
        "gridmap_http_requests_total",
        (("method", "GET"), ("route", "<unmatched>"), ("status", "404")),
    ) in s
    assert "/no/such/path/12345" not in text
    assert (
        s[
            (
                "gridmap_http_request_duration_seconds_count",
                (("method", "GET"), ("route", "/healthz")),
            )
        ]
        >= 3
    )
    assert s[("gridmap_db_pool_connections", (("state", "size"),))] >= 1
    with engine.connect() as conn:
        states = dict(
            conn.execute(sa.text("SELECT state, count(*) FROM cases GROUP BY state")).all()
        )
    for state, n in states.items():
        assert s[("gridmap_cases", (("state", state),))] == n
    assert s[("gridmap_database_up", ())] == 1
    # other modules' statistics: the app's tile cache and live feed
    assert s[("gridmap_metrics_source_up", (("source", "tile_cache"),))] == 1
    assert s[("gridmap_metrics_source_up", (("source", "sse"),))] == 1
    assert s[("gridmap_sse_clients", ())] >= 0
    cache = client.app.state.tile_service.cache
    assert s[("gridmap_tile_cache_misses_total", ())] == cache.misses
    assert s[("gridmap_tile_cache_size_bytes", ())] == cache.size_bytes


def test_healthz_shows_backup_age(app, client: TestClient, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/healthz").json()
    assert "backup" in body and "stale" in body["backup"]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ops_backups (created_at, kind, path, size_bytes, dump_sha256) "
                "VALUES (now() - interval '3 days', 'manual', '/x.tar', 1, 'x')"
            )
        )
    try:
        body = client.get("/healthz").json()
        if body["backup"]["age_seconds"] > 2 * 86400:  # no newer backup made by other tests
            assert body["backup"]["stale"] is True and body["warnings"]
        app.state.metrics_database.cache.clear()
        s = _samples(client.get("/metrics").text)
        assert s[("gridmap_backup_last_timestamp_seconds", ())] > 0
        assert s[("gridmap_backup_age_seconds", ())] > 0
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM ops_backups WHERE path = '/x.tar'"))


def test_redaction_masks_phones_ids_and_sql_rows() -> None:
    assert "13812345678" not in redact("call 13812345678 now")
    assert "630202199001011234" not in redact("id 630202199001011234")
    assert "张三" not in redact("DETAIL:  Key (person_name)=(张三) already exists.")
    msg = "[SQL: INSERT INTO grid_staff ...]\n[parameters: {'n': '李四', 'p': '0972-1234567'}]"
    assert "李四" not in redact(msg) and "[parameters: <redacted>]" in redact(msg)
    assert redact("grid 630202001001001 has 12 cases") == "grid 630202001001001 has 12 cases"


def test_no_personal_data_in_logs(app, client: TestClient, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    """A failed insert of a person's row, logged with its traceback, and requests carrying a
    phone number: nothing personal reaches the log output, which stays JSON with request ids."""
    from gis.logs import JsonFormatter

    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactPersonalData())
    root = logging.getLogger()
    root.addHandler(handler)
    name, phone = "王小明", "13912345678"
    try:
        client.get(
            f"/healthz?reporter_phone={phone}&reporter_name={name}",
            headers={"X-Request-ID": "rid-ops-1"},
        )
        client.get(f"/nowhere/{phone}")
        with pytest.raises(sa.exc.IntegrityError) as info, engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO grid_staff (grid_code, role, person_name, phone) "
                    "VALUES ('630202001001001', 'boss', :n, :p)"
                ),
                {"n": name, "p": phone},
            )
        logging.getLogger("gridmap.api").error("unhandled error", exc_info=info.value)
    finally:
        root.removeHandler(handler)
    out = buf.getvalue()
    lines = [json.loads(line) for line in out.splitlines()]
    assert any(
        ln.get("route") == "/healthz" and ln.get("request_id") == "rid-ops-1" for ln in lines
    )
    assert any("IntegrityError" in ln.get("exc", "") for ln in lines)
    assert phone not in out and name not in out
