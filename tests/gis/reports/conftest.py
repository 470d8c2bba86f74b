"""Open report pages in Debian's Chromium with no network: every request must stay local."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip("needs /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, tmp_path: Path) -> Callable[..., dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Write ``html`` to a file, open it offline, screenshot it; return what happened."""

    def run(html: str, name: str) -> dict[str, Any]:
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        context = browser.new_context(viewport={"width": 1280, "height": 860}, offline=True)
        page = context.new_page()
        requests: list[str] = []
        failed: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(800)
        facts = page.evaluate(
            """() => ({
                panes: document.querySelectorAll('.leaflet-pane').length,
                paths: document.querySelectorAll('path.leaflet-interactive').length,
                clusters: document.querySelectorAll('.marker-cluster').length,
                legend: (document.getElementById('gm-legend') || {}).innerText || '',
                title: (document.getElementById('gm-title') || {}).innerText || '',
                sources: (document.getElementById('gm-sources') || {}).innerText || '',
                leaflet: typeof window.L !== 'undefined',
                grid_fills: [...document.querySelectorAll(
                    'path.leaflet-interactive[fill-opacity="0.65"]')].map(p => p.getAttribute('fill')),
                aside: (document.getElementById('sc-aside') || {}).innerText || '',
                radar: !!document.querySelector('svg.radar'),
            })"""
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        context.close()
        outside = [u for u in requests if not u.startswith(("file://", "data:", "blob:", "about:"))]
        return {
            **facts,
            "requests": requests,
            "outside": outside,
            "failed": failed,
            "errors": errors,
        }

    return run
