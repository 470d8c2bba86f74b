"""CQL2 filters (text and JSON) parsed by pygeofilter, checked against the layer's queryables.

Column expressions come only from the layer spec; the filter's values become bound
parameters of the compiled statement. Nothing of the filter text is pasted into SQL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry
from pygeofilter import ast
from pygeofilter.backends.sqlalchemy.evaluate import to_filter
from sqlalchemy.dialects import postgresql

from gis.errors import InvalidInput
from layers.spec import LayerSpec, Prop

LANGS = ("cql2-text", "cql2-json")
GEOMETRY_NAMES = ("geometry", "geom")
_TYPES: dict[str, Any] = {
    "integer": sa.BigInteger(),
    "number": sa.Float(),
    "boolean": sa.Boolean(),
    "datetime": sa.DateTime(timezone=True),
    "date": sa.Date(),
    "string": sa.Text(),
}
_DIALECT = postgresql.psycopg2.dialect()  # type: ignore[attr-defined]


def queryables(spec: LayerSpec, *, personal: bool) -> dict[str, Prop]:
    return {p.name: p for p in spec.visible_properties(personal=personal) if p.queryable}


def _attributes(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, ast.Attribute):
        out.append(node.name)
    if isinstance(node, ast.Node):
        for sub in node.get_sub_nodes():
            out.extend(_attributes(sub))
    elif isinstance(node, list | tuple):
        for sub in node:
            out.extend(_attributes(sub))
    return out


def parse(text: str, *, lang: str | None) -> Any:
    """The filter's syntax tree; malformed text is a 400 naming ``filter``."""
    lang = lang or "cql2-text"
    if lang not in LANGS:
        raise InvalidInput(
            f"不支持的过滤语言 (unsupported filter-lang; use {' or '.join(LANGS)}): {lang!r}",
            field="filter-lang",
        )
    try:
        if lang == "cql2-json":
            from pygeofilter.parsers.cql2_json import parse as parse_json

            return parse_json(text)
        from pygeofilter.parsers.cql2_text import parse as parse_text

        return parse_text(text)
    except Exception as exc:
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InvalidInput(f"过滤表达式无法解析 (malformed CQL2): {msg}", field="filter") from None


def to_sql(tree: Any, *, spec: LayerSpec, personal: bool) -> tuple[str, dict[str, Any]]:
    """The filter as a SQL condition (pyformat placeholders) and its parameters."""
    allowed = queryables(spec, personal=personal)
    for name in _attributes(tree):
        if name not in allowed and name not in GEOMETRY_NAMES:
            raise InvalidInput(
                f"属性不可查询 (property not queryable): {name!r}; "
                f"queryables: {', '.join(sorted(allowed))}",
                field="filter",
            )
    mapping: dict[str, Any] = {
        n: sa.literal_column(p.expr, type_=_TYPES.get(p.type, sa.Text()))
        for n, p in allowed.items()
    }
    geom = sa.literal_column(spec.geom_expr(personal=personal), type_=Geometry(srid=4326))
    for g in GEOMETRY_NAMES:
        mapping[g] = geom
    try:
        expr = to_filter(tree, mapping, undefined_as_null=False)
        compiled = expr.compile(dialect=_DIALECT)
    except InvalidInput:
        raise
    except Exception as exc:
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InvalidInput(
            f"过滤表达式不受支持 (unsupported CQL2): {msg}", field="filter"
        ) from None
    params = {f"cql_{k}": v for k, v in compiled.params.items()}
    sql = str(compiled)
    for k in sorted(compiled.params, key=len, reverse=True):
        sql = sql.replace(f"%({k})s", f"%(cql_{k})s")
    return sql, params
