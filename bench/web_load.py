"""Dashboard cold-load timings and transfer sizes, in Debian's Chromium (run by hand).

    .venv/bin/python bench/web_load.py http://127.0.0.1:8000 [--runs 3]

Serve with ``GRIDMAP_ENV=test`` (the development headers stand in for sign-in). For each
view, a fresh browser context (empty cache, no service worker) signs in with those headers, opens the view and waits until it is interactive (the shell says
``data-ready``, the view's data is in). Prints one table: time to interactive, DOMContentLoaded,
and bytes transferred (gzip, as on the wire) for JS+CSS and in total.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWS = {
    "command": ("commander", "#case-list, #cases p", {"width": 1400, "height": 900}),
    "field": ("field_staff", "#report-form", {"width": 390, "height": 844}),
    "planning": ("planner", ".gantt, #projects p", {"width": 1400, "height": 900}),
}
SIZES_JS = """() => {
  const out = {js: 0, css: 0, other: 0, count: 0};
  for (const e of performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))) {
    const n = e.transferSize || 0;
    const u = e.name.split('?')[0];
    out.count += 1;
    if (u.endsWith('.js')) out.js += n; else if (u.endsWith('.css')) out.css += n; else out.other += n;
  }
  const nav = performance.getEntriesByType('navigation')[0];
  out.dcl = nav.domContentLoadedEventEnd;
  return out;
}"""


def one(browser, base: str, view: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    role, ready, viewport = VIEWS[view]
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", service_workers="block")
    session = {"username": "bench", "role": role, "grids": [], "display": "bench", "dev": True}
    ctx.add_init_script(
        f"localStorage.setItem('gridmap.session', {json.dumps(json.dumps(session))})"
    )
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(f"{base}/#v={view}&m=13/36.488/102.41")
    page.wait_for_selector("body[data-ready='1']", timeout=30000)
    page.wait_for_selector(ready, timeout=30000)
    tti = (time.perf_counter() - t0) * 1000
    page.wait_for_timeout(2000)  # late loads (chart library, tiles); the live feed never idles
    sizes = page.evaluate(SIZES_JS)
    ctx.close()
    return {"tti": tti, **sizes}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        print(
            f"{'view':10} {'interactive ms (median)':>24} {'DCL ms':>8} {'JS kB':>7} {'CSS kB':>7} "
            f"{'JS+CSS kB':>10} {'total kB':>9} {'requests':>9}"
        )
        for view in VIEWS:
            runs = [one(browser, a.base, view) for _ in range(a.runs)]
            r = runs[-1]
            print(
                f"{view:10} {statistics.median(x['tti'] for x in runs):>24.0f} "
                f"{statistics.median(x['dcl'] for x in runs):>8.0f} {r['js'] / 1024:>7.1f} "
                f"{r['css'] / 1024:>7.1f} {(r['js'] + r['css']) / 1024:>10.1f} "
                f"{(r['js'] + r['css'] + r['other']) / 1024:>9.1f} {r['count']:>9}"
            )
        browser.close()


if __name__ == "__main__":
    main()
