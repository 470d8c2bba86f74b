"""Turn the query string of an items request into a checked ``ItemsQuery``."""

from __future__ import annotations

from collections.abc import Mapping

from gis.errors import InvalidInput
from layers import cql
from layers.features import ItemsQuery
from layers.params import (
    check_crs,
    convert,
    parse_bbox,
    parse_datetime,
    parse_limit,
    parse_names,
    parse_offset,
    parse_sortby,
)
from layers.spec import LayerSpec

STANDARD = {
    "f",
    "bbox",
    "bbox-crs",
    "datetime",
    "limit",
    "offset",
    "properties",
    "sortby",
    "filter",
    "filter-lang",
    "filter-crs",
    "crs",
}
FORMATS = {"json", "geojson", "application/geo+json", "application/json"}


def build_query(spec: LayerSpec, *, personal: bool, params: Mapping[str, str]) -> ItemsQuery:
    """Check every parameter; an unknown one or a bad value is a 400 naming it."""
    allowed = cql.queryables(spec, personal=personal)
    for name in params:
        if name not in STANDARD and name not in allowed:
            shown = name if len(name) <= 40 else name[:40] + "…"
            raise InvalidInput(
                f"未知查询参数 (unknown query parameter): {shown!r}; "
                f"queryable properties: {', '.join(sorted(allowed))}",
                field=shown,
            )
    f = params.get("f")
    if f is not None and f.lower() not in FORMATS:
        raise InvalidInput(f"不支持的格式 (unsupported format; use json): {f[:40]!r}", field="f")
    check_crs(params.get("bbox-crs"), field="bbox-crs")
    check_crs(params.get("filter-crs"), field="filter-crs")
    check_crs(params.get("crs"), field="crs")
    visible = {p.name for p in spec.visible_properties(personal=personal)}
    equals = {
        name: convert(value, type_=allowed[name].type, field=name)
        for name, value in params.items()
        if name in allowed and name not in STANDARD
    }
    text = params.get("filter")
    tree = cql.parse(text, lang=params.get("filter-lang")) if text is not None else None
    if tree is None and params.get("filter-lang") not in (None, *cql.LANGS):
        cql.parse("", lang=params.get("filter-lang"))  # names filter-lang
    return ItemsQuery(
        limit=parse_limit(params.get("limit")),
        offset=parse_offset(params.get("offset")),
        bbox=parse_bbox(params.get("bbox")),
        interval=parse_datetime(params.get("datetime")),
        properties=parse_names(params.get("properties"), field="properties", allowed=visible),
        sortby=parse_sortby(params.get("sortby"), allowed=set(allowed)),
        equals=equals,
        cql=cql.to_sql(tree, spec=spec, personal=personal) if tree is not None else None,
    )
