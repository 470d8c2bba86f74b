"""GeoJSON features of a layer, built in PostGIS (``json_build_object``/``ST_AsGeoJSON``).

Statements are assembled from the spec only; request values (bbox, times, limits, filter
literals) are bound parameters. A page is fetched with one row more than asked so that the
next link needs no count; ``numberMatched`` comes from a count bounded at ``COUNT_CAP``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from gis.errors import NotFound
from layers.params import Interval
from layers.spec import LayerSpec, Prop

COUNT_CAP = 10_000


@dataclass(frozen=True)
class ItemsQuery:
    """What a client asked for, already parsed and checked against the spec."""

    limit: int = 100
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    interval: Interval | None = None
    properties: list[str] | None = None
    sortby: list[tuple[str, bool]] = field(default_factory=list)
    equals: dict[str, object] = field(default_factory=dict)
    cql: tuple[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class ItemsPage:
    features: str  # a JSON array, as text
    returned: int
    matched: int | None
    has_next: bool


def _feature_sql(spec: LayerSpec, props: list[Prop], personal: bool) -> str:
    pairs = ", ".join(f"'{p.name}', {p.expr}" for p in props)
    geom = spec.geom_expr(personal=personal)
    return (
        f"json_build_object('type', 'Feature', 'id', s.{spec.id_column}, "
        f"'geometry', ST_AsGeoJSON({geom}, 7)::json, "
        f"'properties', json_build_object({pairs}))::text"
    )


def _conditions(spec: LayerSpec, q: ItemsQuery, personal: bool) -> tuple[list[str], dict[str, Any]]:
    conds = list(spec.row_filter(personal=personal))
    params: dict[str, Any] = {}
    g = f"s.{spec.geom_column}"
    if q.bbox is not None:
        params.update(zip(("p_x0", "p_y0", "p_x1", "p_y1"), q.bbox, strict=True))
        env = "ST_MakeEnvelope(%(p_x0)s, %(p_y0)s, %(p_x1)s, %(p_y1)s, 4326)"
        conds.append(f"{g} && {env} AND ST_Intersects({g}, {env})")
    if q.interval is not None and spec.datetime_column:
        col = f"s.{spec.datetime_column}"
        if q.interval.start is not None:
            conds.append(f"{col} >= %(p_t0)s")
            params["p_t0"] = q.interval.start
        if q.interval.end is not None:
            conds.append(f"{col} <= %(p_t1)s")
            params["p_t1"] = q.interval.end
    for i, (name, value) in enumerate(sorted(q.equals.items())):
        prop = spec.prop(name)
        assert prop is not None  # checked by the caller against the queryables
        conds.append(f"{prop.expr} = %(p_eq{i})s")
        params[f"p_eq{i}"] = value
    if q.cql is not None:
        conds.append(q.cql[0])
        params.update(q.cql[1])
    return conds, params


def _where(conds: list[str]) -> str:
    return " AND ".join(f"({c})" for c in conds) if conds else "true"


def items(*, conn: Connection, spec: LayerSpec, personal: bool, query: ItemsQuery) -> ItemsPage:
    """One page of features of ``spec`` as GeoJSON text.

    Parameters
    ----------
    conn
        An open connection to the PostGIS database.
    spec
        The layer (its source, properties and row filters).
    personal
        Whether personal properties and sensitive rows may be returned.
    query
        Parsed paging, bbox, time, property, sort and CQL2 parameters.

    Returns
    -------
    ItemsPage
        The features as a JSON array (text), how many, whether a next page exists and,
        when it is cheap to know, how many match in all.
    """
    visible = spec.visible_properties(personal=personal)
    props = [p for p in visible if query.properties is None or p.name in query.properties]
    conds, params = _conditions(spec, query, personal)
    order = [
        f"{p.expr} {'ASC' if asc else 'DESC'}"
        for name, asc in query.sortby
        if (p := spec.prop(name)) is not None
    ]
    order.append(f"s.{spec.id_column}")
    params.update(p_limit=query.limit + 1, p_offset=query.offset)
    sql = (
        f"SELECT {_feature_sql(spec, props, personal)} FROM {spec.source} s "
        f"WHERE {_where(conds)} ORDER BY {', '.join(order)} "
        "LIMIT %(p_limit)s OFFSET %(p_offset)s"
    )
    rows = [r[0] for r in conn.exec_driver_sql(sql, params).fetchall()]
    has_next = len(rows) > query.limit
    rows = rows[: query.limit]
    matched: int | None
    if not has_next and (rows or query.offset == 0):
        matched = query.offset + len(rows)
    else:
        count_sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {spec.source} s WHERE {_where(conds)} "
            f"LIMIT {COUNT_CAP + 1}) q"
        )
        n = int(conn.exec_driver_sql(count_sql, params).scalar_one())
        matched = n if n <= COUNT_CAP else None
    return ItemsPage("[" + ",".join(rows) + "]", len(rows), matched, has_next)


def item(*, conn: Connection, spec: LayerSpec, personal: bool, feature_id: str) -> str:
    """One feature as GeoJSON text, or ``NotFound`` naming ``featureId``."""
    try:
        fid = int(feature_id)
    except ValueError:
        fid = None
    if fid is None or not -(2**63) <= fid < 2**63:
        raise NotFound(f"要素不存在 (no such feature): {feature_id[:40]!r}", field="featureId")
    conds = [*spec.row_filter(personal=personal), f"s.{spec.id_column} = %(p_id)s"]
    props = list(spec.visible_properties(personal=personal))
    sql = f"SELECT {_feature_sql(spec, props, personal)} FROM {spec.source} s WHERE {_where(conds)}"
    row = conn.exec_driver_sql(sql, {"p_id": fid}).first()
    if row is None:
        raise NotFound(f"要素不存在 (no such feature): {feature_id[:40]!r}", field="featureId")
    return str(row[0])
