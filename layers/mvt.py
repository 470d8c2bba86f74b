"""Mapbox vector tiles built in PostGIS from a layer spec.

Every statement is assembled from the spec (code) and bound numbers only; nothing from a
request becomes SQL text. Features are selected with the spatial index (``&&`` against the
buffered tile envelope), simplified by zoom and encoded by ``ST_AsMVT``. Incidents come as
points where a tile is sparse and as clusters with counts from ``layer_incident_cells``
(kept exact by triggers) where it is crowded, so no point is ever dropped.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from sqlalchemy.engine import Connection

from gis.errors import InvalidInput, NotFound
from gis.pg import Prepared
from layers.spec import LayerSpec

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 24
HALF = 20037508.342789244
WORLD = 2 * HALF
CELLS = 16  # clusters and density: CELLS × CELLS cells per tile
CELL_SHIFT = 4  # log2(CELLS): cells of zoom z live at level z + 4
AGG_MAX_ZOOM = 15  # levels kept in layer_incident_cells: 4 … 19
CELL_MAX_LEVEL = AGG_MAX_ZOOM + CELL_SHIFT
CLUSTER_CELLS_MAX_ZOOM = AGG_MAX_ZOOM + 1  # z16 clusters from the finest cells (8 × 8)
ANON_CLUSTER_SNAP = 125.0  # metres (Web Mercator; ≈100 m on the ground here)
DEG_PER_M = 1 / 111319.49079327357

ENV = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
ENV_BUF = f"ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {BUFFER / EXTENT!r})"
Params = dict[str, Any]


def check_tile(z: int, x: int, y: int, *, fields: tuple[str, str, str] = ("z", "x", "y")) -> None:
    """Refuse a zoom outside 0–24 (400) and a column or row outside the matrix (404)."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput(f"缩放级别应在 0–{MAX_ZOOM} (zoom out of range): {z}", field=fields[0])
    n = 1 << z
    if not 0 <= x < n:
        raise NotFound(
            f"瓦片列号超出范围 (tile column out of range 0–{n - 1}): {x}", field=fields[1]
        )
    if not 0 <= y < n:
        raise NotFound(f"瓦片行号超出范围 (tile row out of range 0–{n - 1}): {y}", field=fields[2])


def _where(spec: LayerSpec, personal: bool, extra: list[str]) -> str:
    conds = [*extra, *spec.row_filter(personal=personal)]
    return " AND ".join(f"({c})" for c in conds) if conds else "true"


#: Keeps the feature subquery from being merged into the outer one: merged, PostgreSQL clips
#: every geometry twice (``ST_AsMVTGeom`` in the filter and again in the output), ~20 % of a
#: grid tile.
ONCE = "OFFSET 0"


def _tile_props(spec: LayerSpec, personal: bool) -> str:
    cols = [
        f'{p.expr} AS "{p.name}"'
        for p in spec.visible_properties(personal=personal)
        if p.in_tiles and p.name != "id"
    ]
    return ", ".join(cols)


def features_sql(spec: LayerSpec, *, z: int, personal: bool, extra_cols: str = "") -> str:
    """``ST_AsMVT`` of the features of one layer in tile ``%(z)s/%(x)s/%(y)s``."""
    geom = spec.geom_expr(personal=personal)
    tol = spec.simplify * WORLD / (1 << z) / EXTENT * DEG_PER_M if spec.simplify else 0.0
    if tol > 0:
        geom = f"ST_Simplify({geom}, {tol!r})"
    props = _tile_props(spec, personal)
    sel = ", ".join(c for c in (f"s.{spec.id_column} AS __id", props, extra_cols) if c)
    return (
        f"SELECT ST_AsMVT(t, %(layer)s, {EXTENT}, 'geom', '__id') FROM ("
        f"SELECT ST_AsMVTGeom(ST_Transform({geom}, 3857), {ENV}, {EXTENT}, {BUFFER}, true) AS geom, "
        f"{sel} FROM {spec.source} s "
        f"WHERE s.{spec.geom_column} && ST_Transform({ENV_BUF}, 4326) "
        f"AND {_where(spec, personal, [])} {ONCE}) t WHERE t.geom IS NOT NULL"
    )


def _cell_range(z: int, x: int, y: int) -> Params:
    """The aggregate cells of tile ``z/x/y``: 16 × 16 up to z15, 8 × 8 (the finest level) at
    z16."""
    lvl = min(z + CELL_SHIFT, CELL_MAX_LEVEL)
    per = 1 << max(lvl - z, 0)
    return {
        "lvl": lvl,
        "cx0": x * per,
        "cx1": x * per + per - 1,
        "cy0": y * per,
        "cy1": y * per + per - 1,
    }


