"""Dashboard cold-load timings and transfer sizes, in Debian's Chromium (run by hand).

    .venv/bin/python bench/web_load.py http://127.0.0.1:8000 [--runs 3] [--views command,field]
        [--requests]

Serve with ``GRIDMAP_ENV=test`` (the development headers stand in for sign-in). For each
view, a fresh browser context (empty cache, no service worker) signs in with those headers,
opens the view and waits until it is interactive: the page marks ``gridmap:interactive`` once
the map has drawn its first tiles and the view's controls are in place (KPIs, charts and lists
may still be arriving); the byte counts are taken once those have arrived too. Prints one table: that mark (ms from navigation start, median), the
wall-clock time until it, DOMContentLoaded, when the view's data was in (``gridmap:data``),
and bytes transferred (gzip, as on the wire) for JS+CSS and in total. ``--requests`` adds the
slowest requests of the last run of each view (start and duration, ms).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWS = {
    "command": ("commander", {"width": 1400, "height": 900}),
    "field": ("field_staff", {"width": 390, "height": 844}),
    "planning": ("planner", {"width": 1400, "height": 900}),
}
SIZES_JS = """() => {
  const out = {js: 0, css: 0, other: 0, count: 0, requests: []};
  for (const e of performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))) {
    const n = e.transferSize || 0;
    const u = e.name.split('?')[0];
    out.count += 1;
    if (u.endsWith('.js')) out.js += n; else if (u.endsWith('.css')) out.css += n; else out.other += n;
    out.requests.push([e.name.replace(location.origin, ''), e.startTime, e.duration]);
  }
  const nav = performance.getEntriesByType('navigation')[0];
  out.dcl = nav.domContentLoadedEventEnd;
  const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
  out.interactive = mark('gridmap:interactive');
  out.data = mark('gridmap:data');
  return out;
}"""


def one(browser, base: str, view: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    role, viewport = VIEWS[view]
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", service_workers="block")
    session = {"username": "bench", "role": role, "grids": [], "display": "bench", "dev": True}
    ctx.add_init_script(
        f"localStorage.setItem('gridmap.session', {json.dumps(json.dumps(session))})"
    )
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(f"{base}/#v={view}&m=13/36.488/102.41")
    page.wait_for_function(
        "() => performance.getEntriesByName('gridmap:interactive').length", timeout=60000
    )
    wall = (time.perf_counter() - t0) * 1000
    # Then the late loads (the view's data, KPIs and the chart library) for the byte counts;
    # the live feed never idles, so wait for what should arrive rather than for silence.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "() => performance.getEntriesByName('gridmap:data').length", timeout=30000
        )
    if view == "command":
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_selector(".kpi-chart canvas", timeout=30000)
    page.wait_for_timeout(1000)
    sizes = page.evaluate(SIZES_JS)
    ctx.close()
    return {"wall": wall, **sizes}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--views", default=",".join(VIEWS))
    ap.add_argument("--requests", action="store_true", help="list the slowest requests")
    a = ap.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    slow: dict[str, list[list[object]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        print(
            f"{'view':10} {'interactive ms':>15} {'wall ms':>8} {'DCL ms':>7} {'data ms':>8} "
            f"{'JS kB':>7} {'CSS kB':>7} {'JS+CSS kB':>10} {'total kB':>9} {'requests':>9}"
        )
        for view in a.views.split(","):
            runs = [one(browser, a.base, view) for _ in range(a.runs)]
            r = runs[-1]

            def med(key: str, runs: list[dict[str, object]] = runs) -> float:
                vals = [float(x[key]) for x in runs if x[key] is not None]  # type: ignore[arg-type]
                return statistics.median(vals) if vals else float("nan")

            print(
                f"{view:10} {med('interactive'):>15.0f} {med('wall'):>8.0f} {med('dcl'):>7.0f} "
                f"{med('data'):>8.0f} {r['js'] / 1024:>7.1f} {r['css'] / 1024:>7.1f} "  # type: ignore[operator]
                f"{(r['js'] + r['css']) / 1024:>10.1f} "  # type: ignore[operator]
                f"{(r['js'] + r['css'] + r['other']) / 1024:>9.1f} {r['count']:>9}"  # type: ignore[operator]
            )
            slow[view] = sorted(r["requests"], key=lambda x: -x[2])[:12]  # type: ignore[index]
        browser.close()
    if a.requests:
        for view, rows in slow.items():
            print(f"\nslowest requests, {view} (start ms, duration ms):")
            for name, start, dur in rows:
                print(f"  {start:>7.0f} {dur:>7.0f}  {str(name)[:110]}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
