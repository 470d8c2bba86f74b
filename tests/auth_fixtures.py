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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

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


# --- a scratch deployment for tests that write at random (authorisation matrix, fuzzing) ----


@dataclass
class Scratch:
    url: str  # base URL of the live server
    app: Any  # the FastAPI app it serves (to read routes)
    database_url: str


@pytest.fixture(scope="session")
def scratch(test_db, tmp_path_factory) -> Iterator[Scratch]:  # type: ignore[no-untyped-def]
    """A live server (uvicorn, own thread) on its own migrated demo database: tests that send
    arbitrary requests (authorisation matrix, fuzzing) cannot disturb the shared database."""
    import threading
    import time

    import uvicorn

    from api.main import create_app
    from gis import migrate
    from gis.cluster import free_port
    from gis.db import make_engine
    from gis.demo.load import load_demo
    from gis.settings import Settings

    url = test_db.create_database()
    eng = make_engine(url, pool_size=1)
    migrate.upgrade(eng)
    load_demo(eng, incidents=300)
    eng.dispose()
    app = create_app(
        Settings(env="test", log_json=True, var_dir=tmp_path_factory.mktemp("scratch-var")),
        database_url=url,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("scratch server did not start")
        time.sleep(0.05)
    try:
        yield Scratch(f"http://127.0.0.1:{port}", app, url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()
