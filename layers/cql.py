"""CQL2 filters (text and JSON) parsed by pygeofilter, checked against the layer's queryables.

Column expressions come only from the layer spec; the filter's values become bound
parameters of the compiled statement. Nothing of the filter text is pasted into SQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry
from pygeofilter import ast
from pygeofilter.backends.sqlalchemy.evaluate import to_filter
from sqlalchemy.dialects import postgresql

from gis.errors import InvalidInput
from gis.exchange.filters import RowFilter, catalogue_filter, catalogue_layer
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


def _fits(value: Any, kind: str) -> bool:
    """Whether a filter literal can be compared with a property of type ``kind``."""
    if value is None or isinstance(value, ast.Node):
        return True
    if kind in ("integer", "number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("date", "datetime"):
        if isinstance(value, date):
            return True
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return False
            return True
        return False
    return isinstance(value, str)


def _operand_kind(node: Any, allowed: dict[str, Prop]) -> str | None:
    if isinstance(node, ast.Attribute) and node.name in allowed:
        return allowed[node.name].type or "string"
    if isinstance(node, ast.Arithmetic):
        return "number"
    return None


def _check_types(node: Any, allowed: dict[str, Prop]) -> None:
    """Refuse (400) literals that PostgreSQL could not compare with their property, and
    LIKE or arithmetic on properties of the wrong type, before any SQL runs."""
    if isinstance(node, list | tuple):
        for sub in node:
            _check_types(sub, allowed)
        return
    if not isinstance(node, ast.Node):
        return
    subs = list(node.get_sub_nodes())
    kinds = {k for k in (_operand_kind(s, allowed) for s in subs) if k is not None}
    if isinstance(node, ast.Like) and kinds - {"string"}:
        raise InvalidInput(
            "LIKE 只能用于文本属性 (LIKE applies to text properties only)", field="filter"
        )
    if isinstance(node, ast.Arithmetic) and kinds - {"integer", "number"}:
        raise InvalidInput(
            "算术运算只能用于数值属性 (arithmetic applies to numeric properties only)",
            field="filter",
        )
    if len(kinds) == 1:
        (kind,) = kinds
        for value in subs:
            if not _fits(value, kind):
                raise InvalidInput(
                    f"过滤值与属性类型不符 (value {value!r} does not fit a {kind} property)",
                    field="filter",
                )
    for sub in subs:
        _check_types(sub, allowed)


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
    _check_types(tree, allowed)
    mapping: dict[str, Any] = {
        n: sa.literal_column(p.expr, type_=_TYPES.get(p.type, sa.Text()))
        for n, p in allowed.items()
    }
    geom = sa.literal_column(spec.geom_expr(personal=personal), type_=Geometry(srid=4326))
    for g in GEOMETRY_NAMES:
        mapping[g] = geom
    try:
        expr = to_filter(tree, mapping, undefined_as_null=False)
        compiled = expr.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
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


def export_filter(
    layer: str, text: str | None, lang: str | None, *, personal: bool
) -> RowFilter | None:
    """A CQL2 filter on an export layer, checked against its catalogue spec (400 naming
    ``layer``, ``filter`` or ``filter-lang``); None without a filter."""
    if text is None:
        if lang is not None and lang not in LANGS:
            parse("", lang=lang)  # names filter-lang
        return None
    from layers import registry

    spec = registry.get(catalogue_layer(layer), field="layer")
    condition = to_sql(parse(text, lang=lang), spec=spec, personal=personal)
    return catalogue_filter(layer=layer, spec=spec, condition=condition, personal=personal)
