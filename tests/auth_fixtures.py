"""Fixtures for signed-in callers, for any test module::

    from tests.auth_fixtures import make_user, signed_in  # noqa: F401  (pytest fixtures)

- ``make_user(role, grids=(), department=None)`` creates a real account (committed, unique
  name, random password) and returns ``(username, password)``;
- ``signed_in(role, …)`` returns headers ``{"Authorization": "Bearer …"}`` of such an account,
  obtained through ``POST /auth/token`` like a real client would.

In the test environment the development headers (``X-Gridmap-User``, ``X-Gridmap-Role``,
``X-Gridmap-Grids``, ``X-Gridmap-Department``) keep working too; use these fixtures where the
real sign-in path matters.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

MakeUser = Callable[..., tuple[str, str]]


@pytest.fixture(scope="session")
def make_user(engine: Engine) -> MakeUser:
    from gis.accounts.users import UserIn, create_user

    def make(
        role: str,
        grids: Sequence[str] = (),
        department: str | None = None,
        username: str | None = None,
    ) -> tuple[str, str]:
        name = username or f"t{role[:6]}{uuid.uuid4().hex[:8]}"
        password = secrets.token_urlsafe(12)
        with Session(engine) as session, session.begin():
            create_user(
                session=session,
                user_in=UserIn(name, role, grids=tuple(grids), department=department),
                password=password,
                actor="test-fixture",
            )
        return name, password

    return make


@pytest.fixture(scope="session")
def signed_in(make_user: MakeUser, client) -> Callable[..., dict[str, str]]:  # type: ignore[no-untyped-def]
    def login(role: str, **kwargs: object) -> dict[str, str]:
        name, password = make_user(role, **kwargs)
        r = client.post("/auth/token", data={"username": name, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return login
