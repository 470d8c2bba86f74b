"""GeoJSON features of a layer, built in PostGIS (``json_build_object``/``ST_AsGeoJSON``).

Statements are assembled from the spec only; request values (bbox, times, limits, filter
literals) are bound parameters. A page is fetched with one row more than asked so that the
next link needs no count. In a box on the incidents layer the aggregate cells bound the
matches and choose the plan: an id-ordered primary-key walk where many match (the planner,
misjudging busy boxes, would sort every match), the sorted ids of all hits where few do
(which counts them exactly). Elsewhere ``numberMatched`` comes from a count bounded at
``COUNT_CAP``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from gis.errors import NotFound
from layers.estimate import Bounds, incident_bounds
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
    """One feature as GeoJSON text (the geometry's JSON is spliced in, not parsed again)."""
    pairs = ", ".join(f"'{p.name}', {p.expr}" for p in props)
    geom = spec.geom_expr(personal=personal)
    return (
        f'\'{{"type":"Feature","id":\' || to_json(s.{spec.id_column})::text || '
        f"',\"geometry\":' || coalesce(ST_AsGeoJSON({geom}, 7), 'null') || "
        f"',\"properties\":' || json_build_object({pairs})::text || '}}'"
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


# An id-ordered index scan is forced this way where the planner would sort every match.
FORCE_ID_ORDER = (
    "SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true), "
    "set_config('enable_seqscan', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)
SCAN_ROW_COST = 1.0  # an id-ordered scan reads rows in heap order: cheap per row …
HIT_ROW_COST = 4.0  # … a spatial-index hit is a random heap visit, about four times dearer


def _plan(
    conn: Connection, spec: LayerSpec, query: ItemsQuery, personal: bool
) -> tuple[str, Bounds | None]:
    """How to fetch a page: ``sorted`` (let the planner do it), ``hits`` or ``scan``.

    For a box on the incidents layer (no other filter, id order) the aggregate cells bound
    the matches. Many matches (a busy town): walking the primary key in id order finds a
    page after reading ``(offset + limit) / selectivity`` rows. Few matches: the ids of all
    hits are taken from the spatial index and sorted, which also counts them exactly.
    """
    if (
        spec.kind != "incidents"
        or query.bbox is None
        or query.sortby
        or query.interval is not None
        or query.equals
        or query.cql is not None
    ):
        return "sorted", None
    bounds = incident_bounds(conn=conn, bbox=query.bbox, personal=personal)
    wanted = query.offset + query.limit + 1
    scan = wanted * bounds.total / max(bounds.lower, 1) * SCAN_ROW_COST
    hits = bounds.lower * HIT_ROW_COST
    return ("scan" if scan < hits else "hits"), bounds


def _capped_count(conn: Connection, spec: LayerSpec, where: str, params: dict[str, Any]) -> int:
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {spec.source} s WHERE {where} LIMIT %(p_cap)s) q"
    return int(conn.exec_driver_sql(sql, {**params, "p_cap": COUNT_CAP + 1}).scalar_one())


def _hits_page(
    conn: Connection, spec: LayerSpec, feature: str, where: str, params: dict[str, Any]
) -> tuple[list[str], int]:
    """The page from the sorted ids of every match, and how many match (one statement)."""
    idc = spec.id_column
    sql = (
        f"WITH hits AS MATERIALIZED (SELECT s.{idc} AS id FROM {spec.source} s WHERE {where}), "
        "page AS MATERIALIZED (SELECT id FROM hits ORDER BY id "
        "LIMIT %(p_limit)s OFFSET %(p_offset)s) "
        "SELECT (SELECT count(*) FROM hits), f.feature FROM (SELECT 1) one LEFT JOIN LATERAL ("
        f"SELECT s.{idc} AS id, {feature} AS feature FROM {spec.source} s "
        f"WHERE s.{idc} IN (SELECT id FROM page)) f ON true ORDER BY f.id"
    )
    result = conn.exec_driver_sql(sql, params).fetchall()
    return [r[1] for r in result if r[1] is not None], int(result[0][0])


def items(*, conn: Connection, spec: LayerSpec, personal: bool, query: ItemsQuery) -> ItemsPage:
    """One page of features of ``spec`` as GeoJSON text.

    Parameters
    ----------
    conn
        An open connection to the PostGIS database (its transaction may get local planner
        settings: do not reuse it for other work before it ends).
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
        when it is cheap to know, how many match in all (always when at most
        ``COUNT_CAP``).
    """
    visible = spec.visible_properties(personal=personal)
    props = [p for p in visible if query.properties is None or p.name in query.properties]
    conds, params = _conditions(spec, query, personal)
    where = _where(conds)
    feature = _feature_sql(spec, props, personal)
    params.update(p_limit=query.limit + 1, p_offset=query.offset)
    plan, bounds = _plan(conn, spec, query, personal)
    total: int | None = None
    if plan == "hits":
        rows, total = _hits_page(conn, spec, feature, where, params)
    else:
        order = [
            f"{p.expr} {'ASC' if asc else 'DESC'}"
            for name, asc in query.sortby
            if (p := spec.prop(name)) is not None
        ]
        order.append(f"s.{spec.id_column}")
        if plan == "scan":
            assert bounds is not None
            if bounds.lower <= COUNT_CAP:  # count before the planner settings change
                total = _capped_count(conn, spec, where, params)
            conn.exec_driver_sql(FORCE_ID_ORDER)
        sql = (
            f"SELECT {feature} FROM {spec.source} s WHERE {where} "
            f"ORDER BY {', '.join(order)} LIMIT %(p_limit)s OFFSET %(p_offset)s"
        )
        rows = [r[0] for r in conn.exec_driver_sql(sql, params).fetchall()]
    has_next = len(rows) > query.limit
    rows = rows[: query.limit]
    matched: int | None
    if total is not None:
        matched = total if total <= COUNT_CAP or plan == "hits" else None
    elif not has_next and (rows or query.offset == 0):
        matched = query.offset + len(rows)
    elif plan == "scan":
        matched = None  # more than COUNT_CAP match: the aggregate cells say so
    else:
        n = _capped_count(conn, spec, where, params)
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