CELL_WHERE = "level = %(lvl)s AND cx BETWEEN %(cx0)s AND %(cx1)s AND cy BETWEEN %(cy0)s AND %(cy1)s"


def _counts(personal: bool) -> tuple[str, str]:
    if personal:
        return "n", "n_open"
    return "(n - n_sens)", "(n_open - n_open_sens)"


def cluster_sql(*, personal: bool) -> str:
    """Clusters of one tile from the aggregate table: mean position, count, open count."""
    n, n_open = _counts(personal)
    if personal:
        pos = "ST_MakePoint(sx / n, sy / n)"
    else:
        s = ANON_CLUSTER_SNAP
        pos = f"ST_MakePoint(round(psx / {n} / {s}) * {s}, round(psy / {n} / {s}) * {s})"
    return (
        f"SELECT ST_AsMVT(t, %(layer)s, {EXTENT}, 'geom') FROM ("
        f"SELECT ST_AsMVTGeom(ST_SetSRID({pos}, 3857), {ENV}, {EXTENT}, {BUFFER}, true) AS geom, "
        f"{n} AS count, {n_open} AS open_count, true AS cluster "
        f"FROM layer_incident_cells WHERE {CELL_WHERE} AND {n} > 0 {ONCE}) t "
        "WHERE t.geom IS NOT NULL"
    )


def density_sql(*, personal: bool) -> str:
    """Square cells with counts (16×16 per tile) from the aggregate table."""
    n, n_open = _counts(personal)
    size = "(%(world)s / 2 ^ level)"
    box = (
        f"ST_MakeEnvelope(-%(half)s + cx * {size}, %(half)s - (cy + 1) * {size}, "
        f"-%(half)s + (cx + 1) * {size}, %(half)s - cy * {size}, 3857)"
    )
    return (
        f"SELECT ST_AsMVT(t, %(layer)s, {EXTENT}, 'geom') FROM ("
        f"SELECT ST_AsMVTGeom({box}, {ENV}, {EXTENT}, 0, true) AS geom, "
        f"{n} AS count, {n_open} AS open_count "
        f"FROM layer_incident_cells WHERE {CELL_WHERE} AND {n} > 0 {ONCE}) t "
        "WHERE t.geom IS NOT NULL"
    )


def tile_count_sql(*, personal: bool) -> str:
    n, _ = _counts(personal)
    return f"SELECT coalesce(sum({n}), 0) FROM layer_incident_cells WHERE {CELL_WHERE}"


def raw_count_sql(spec: LayerSpec, *, personal: bool, cap: int) -> str:
    """How many points lie in the (unbuffered) tile, counting no further than ``cap``."""
    return (
        f"SELECT count(*) FROM (SELECT 1 FROM {spec.source} s "
        f"WHERE s.{spec.geom_column} && ST_Transform({ENV}, 4326) "
        f"AND {_where(spec, personal, [])} LIMIT {int(cap)}) q"
    )


def live_cluster_sql(spec: LayerSpec, *, personal: bool) -> str:
    """Clusters computed on the fly (zooms past the aggregate table, crowded tiles only)."""
    from layers.catalog.common import OPEN_STATES_SQL

    cell = "(%(world)s / 2 ^ %(z)s / " + str(CELLS) + ")"
    return (
        f"WITH e AS (SELECT {ENV} AS env), p AS ("
        f"SELECT ST_Transform(s.{spec.geom_column}, 3857) AS g, s.state IN {OPEN_STATES_SQL} AS op "
        f"FROM {spec.source} s, e WHERE s.{spec.geom_column} && ST_Transform(e.env, 4326) "
        f"AND {_where(spec, personal, [])} AND ST_Intersects(ST_Transform(s.{spec.geom_column}, "
        f"3857), e.env)) "
        f"SELECT ST_AsMVT(t, %(layer)s, {EXTENT}, 'geom') FROM ("
        f"SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(ST_X(g)), avg(ST_Y(g))), 3857), "
        f"(SELECT env FROM e), {EXTENT}, {BUFFER}, true) AS geom, count(*)::int AS count, "
        f"(count(*) FILTER (WHERE op))::int AS open_count, true AS cluster FROM p "
        f"GROUP BY floor((ST_X(g) + %(half)s) / {cell}), floor((%(half)s - ST_Y(g)) / {cell})"
        f") t WHERE t.geom IS NOT NULL"
    )


def _features_or(spec: LayerSpec, *, z: int, personal: bool, count: str, clusters: str) -> str:
    """Clusters when ``count`` exceeds the spec's point budget, else the points themselves."""
    points = features_sql(spec, z=z, personal=personal, extra_cols="1 AS count, false AS cluster")
    return f"CASE WHEN ({count}) > {int(spec.max_points)} THEN ({clusters}) ELSE ({points}) END"


