"""Make a folium page self-contained: no CDN, no internet.

folium's template loads Leaflet, jQuery, Bootstrap and font-awesome from CDNs. The report maps
need only Leaflet and leaflet.markercluster, which the dashboard already installs from npm
(``web/node_modules``). Every folium element's ``default_js``/``default_css`` is pointed at a
local asset key; after rendering, those tags are replaced by the inlined file (images in the
CSS become data URIs) and anything else that would reach outside is refused.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

from branca.element import Element

from gis.errors import SetupError
from gis.settings import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "web" / "node_modules"
SCHEME = "gridmap-asset:"
ASSETS: dict[str, str] = {
    "leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet.css": "leaflet/dist/leaflet.css",
    "markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "markercluster.css": "leaflet.markercluster/dist/MarkerCluster.css",
    "markercluster.default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
}
_JS = {"leaflet": "leaflet.js", "markerclusterjs": "markercluster.js"}
_CSS = {
    "leaflet_css": "leaflet.css",
    "markerclustercss": "markercluster.css",
    "markerclusterdefaultcss": "markercluster.default.css",
}
_SCRIPT = re.compile(r'<script src="([^"]+)"></script>')
_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"\s*/?>')
_OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")


def _path(key: str) -> Path:
    path = NODE_MODULES / ASSETS[key]
    if not path.exists():
        raise SetupError(
            f"缺少前端资源 (missing web asset) {path}: run `npm ci` in web/ "
            "(scripts/bootstrap.sh does it)"
        )
    return path


@lru_cache(maxsize=8)
def asset_text(key: str) -> str:
    """The text of a local asset; CSS images are inlined as data URIs."""
    path = _path(key)
    text = path.read_text(encoding="utf-8")
    if key.endswith(".css"):

        def data_uri(m: re.Match[str]) -> str:
            img = path.parent / m.group(2)
            if not img.exists():
                return "none"
            b64 = base64.b64encode(img.read_bytes()).decode("ascii")
            return f"url(data:image/{img.suffix.lstrip('.')};base64,{b64})"

        text = _CSS_URL.sub(data_uri, text)
    return text


def localise(element: Element) -> None:
    """Point ``element`` and all its children at local assets (drop what is not needed)."""
    for child in [element, *_descendants(element)]:
        js = getattr(child, "default_js", None)
        if js is not None:
            child.default_js = [(n, SCHEME + _JS[n]) for n, _ in js if n in _JS]  # type: ignore[attr-defined]
        css = getattr(child, "default_css", None)
        if css is not None:
            child.default_css = [(n, SCHEME + _CSS[n]) for n, _ in css if n in _CSS]  # type: ignore[attr-defined]


def _descendants(element: Element) -> list[Element]:
    out: list[Element] = []
    for child in getattr(element, "_children", {}).values():
        out.append(child)
        out.extend(_descendants(child))
    return out


def inline(html: str) -> str:
    """Replace local asset tags by the inlined files; refuse any remaining outside link."""

    def script(m: re.Match[str]) -> str:
        url = m.group(1)
        if not url.startswith(SCHEME):
            return m.group(0)
        body = asset_text(url[len(SCHEME) :]).replace("</script", "<\\/script")
        return f"<script>{body}</script>"

    def link(m: re.Match[str]) -> str:
        url = m.group(1)
        if not url.startswith(SCHEME):
            return m.group(0)
        return f"<style>{asset_text(url[len(SCHEME) :])}</style>"

    found = _OUTSIDE.search(html)  # checked before the (trusted) assets are inlined
    if found:
        snippet = html[max(0, found.start() - 40) : found.end() + 60]
        raise SetupError(f"报告仍引用外部资源 (the report still links outside): {snippet!r}")
    return _LINK.sub(link, _SCRIPT.sub(script, html))


def render(element: Element) -> str:
    """Render a folium map (or figure) to one self-contained HTML page."""
    localise(element.get_root())
    return inline(element.get_root().render())
