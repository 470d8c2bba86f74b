"""OGC API documents: landing page, conformance, collections, queryables, tile matrix sets."""

from __future__ import annotations

from typing import Any

from layers import registry
from layers.catalogue import DISTRICT_BBOX
from layers.cql import queryables
from layers.mvt import HALF, MAX_ZOOM
from layers.params import CRS84
from layers.spec import LayerSpec

GEOJSON = "application/geo+json"
JSON = "application/json"
MVT = "application/vnd.mapbox-vector-tile"
WMQ = "WebMercatorQuad"
WMQ_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]


def _link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def landing(base: str) -> dict[str, Any]:
    o = f"{base}/ogc"
    return {
        "title": "乐都区网格化管理平台 OGC API",
        "description": "网格、社区、乡镇、设施、在建项目与案卷图层 (OGC API – Features and Tiles)",
        "links": [
            _link(o, "self"),
            _link(
                f"{base}/openapi.json",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
            ),
            _link(f"{base}/docs", "service-doc", "text/html"),
            _link(f"{o}/conformance", "conformance"),
            _link(f"{o}/collections", "data"),
            _link(f"{o}/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


def collection(spec: LayerSpec, *, base: str) -> dict[str, Any]:
    c = f"{base}/ogc/collections/{spec.id}"
    links = [
        _link(c, "self"),
        _link(f"{c}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"),
    ]
    if not spec.tiles_only:
        links += [
            _link(f"{c}/items", "items", GEOJSON),
            _link(
                f"{c}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
            ),
        ]
    out: dict[str, Any] = {
        "id": spec.id,
        "title": spec.title,
        "description": spec.description,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [list(DISTRICT_BBOX)], "crs": CRS84}},
        "links": links,
    }
    if spec.datetime_column:
        out["extent"]["temporal"] = {
            "interval": [[None, None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    if spec.boundary_source:
        out["boundary_source"] = spec.boundary_source
    return out


def collections(*, base: str, role: str) -> dict[str, Any]:
    specs = [
        s for s in registry.all_layers() if s.roles is None or role == "admin" or role in s.roles
    ]
    return {
        "links": [_link(f"{base}/ogc/collections", "self")],
        "collections": [collection(s, base=base) for s in specs],
    }


_JSON_TYPES = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "string": {"type": "string"},
}
_GEOM_SCHEMA = {
    "Point": "https://geojson.org/schema/Point.json",
    "MultiPolygon": "https://geojson.org/schema/MultiPolygon.json",
    "Polygon": "https://geojson.org/schema/Polygon.json",
}


def queryables_doc(spec: LayerSpec, *, base: str, personal: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "geometry": {
            "$ref": _GEOM_SCHEMA.get(spec.geometry_type, "https://geojson.org/schema/Geometry.json")
        }
    }
    for name, p in queryables(spec, personal=personal).items():
        props[name] = {"title": p.title or name, **_JSON_TYPES.get(p.type, {"type": "string"})}
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": f"{base}/ogc/collections/{spec.id}/queryables",
        "type": "object",
        "title": spec.title,
        "properties": props,
        "additionalProperties": False,
    }


def tile_matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad definition (OGC 17-083r4), levels 0–24."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        n = 1 << z
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": 559082264.0287178 / n,
                "cellSize": 156543.03392804097 / n,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF, HALF],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            }
        )
    return {
        "id": WMQ,
        "title": "Google Maps Compatible for the World",
        "uri": WMQ_URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }


def tile_matrix_sets(base: str) -> dict[str, Any]:
    return {
        "tileMatrixSets": [
            {
                "id": WMQ,
                "title": "Google Maps Compatible for the World",
                "uri": WMQ_URI,
                "links": [_link(f"{base}/ogc/tileMatrixSets/{WMQ}", "self")],
            }
        ]
    }


def _tileset_links(spec: LayerSpec, base: str) -> list[dict[str, str]]:
    t = f"{base}/ogc/collections/{spec.id}/tiles/{WMQ}"
    return [
        _link(t, "self"),
        _link(
            f"{base}/ogc/tileMatrixSets/{WMQ}",
            "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
        ),
        {
            "href": t + "/{tileMatrix}/{tileRow}/{tileCol}",
            "rel": "item",
            "type": MVT,
            "templated": True,  # type: ignore[dict-item]
        },
    ]


def tilesets(spec: LayerSpec, *, base: str) -> dict[str, Any]:
    return {
        "links": [_link(f"{base}/ogc/collections/{spec.id}/tiles", "self")],
        "tilesets": [
            {
                "title": spec.title,
                "dataType": "vector",
                "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
                "tileMatrixSetURI": WMQ_URI,
                "links": _tileset_links(spec, base),
            }
        ],
    }


def tileset(spec: LayerSpec, *, base: str) -> dict[str, Any]:
    return {
        "title": spec.title,
        "description": spec.description,
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": WMQ_URI,
        "tileMatrixSetLimits": [
            {
                "tileMatrix": str(z),
                "minTileRow": 0,
                "maxTileRow": (1 << z) - 1,
                "minTileCol": 0,
                "maxTileCol": (1 << z) - 1,
            }
            for z in range(spec.minzoom, min(spec.maxzoom, MAX_ZOOM) + 1)
        ],
        "layers": [
            {
                "id": spec.id,
                "title": spec.title,
                "dataType": "vector",
                "geometryType": "points" if "Point" in spec.geometry_type else "polygons",
                "minTileMatrix": str(spec.minzoom),
                "maxTileMatrix": str(min(spec.maxzoom, MAX_ZOOM)),
                "propertiesSchema": {
                    "type": "object",
                    "properties": {
                        p.name: {
                            "title": p.title or p.name,
                            **_JSON_TYPES.get(p.type, {"type": "string"}),
                        }
                        for p in spec.properties
                        if p.in_tiles and not p.personal
                    },
                },
            }
        ],
        "links": _tileset_links(spec, base),
    }
