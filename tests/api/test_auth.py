# ruff: noqa: F811  (pytest fixtures imported from tests.auth_fixtures)
"""Sign-in over HTTP: tokens, refresh rotation, sign-out, admin account management."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.auth_fixtures import make_user, signed_in  # noqa: F401  (fixtures)

ADMIN = {"X-Gridmap-User": "root", "X-Gridmap-Role": "admin"}


def _login(client: TestClient, name: str, password: str) -> dict:
    r = client.post("/auth/token", data={"username": name, "password": password})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    return r.json()


def test_password_flow_token_and_me(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    name, pw = make_user("handler", department="cityadmin")
    tok = _login(client, name, pw)
    assert tok["token_type"] == "bearer" and tok["role"] == "handler"
    assert 60 <= tok["expires_in"] <= 3600
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "username": name,
        "role": "handler",
        "grids": [],
        "department": "cityadmin",
        "sees_personal": True,
        "auth": "token",
    }


@pytest.mark.parametrize(
    "bad",
    [
        "not-a-token",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290IiwidmVyIjowfQ.",  # alg=none
    ],
)
def test_bad_tokens_are_401_but_public_routes_still_answer(client: TestClient, bad: str) -> None:
    h = {"Authorization": f"Bearer {bad}"}
    r = client.get("/auth/me", headers=h)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/healthz", headers=h).status_code == 200


def test_token_signed_with_another_secret_is_refused(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    from gis.accounts.models import User
    from gis.accounts.tokens import issue_access_token

    name, _ = make_user("admin")
    forged, _ = issue_access_token(
        user=User(username=name, role="admin", token_version=0), secret="x" * 40, minutes=5
    )
    r = client.get("/users", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


def test_refresh_rotates_and_reuse_ends_every_session(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    name, pw = make_user("commander")
    first = _login(client, name, pw)
    r = client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    h2 = {"Authorization": f"Bearer {second['access_token']}"}
    assert client.get("/auth/me", headers=h2).status_code == 200
    # The spent token comes back: someone copied it. Everything of this user ends.
    r = client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert r.status_code == 401
    client.app.state.user_cache.forget(name)
    assert client.get("/auth/me", headers=h2).status_code == 401
    r = client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
    )
    assert r.status_code == 401


def test_logout_spends_the_refresh_token(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    name, pw = make_user("viewer")
    tok = _login(client, name, pw)
    assert (
        client.post("/auth/logout", json={"refresh_token": tok["refresh_token"]}).status_code == 204
    )
    r = client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]}
    )
    assert r.status_code == 401


def test_wrong_password_then_lockout_is_429(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    name, pw = make_user("viewer")
    codes = [
        client.post("/auth/token", data={"username": name, "password": f"wrong-{i}"}).status_code
        for i in range(5)
    ]
    assert codes == [401] * 5
    r = client.post("/auth/token", data={"username": name, "password": pw})
    assert r.status_code == 429
    assert r.json()["detail"]["retry_after"] > 0


def test_admin_manages_users_and_disable_takes_effect(client: TestClient) -> None:
    name = f"u{uuid.uuid4().hex[:8]}"
    r = client.post(
        "/users",
        headers=ADMIN,
        json={"username": name, "role": "viewer", "password": "a good long password"},
    )
    assert r.status_code == 201, r.text
    assert "password" not in r.text and "hash" not in r.text
    tok = _login(client, name, "a good long password")
    h = {"Authorization": f"Bearer {tok['access_token']}"}
    assert client.get("/auth/me", headers=h).status_code == 200
    assert client.get("/users", headers=h).status_code == 403
    r = client.patch(f"/users/{name}", headers=ADMIN, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/auth/me", headers=h).status_code == 401
    audit = client.get("/audit", headers=ADMIN, params={"object_type": "user", "object_id": name})
    actions = [row["action"] for row in audit.json()["items"]]
    assert actions == ["user.update", "auth.login", "user.create"]
    assert audit.json()["items"][1]["client"] == "testclient"


def test_change_own_password(client: TestClient, signed_in, make_user) -> None:  # type: ignore[no-untyped-def]
    name, pw = make_user("planner")
    h = {"Authorization": f"Bearer {_login(client, name, pw)['access_token']}"}
    r = client.post(
        "/auth/password", headers=h, json={"current_password": "nope", "new_password": "x" * 12}
    )
    assert r.status_code == 401
    r = client.post(
        "/auth/password",
        headers=h,
        json={"current_password": pw, "new_password": "a brand new passphrase"},
    )
    assert r.status_code == 204
    client.app.state.user_cache.forget(name)
    assert client.get("/auth/me", headers=h).status_code == 401  # signed out everywhere
    _login(client, name, "a brand new passphrase")


def test_api_keys_over_http(client: TestClient) -> None:
    name = f"k{uuid.uuid4().hex[:8]}"
    r = client.post("/apikeys", headers=ADMIN, json={"name": name})
    assert r.status_code == 201
    key = r.json()["key"]
    assert all(
        "key" not in k or k.get("key") is None for k in client.get("/apikeys", headers=ADMIN).json()
    )
    me = client.get("/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["auth"] == "apikey"
    assert me.json()["role"] == "viewer" and me.json()["sees_personal"] is False
    assert client.delete(f"/apikeys/{name}", headers=ADMIN).status_code == 200
    assert client.get("/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_signed_in_fixture(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    h = signed_in("supervisor")
    assert client.get("/auth/me", headers=h).json()["role"] == "supervisor"
