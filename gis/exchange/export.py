"""Export a layer, filtered like the OGC items (bbox, datetime, CQL2), to a file.

Formats: GeoPackage, Shapefile (zipped, UTF-8 with a ``.cpg`` so Chinese text survives),
GeoJSON, CSV (UTF-8 with BOM, lon/lat for points and WKT for polygons) and XLSX. Column
names are the ones :mod:`gis.exchange.importer` reads, so an export imports back unchanged.
For boundary layers ``datetime`` selects the generation(s) in effect then.

CQL2 filters are evaluated against the layer as the map catalogue (``layers/``) shows it —
its queryable properties, its source and its row rules — and reach the export as a
:class:`gis.exchange.filters.RowFilter` (built by ``layers.cql.export_filter``).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, Unprocessable
from gis.exchange.filters import RowFilter
from gis.exchange.schema import SCHEMAS

MAX_FEATURES = 200_000
XLSX_CELL_LIMIT = 32_767

MEDIA = {
    "gpkg": ("application/geopackage+sqlite3", ".gpkg"),
    "shp": ("application/zip", ".zip"),
    "geojson": ("application/geo+json", ".geojson"),
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}

_ADMIN = (
    "SELECT code, name, unit_type, parent_code, households, population, boundary_source, "
    "valid_from, valid_to, geom FROM admin_units WHERE level = {level}"
)
# Columns and tables are written here, in code; requests only choose among the keys.
LAYER_SQL: dict[str, str] = {
    "townships": _ADMIN.format(level=4),
    "communities": _ADMIN.format(level=5),
    "grids": (
        "SELECT code, name, community_code, kind, households, population, boundary_source, "
        "valid_from, valid_to, geom FROM grids WHERE true"
    ),
    "facilities": (
        "SELECT id, name, kind, status, community_code, floor_area_m2, updated_at, geom "
        "FROM facilities WHERE true"
    ),
    "projects": (
        "SELECT id, name, facility_kind, community_code, planned_floor_area, responsible_unit, "
        "budget_total, spent_to_date, plan_group, created_at, {personal} site AS geom "
        "FROM projects WHERE true"
    ),
    "cases": (
        "SELECT case_no, category_code, description, address, state, reported_at, closed_at, "
        "township_code, community_code, grid_code, {personal} geom FROM cases WHERE true"
    ),
}
PERSONAL = {
    "projects": "contact_name, contact_phone,",
    "cases": "reporter_name, reporter_phone,",
}
TIME_COLUMN = {"facilities": "updated_at", "projects": "created_at", "cases": "reported_at"}
GEOM_COLUMN = {"projects": "site"}
BOUNDARY = frozenset({"townships", "communities", "grids"})


@dataclass(frozen=True)
class ExportQuery:
    """A layer and its filters (the OGC items parameters)."""

    layer: str
    format: str = "geojson"
    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # inclusive
    community: str | None = None
    sees_personal: bool = False
    filter: RowFilter | None = None
    limit: int = MAX_FEATURES


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    media_type: str
    count: int


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in EPSG:4326, or :class:`InvalidInput` naming ``bbox``."""
    if not text:
        return None
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise InvalidInput(
            f"bbox 应为 minx,miny,maxx,maxy (bbox must be four numbers, min before max): {text!r}",
            field="bbox",
        )
    return parts  # type: ignore[return-value]


def parse_datetime(text: str | None) -> tuple[datetime | None, datetime | None]:
    """An instant or an interval ``a/b`` (``..`` for open ends), as in OGC API Features."""
    if not text:
        return None, None

    def one(v: str) -> datetime | None:
        if v in ("", ".."):
            return None
        try:
            ts = pd.Timestamp(v)
        except ValueError:
            raise InvalidInput(
                f"datetime 格式无效 (use RFC 3339, e.g. 2026-01-01T00:00:00Z or a/b): {text!r}",
                field="datetime",
            ) from None
        if ts.tzinfo is None:
            ts = ts.tz_localize("Asia/Shanghai")
        return ts.to_pydatetime()

    if "/" in text:
        a, b = text.split("/", 1)
        start, end = one(a), one(b)
        if start and end and start > end:
            raise InvalidInput(
                "datetime 区间起点晚于终点 (interval start after end)", field="datetime"
            )
        return start, end
    t = one(text)
    return t, t


