"""The dashboard shell: served by the app, every asset local, Chinese by default, map layers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message

from tests.web.conftest import login, shot


def _get(url: str, **headers: str) -> tuple[int, Message, bytes]:
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req) as res:
        return res.status, res.headers, res.read()


def test_vendor_files_are_versioned_cached_and_gzipped(server: str) -> None:
    status, headers, body = _get(f"{server}/app-config.json")
    cfg = json.loads(body)
    leaflet = cfg["vendor"]["leaflet"]
    assert leaflet.startswith("/vendor/leaflet/1.")
    status, headers, body = _get(
        f"{server}{leaflet}/dist/leaflet.js", **{"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]
    assert len(body) < 60_000  # ~147 kB of JavaScript, gzipped
    # Only whitelisted files, only the installed version.
    for bad in (
        f"{leaflet}/package.json",
        f"{leaflet}/../../echarts/dist/echarts.js",
        "/vendor/leaflet/0.0.1/dist/leaflet.js",
        "/vendor/nothing/1.0/x.js",
    ):
        try:
            _get(f"{server}{bad}")
        except urllib.error.HTTPError as e:
            assert e.code == 404, bad
        else:
            raise AssertionError(f"{bad} was served")


def test_shell_page_names_only_local_assets(server: str) -> None:
    status, headers, body = _get(f"{server}/")
    html = body.decode()
    assert status == 200 and "no-cache" in headers["Cache-Control"]
    assert "{{" not in html
    assert "http://" not in html and "https://" not in html
    status, headers, sw = _get(f"{server}/sw.js")
    precache = json.loads(sw.decode().split("const PRECACHE = ", 1)[1].split(";\n", 1)[0])
    assert "/" in precache and "/static/js/main.js" in precache
    for url in precache:
        assert _get(f"{server}{url}")[0] == 200, url


def test_commander_sees_layers_in_chinese_and_english(server: str, open_context, engine) -> None:  # type: ignore[no-untyped-def]
    ctx = open_context()
    page = ctx.new_page()
    page.goto(f"{server}/#v=command")
    page.wait_for_selector("body[data-ready='1']")
    login(page, engine, "commander1", "commander")
    assert page.text_content("header h1") == "▦ 乐都区网格化管理平台"
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.wait_for_selector(".leaflet-container")
    assert "乐都区界" in page.text_content("#legend")
    routes = json.loads(_get(f"{server}/app-config.json")[2])["routes"]
    if "GET /api/v1/layers" in routes:
        # Boundaries come as vector tiles, the legend marks them illustrative, the layer
        # state is in the URL and survives a reload.
        for layer in ("townships", "communities", "grids"):
            assert page.is_checked(f"#layer-{layer}")
        with page.expect_response(lambda r: "/tiles/townships,communities/" in r.url):
            page.uncheck("#layer-grids")
        assert "l=townships,communities" in page.url
        assert "示意边界" in page.text_content("#legend")
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert not page.is_checked("#layer-grids") and page.is_checked("#layer-townships")
        page.check("#layer-grids")
    shot(page, "shell-command-zh")
    page.click("#lang")
    assert page.get_attribute("html", "lang") == "en"
    assert "Grid Management" in page.text_content("header h1")
    shot(page, "shell-command-en")
    page.click("#lang")


def test_page_reopens_without_network_from_the_service_worker(server: str, open_context) -> None:  # type: ignore[no-untyped-def]
    ctx = open_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.goto(f"{server}/#v=field")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function(
        "() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller ||"
        " new Promise(r => navigator.serviceWorker.addEventListener('controllerchange', () => r(true))))"
    )
    manifest = page.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    ctx.context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.is_visible("#report-form")
    assert page.is_visible("#net")  # says it is offline
    shot(page, "field-offline-reopened")
    ctx.context.set_offline(False)
