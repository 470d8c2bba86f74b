"""The API documentation pages open offline and under the app's content security policy."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable

from tests.web.conftest import Watched, shot


def _failures(page: object) -> list[str]:
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))  # type: ignore[attr-defined]
    page.on(  # type: ignore[attr-defined]
        "response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    return failed


def test_swagger_ui_lists_operations_offline(
    server: str, open_context: Callable[..., Watched]
) -> None:
    with urllib.request.urlopen(f"{server}/docs", timeout=30) as r:
        csp = r.headers["content-security-policy"]
        page_html = r.read().decode()
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "cdn" not in page_html.lower() and "<script>" not in page_html
    ctx = open_context()
    page = ctx.new_page()
    failed = _failures(page)
    page.goto(f"{server}/docs")  # type: ignore[attr-defined]
    page.wait_for_selector(".opblock-summary-path", timeout=90_000)  # type: ignore[attr-defined]
    paths = page.eval_on_selector_all(  # type: ignore[attr-defined]
        ".opblock-summary-path", "els => els.map(e => e.getAttribute('data-path'))"
    )
    assert "/api/v1/projects" in paths and "/exchange/export/{layer}" in paths
    assert page.locator(".btn.authorize").count() == 1  # type: ignore[attr-defined]
    shot(page, "docs-swagger-ui")
    assert not failed, failed


def test_redoc_renders_offline(server: str, open_context: Callable[..., Watched]) -> None:
    ctx = open_context()
    page = ctx.new_page()
    failed = _failures(page)
    page.goto(f"{server}/redoc")  # type: ignore[attr-defined]
    page.wait_for_selector("[data-section-id]", timeout=90_000)  # type: ignore[attr-defined]
    shot(page, "docs-redoc")
    assert not failed, failed