def _sql(q: ExportQuery) -> tuple[str, dict[str, Any]]:
    base = LAYER_SQL[q.layer].format(personal=PERSONAL.get(q.layer, "") if q.sees_personal else "")
    geom = GEOM_COLUMN.get(q.layer, "geom")
    where: list[str] = []
    params: dict[str, Any] = {}
    if q.bbox:
        where.append(
            f"ST_Intersects({geom}, ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326))"
        )
        params.update(dict(zip(("x0", "y0", "x1", "y1"), q.bbox, strict=True)))
    if q.layer in BOUNDARY:
        # the generation(s) in effect during [start, end]; the current one by default
        if q.start is None and q.end is None:
            where.append("valid_to IS NULL")
        else:
            if q.end is not None:
                where.append("valid_from <= CAST(%(end)s AS date)")
                params["end"] = q.end
            if q.start is not None:
                where.append("(valid_to IS NULL OR valid_to > CAST(%(start)s AS date))")
                params["start"] = q.start
    else:
        col = TIME_COLUMN[q.layer]
        if q.start is not None:
            where.append(f"{col} >= %(start)s")
            params["start"] = q.start
        if q.end is not None:
            where.append(f"{col} <= %(end)s")
            params["end"] = q.end
    if q.community:
        where.append("community_code = %(community)s")
        params["community"] = q.community
    if q.filter is not None:
        where.append(q.filter.sql)
        params.update(q.filter.params)
    if q.layer == "cases" and not q.sees_personal:
        where.append(
            "category_code NOT IN (SELECT code FROM categories WHERE sensitive "
            "OR parent_code IN (SELECT code FROM categories WHERE sensitive))"
        )
    sql = base + "".join(f" AND {w}" for w in where)
    order = (
        "code"
        if q.layer in ("townships", "communities", "grids")
        else ("case_no" if q.layer == "cases" else "id")
    )
    return (
        f"{sql} ORDER BY {order}, valid_from" if q.layer in BOUNDARY else f"{sql} ORDER BY {order}",
        params,
    )


def _count(session: Session, sql: str, params: dict[str, Any], *, filtered: bool) -> int:
    """How many rows match. A CQL2 filter whose values do not fit the properties' types
    (``households > 'abc'``) fails in PostgreSQL: that is the caller's 400, naming ``filter``,
    and only the savepoint is rolled back."""
    if not filtered:
        return int(
            session.connection()
            .exec_driver_sql(f"SELECT count(*) FROM ({sql}) q", params)
            .scalar_one()
        )
    try:
        with session.begin_nested():
            return int(
                session.connection()
                .exec_driver_sql(f"SELECT count(*) FROM ({sql}) q", params)
                .scalar_one()
            )
    except (sa_exc.DataError, sa_exc.ProgrammingError) as exc:
        diag = getattr(getattr(exc, "orig", None), "diag", None)
        why = (getattr(diag, "message_primary", None) or "type mismatch")[:200]
        raise InvalidInput(
            f"过滤条件与属性类型不符 (the filter does not fit the property types): {why}",
            field="filter",
        ) from None


