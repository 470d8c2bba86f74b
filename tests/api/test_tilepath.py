# ruff: noqa: F811  (pytest fixtures imported from tests.auth_fixtures)
"""Tile requests answered in front of the framework (api/tilepath.py): the same answers as
the routes, the precise errors from the routes, gzip once per tile, metrics and access log."""

from __future__ import annotations

import gzip

import pytest

import api.tilepath
from layers.mvt import tile_of
from tests.auth_fixtures import make_user, signed_in  # noqa: F401  (fixtures)

TOWN = (102.402, 36.483)  # 碾伯
COMMANDER = {"X-Gridmap-User": "zhang", "X-Gridmap-Role": "commander"}
SAME = ("etag", "cache-control", "vary", "content-type", "x-content-type-options")


@pytest.fixture
def taken(monkeypatch):  # type: ignore[no-untyped-def]
    """Records each caller the fast path found (``None``: it handed the request on)."""
    seen: list[object] = []
    real = api.tilepath.known_caller

    def spy(request):  # type: ignore[no-untyped-def]
        found = real(request)
        seen.append(found)
        return found

    monkeypatch.setattr(api.tilepath, "known_caller", spy)
    return seen


def _url(layers: str = "grids,communities", z: int = 13) -> str:
    x, y = tile_of(*TOWN, z)
    return f"/tiles/{layers}/{z}/{x}/{y}.pbf"


def test_fast_path_answers_as_the_route_does(client, taken) -> None:
    plain = {**COMMANDER, "Accept-Encoding": "identity"}
    fast = client.get(_url(), headers=plain)
    assert taken and taken[-1] is not None and taken[-1].role == "commander"
    n = len(taken)
    routed = client.get(_url() + "?via=route", headers=plain)  # a query string: the route
    assert len(taken) == n  # the fast path did not look at it
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content and len(fast.content) > 1000
    for h in SAME:
        assert fast.headers[h] == routed.headers[h], h
    assert routed.headers["x-cache"] == "hit"  # the fast path built and cached it
    assert "content-encoding" not in fast.headers
    assert len(fast.headers["x-request-id"]) == 16


def test_ogc_tile_form_is_served_with_the_same_tile(client, taken) -> None:
    x, y = tile_of(*TOWN, 12)
    xyz = client.get(f"/tiles/communities/12/{x}/{y}.pbf", headers=COMMANDER)
    ogc = client.get(
        f"/ogc/collections/communities/tiles/WebMercatorQuad/12/{y}/{x}", headers=COMMANDER
    )
    assert len(taken) == 2 and all(p is not None for p in taken)
    assert ogc.status_code == xyz.status_code == 200
    assert ogc.content == xyz.content and ogc.headers["etag"] == xyz.headers["etag"]


def test_gzip_is_compressed_once_per_tile_version(client, app) -> None:
    url = _url("grids,communities,facilities", 12)
    plain = client.get(url, headers={**COMMANDER, "Accept-Encoding": "identity"})
    raw = client.build_request("GET", url, headers={**COMMANDER, "Accept-Encoding": "gzip"})
    first = client.send(raw, stream=True)
    body = first.read()  # httpx decodes: compare with the identity answer
    assert first.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in first.headers["vary"]
    assert body == plain.content
    cache = app.state.tile_service.gzip_cache
    kept = cache.get(plain.headers["etag"], ())
    assert kept is not None and gzip.decompress(kept.data) == plain.content
    assert int(first.headers["content-length"]) == len(kept.data)


def test_conditional_request_is_304_on_the_fast_path(client, taken) -> None:
    url = _url("communities", 12)
    etag = client.get(url).headers["etag"]
    r = client.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    assert taken[-1] is not None and taken[-1].is_anonymous


def test_empty_tile_is_204_on_the_fast_path(client, taken) -> None:
    r = client.get("/tiles/grids/10/0/0.pbf")
    assert r.status_code == 204 and r.content == b"" and taken[-1] is not None


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/tiles/nope/12/1/1.pbf", 404, "layers"),
        ("/tiles/grids,grids/12/1/1.pbf", 400, "layers"),
        ("/tiles/grids/30/1/1.pbf", 400, "z"),
        ("/tiles/grids/3/9/1.pbf", 404, "x"),
        ("/ogc/collections/nope/tiles/WebMercatorQuad/3/1/1", 404, "collectionId"),
        ("/ogc/collections/grids/tiles/WebMercatorQuad/3/1/9", 404, "tileCol"),
    ],
)
def test_refusals_come_from_the_routes(client, path, status, field) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field


def test_signed_in_caller_is_served_and_a_bad_token_refused(client, signed_in, taken) -> None:
    headers = signed_in("commander")
    client.get("/auth/me", headers=headers)  # the account is now in the cache
    r = client.get(_url("grids", 14), headers=headers)
    assert r.status_code == 200 and taken[-1] is not None and taken[-1].auth == "token"
    assert r.headers["cache-control"].startswith("private")
    bad = client.get(_url("grids", 14), headers={"Authorization": "Bearer not-a-token"})
    assert taken[-1] is None  # handed on: the route gives the precise 401
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"


def test_api_key_callers_go_through_the_route(client, taken) -> None:
    r = client.get(_url("grids", 14), headers={"X-API-Key": "no-such-key"})
    assert taken[-1] is None
    assert r.status_code == 401


def test_fast_path_requests_are_counted_and_logged(client, taken) -> None:
    def count() -> float:
        text = client.get("/metrics").text
        key = 'gridmap_http_requests_total{method="GET",route="/tiles/{layers}/{z}/{x}/{y}.pbf"'
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(key) and 'status="200"' in line
        )

    before = count()
    for _ in range(3):
        r = client.get(_url("grids", 13), headers={"X-Request-ID": "rid-tile-1"})
        assert r.status_code == 200 and r.headers["x-request-id"] == "rid-tile-1"
    assert taken[-1] is not None
    assert count() == before + 3
