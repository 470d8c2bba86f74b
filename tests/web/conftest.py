"""Browser tests: the app served by uvicorn on a free port, pages in Debian's Chromium.

Every page fails its test on a console error, an uncaught exception, or a request to any
host other than this machine's loopback. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from gis.cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

if not Path(CHROMIUM).exists() or not (ROOT / "web" / "node_modules" / "leaflet").exists():
    pytest.skip(
        "needs /usr/bin/chromium and web/node_modules (scripts/bootstrap.sh test)",
        allow_module_level=True,
    )


@pytest.fixture(scope="session")
def server(engine, pg_url: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app in its own process (as in production), on a free loopback port."""
    port = free_port()
    env = {
        **os.environ,
        "GRIDMAP_DATABASE_URL": pg_url,
        "GRIDMAP_ENV": "test",
        "GRIDMAP_LOG_LEVEL": "WARNING",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "uvicorn.log"
    log = log_path.open("wb")  # a file, not a pipe: a full pipe would stall the server
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a loaded 2-core machine can take a while
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                err = log_path.read_text(errors="replace")
                raise RuntimeError(f"uvicorn did not start: {err[-2000:]}") from None
            time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    import asyncio

    from playwright.sync_api import sync_playwright

    # A test elsewhere in the suite can leave an event loop marked as running in this
    # thread; Playwright's sync API refuses to start then. Browser tests run no loop.
    leftover = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield b
            finally:
                b.close()
    finally:
        asyncio._set_running_loop(leftover)


class Watched:
    """A browser context whose console errors and outside requests are collected."""

    def __init__(self, context: object) -> None:
        self.context = context
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.allowed_errors: list[str] = []
        context.on("request", self._request)  # type: ignore[attr-defined]

    def _request(self, req: object) -> None:
        url = req.url  # type: ignore[attr-defined]
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about", "chrome-extension"):
            return
        if parsed.hostname not in LOOPBACK:
            self.outside.append(url)

    def watch(self, page: object) -> object:
        def on_console(msg: object) -> None:
            if msg.type == "error":  # type: ignore[attr-defined]
                self.errors.append(f"console: {msg.text}")  # type: ignore[attr-defined]

        page.on("console", on_console)  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))  # type: ignore[attr-defined]
        return page

    def new_page(self) -> object:
        return self.watch(self.context.new_page())  # type: ignore[attr-defined]

    def check(self) -> None:
        errors = [e for e in self.errors if not any(a in e for a in self.allowed_errors)]
        assert not self.outside, f"requests left this machine: {self.outside[:5]}"
        assert not errors, f"browser errors: {errors[:5]}"


@pytest.fixture
def open_context(browser) -> Iterator[Callable[..., Watched]]:  # type: ignore[no-untyped-def]
    """Make browser contexts (desktop by default); each is checked and closed at the end."""
    made: list[Watched] = []

    def make(**kwargs: object) -> Watched:
        kwargs.setdefault("viewport", {"width": 1400, "height": 900})
        kwargs.setdefault("locale", "zh-CN")
        ctx = browser.new_context(**kwargs)
        ctx.set_default_timeout(90_000)  # this 2-core machine is shared; be patient, not flaky
        w = Watched(ctx)
        made.append(w)
        return w

    yield make
    try:
        for w in made:
            w.check()
    finally:
        for w in made:
            w.context.close()  # type: ignore[attr-defined]


def shot(page: object, name: str) -> Path:
    """Save a screenshot under tests/artifacts/ (git-ignored) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path


TEST_PASSWORD = "Gridmap-browser-test-2026"
_made_users: set[str] = set()


def ensure_user(engine, username: str, role: str, grids: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    """An account with TEST_PASSWORD, where the server has accounts (else dev headers apply)."""
    try:
        from gis.accounts.users import UserIn, create_user
    except ImportError:
        return
    if username in _made_users:
        return
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        exists = session.execute(
            text("SELECT 1 FROM users WHERE username = :u"), {"u": username}
        ).scalar()
        if not exists:
            create_user(
                session=session,
                user_in=UserIn(username, role, grids=grids),
                password=TEST_PASSWORD,
                actor="browser-tests",
            )
            session.commit()
    _made_users.add(username)


def sign_in(page: object, username: str, role: str) -> None:
    """Sign in through the dialog: password with accounts, else the development role picker."""
    page.click("#signin-btn")  # type: ignore[attr-defined]
    page.fill("#signin-form [name=username]", username)  # type: ignore[attr-defined]
    if page.is_visible("#signin-form [name=role]"):  # type: ignore[attr-defined]
        page.select_option("#signin-form [name=role]", role)  # type: ignore[attr-defined]
    else:
        page.fill("#signin-form [name=password]", TEST_PASSWORD)  # type: ignore[attr-defined]
    page.click("#signin-form button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#signin", state="hidden")  # type: ignore[attr-defined]


def login(page: object, engine, username: str, role: str, grids: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    """Make sure the account exists (where accounts exist), then sign in through the dialog."""
    ensure_user(engine, username, role, grids)
    sign_in(page, username, role)