def layer_sql(spec: LayerSpec, *, z: int, personal: bool) -> str | None:
    """One SQL expression (``bytea``) for the MVT layer of ``spec`` at zoom ``z``, or None.

    Incidents choose between points and clusters inside the statement (``CASE`` runs only
    the branch it needs), so a tile of any layer set costs one round trip.
    """
    if not spec.minzoom <= z <= spec.maxzoom:
        return None
    if spec.kind == "incidents":
        if z <= CLUSTER_CELLS_MAX_ZOOM:
            clusters = cluster_sql(personal=personal)
            if spec.cluster_below is not None and z < spec.cluster_below:
                return f"({clusters})"
            count = tile_count_sql(personal=personal)
        else:
            clusters = live_cluster_sql(spec, personal=personal)
            count = raw_count_sql(spec, personal=personal, cap=spec.max_points + 1)
        return _features_or(spec, z=z, personal=personal, count=count, clusters=clusters)
    if spec.kind == "density":
        return f"({density_sql(personal=personal)})" if z <= AGG_MAX_ZOOM else None
    return f"({features_sql(spec, z=z, personal=personal)})"


def tile_params(z: int, x: int, y: int) -> Params:
    return {"z": z, "x": x, "y": y, "world": WORLD, "half": HALF, **_cell_range(z, x, y)}


VERSIONS_SQL = "(SELECT json_object_agg(source, version) FROM layer_data_versions)"


def tile_sql(specs: list[LayerSpec], *, z: int, personal: bool) -> str:
    """``SELECT versions, tile``: every layer of the tile and the data versions, read from the
    one snapshot of a single statement (so a tile is never cached under newer versions)."""
    parts = []
    for i, spec in enumerate(specs):
        expr = layer_sql(spec, z=z, personal=personal)
        if expr is not None:
            parts.append(f"coalesce({expr.replace('%(layer)s', f'%(layer{i})s')}, ''::bytea)")
    return f"SELECT {VERSIONS_SQL}, {' || '.join(parts) or chr(39) * 2 + '::bytea'}"


def tile_statement(
    specs: list[LayerSpec], *, z: int, x: int, y: int, personal: bool
) -> tuple[str, Params]:
    """The statement and parameters :func:`tile_sql` needs for tile ``z/x/y``."""
    params = tile_params(z, x, y)
    params.update({f"layer{i}": s.id for i, s in enumerate(specs)})
    return tile_sql(specs, z=z, personal=personal), params


#: SQL types of the tile parameters, by Python type.
PARAM_TYPES = {bool: "boolean", int: "int", float: "float8", str: "text"}
#: Distinct tile statements prepared at most (layer sets × zooms × audiences); past it, plain.
MAX_PREPARED = 256
_prepared: dict[str, Prepared] = {}


def prepared(sql: str, params: Params) -> Prepared | str:
    """``sql`` as a statement each connection prepares on first use, or the plain text when
    too many distinct statements exist already. Planning took a fifth of a grid tile's time
    and two fifths of an incident tile's."""
    found = _prepared.get(sql)
    if found is not None:
        return found
    types = {k: PARAM_TYPES.get(type(v)) for k, v in params.items()}
    if len(_prepared) >= MAX_PREPARED or None in types.values():
        return sql
    digest = hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    found = _prepared[sql] = Prepared(f"gridmap_tile_{digest}", sql, types)  # type: ignore[arg-type]
    return found


def render_layer(
    *, conn: Connection, spec: LayerSpec, z: int, x: int, y: int, personal: bool
) -> bytes:
    """One MVT layer (possibly empty bytes) of ``spec`` for tile ``z/x/y``.

    Parameters
    ----------
    conn
        An open connection to the PostGIS database.
    spec
        The layer; its zoom range decides whether anything is drawn.
    personal
        Whether the caller may see personal properties and sensitive rows.

    Returns
    -------
    bytes
        The encoded layer; ``b""`` when the tile holds nothing of it.
    """
    return render_tile(conn=conn, specs=[spec], z=z, x=x, y=y, personal=personal)


def render_tile(
    *, conn: Connection, specs: list[LayerSpec], z: int, x: int, y: int, personal: bool
) -> bytes:
    """One tile holding one MVT layer per spec (MVT layers concatenate into a tile)."""
    sql, params = tile_statement(specs, z=z, x=x, y=y, personal=personal)
    row = conn.exec_driver_sql(sql, params).one()
    return bytes(row[1] or b"")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile (x, y) holding a WGS84 point at zoom ``z``."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_covering(bbox: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """Every XYZ tile (x, y) at zoom ``z`` touching a lon/lat box."""
    x0, y1 = tile_of(bbox[0], bbox[1], z)
    x1, y0 = tile_of(bbox[2], bbox[3], z)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