def read_layer(*, session: Session, query: ExportQuery) -> gpd.GeoDataFrame:
    """The layer's features matching ``query`` as a GeoDataFrame (EPSG:4326).

    Raises
    ------
    InvalidInput
        Unknown layer; a filter whose values do not fit the properties' types.
    Unprocessable
        More than ``query.limit`` features match: narrow the filter.
    """
    if query.layer not in LAYER_SQL:
        raise InvalidInput(
            f"不支持的图层 (unknown layer): {query.layer!r}; accepted: {', '.join(LAYER_SQL)}",
            field="layer",
        )
    sql, params = _sql(query)  # pyformat placeholders, run as the driver's SQL
    conn = session.connection()
    n = _count(session, sql, params, filtered=query.filter is not None)
    if n > query.limit:
        raise Unprocessable(
            f"要导出的要素过多 ({n:,} > {query.limit:,}) (too many features): narrow it with bbox, "
            "datetime, community or filter",
            field="bbox",
        )
    rows = conn.exec_driver_sql(f"SELECT *, ST_AsBinary(geom) AS _wkb FROM ({sql}) q", params)
    frame = pd.DataFrame(rows.mappings().all())
    if frame.empty:
        cols = [c for c in rows.keys() if c not in ("geom", "_wkb")]  # noqa: SIM118
        return gpd.GeoDataFrame(columns=cols, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    geoms = shapely.from_wkb([bytes(b) for b in frame["_wkb"]])
    frame = frame.drop(columns=["geom", "_wkb"])
    for col in frame.columns:
        frame[col] = frame[col].map(_plain)
    if query.layer == "grids" or query.layer in ("townships", "communities"):
        frame = frame.drop(columns=["valid_to"]) if frame["valid_to"].isna().all() else frame
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def export_layer(*, session: Session, query: ExportQuery) -> ExportFile:
    """Export ``query.layer`` to ``query.format``.

    Examples
    --------
    >>> f = export_layer(session=s, query=ExportQuery(layer="grids", format="shp"))  # doctest: +SKIP
    >>> f.filename, f.media_type  # doctest: +SKIP
    ('grids.zip', 'application/zip')
    """
    if query.format not in MEDIA:
        raise InvalidInput(
            f"不支持的导出格式 (unknown format): {query.format!r}; accepted: {', '.join(MEDIA)}",
            field="format",
        )
    gdf = read_layer(session=session, query=query)
    media, ext = MEDIA[query.format]
    content = write_frame(gdf, layer=query.layer, fmt=query.format)
    return ExportFile(content, f"{query.layer}{ext}", media, len(gdf))


def write_frame(gdf: gpd.GeoDataFrame, *, layer: str, fmt: str) -> bytes:
    """Serialise a GeoDataFrame to the bytes of one file of ``fmt``."""
    if fmt in ("csv", "xlsx"):
        return _table(gdf, fmt)
    with tempfile.TemporaryDirectory(prefix="gridmap-export-") as tmp:
        if fmt == "shp":
            short = SCHEMAS[layer].shp_names if layer in SCHEMAS else {}
            out = gdf.rename(columns={k: v for k, v in short.items() if k in gdf.columns})
            path = Path(tmp) / f"{layer}.shp"
            pyogrio.write_dataframe(out, path, encoding="UTF-8")
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for part in sorted(Path(tmp).iterdir()):
                    zf.write(part, part.name)
            return buf.getvalue()
        ext = {"gpkg": ".gpkg", "geojson": ".geojson"}[fmt]
        path = Path(tmp) / f"{layer}{ext}"
        kwargs: dict[str, Any] = {"layer": layer} if fmt == "gpkg" else {}
        pyogrio.write_dataframe(gdf, path, **kwargs)
        return path.read_bytes()


def _table(gdf: gpd.GeoDataFrame, fmt: str) -> bytes:
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geoms = gdf.geometry.values
    if len(gdf) and all(g is not None and g.geom_type == "Point" for g in geoms):
        frame["lon"] = [g.x for g in geoms]
        frame["lat"] = [g.y for g in geoms]
    else:
        frame["wkt"] = shapely.to_wkt(geoms, rounding_precision=-1)
        if fmt == "xlsx" and len(frame) and frame["wkt"].str.len().max() > XLSX_CELL_LIMIT:
            raise Unprocessable(
                "边界过于精细，无法写入 XLSX 单元格 (a polygon's WKT exceeds the XLSX cell limit): "
                "export to GeoPackage or Shapefile",
                field="format",
            )
    buf = io.BytesIO()
    if fmt == "csv":
        buf.write(frame.to_csv(index=False).encode("utf-8-sig"))
    else:
        frame.to_excel(buf, index=False, engine="openpyxl")
    return buf.getvalue()
