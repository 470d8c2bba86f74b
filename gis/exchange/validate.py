"""Row checks that need no database: required values, codes, duplicates, types, geometry.

Invalid polygons are repaired with ``make_valid`` only when the repair keeps the (planar)
area within 1 %; otherwise the row is rejected — a bow-tie's two triangles are not what the
surveyor meant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from gis.exchange.report import Problem
from gis.exchange.schema import LayerSchema, code_problem, match_columns, parent_of

REPAIR_AREA_TOLERANCE = 0.01


@dataclass
class CheckedRows:
    """Rows that passed (as dicts with ``geometry`` in EPSG:4326) and the findings."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # file header → field


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip() or v is pd.NaT


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def polygon_or_problem(geom: BaseGeometry) -> tuple[MultiPolygon | None, str | None, bool]:
    """(multipolygon, problem, repaired) for a polygonal geometry."""
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return (
            None,
            f"几何类型错误，应为面 (wrong geometry type {geom.geom_type}, want Polygon)",
            False,
        )
    repaired = False
    if not shapely.is_valid(geom):
        reason = shapely.is_valid_reason(geom)
        fixed = shapely.make_valid(geom)
        parts = [p for p in shapely.get_parts(shapely.get_parts(fixed)) if p.geom_type == "Polygon"]
        fixed_mp = MultiPolygon(parts) if parts else None
        before, after = abs(geom.area), (fixed_mp.area if fixed_mp else 0.0)
        change = abs(after - before) / before if before > 0 else math.inf
        if fixed_mp is None or change > REPAIR_AREA_TOLERANCE:
            pct = "∞" if math.isinf(change) else f"{change:.1%}"
            return (
                None,
                f"几何无效且修复会改变面积 {pct} (invalid geometry: {reason}; repair would change "
                "the area by more than 1%)",
                False,
            )
        geom, repaired = fixed_mp, True
    if geom.geom_type == "Polygon":
        geom = MultiPolygon([geom])
    if geom.area <= 0:
        return None, "面积为零 (zero-area polygon)", False
    return geom, None, repaired  # type: ignore[return-value]


def _point_or_problem(geom: BaseGeometry) -> tuple[Point | None, str | None]:
    if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if geom.geom_type != "Point":
        return None, f"几何类型错误，应为点 (wrong geometry type {geom.geom_type}, want Point)"
    return geom, None  # type: ignore[return-value]


def _value(f_kind: str, raw: Any) -> tuple[Any, str | None]:
    if f_kind in ("text", "code"):
        return _text(raw), None
    if f_kind in ("int", "number"):
        try:
            num = float(_text(raw).replace(",", ""))
        except ValueError:
            return None, "不是数字 (not a number)"
        if not math.isfinite(num) or num < 0:
            return None, "应为非负数 (must be a non-negative number)"
        if f_kind == "int":
            if not num.is_integer():
                return None, "应为整数 (must be a whole number)"
            return int(num), None
        return num, None
    # datetime: naive values are Beijing time
    try:
        ts = pd.Timestamp(raw if isinstance(raw, pd.Timestamp) else _text(raw))
    except (ValueError, TypeError):
        return None, "不是日期时间 (not a date/time, use 2025-03-01 08:30)"
    if ts is pd.NaT:
        return None, "不是日期时间 (not a date/time)"
    if ts.tzinfo is None:
        ts = ts.tz_localize("Asia/Shanghai")
    return ts.to_pydatetime(), None


def check_rows(
    schema: LayerSchema, frame: pd.DataFrame, geoms: np.ndarray, *, replace: bool = True
) -> CheckedRows:
    """Check every row of ``frame`` against ``schema``.

    Parameters
    ----------
    schema
        The target layer.
    frame
        Attribute columns as read from the file (any headers).
    geoms
        The rows' geometries, already in EPSG:4326.

    Returns
    -------
    CheckedRows
        Clean rows keyed by field name (plus ``row`` and ``geometry``) and the problems.
    """
    out = CheckedRows(columns=match_columns(schema, [str(c) for c in frame.columns]))
    have = set(out.columns.values())
    for f in schema.fields:
        if f.required and f.name not in have:
            aliases = "/".join(f.aliases[:4])
            out.problems.append(
                Problem.make(None, f.name, f"缺少必填列 (missing required column; also {aliases})")
            )
    if out.problems:
        return out
    fields = {f.name: f for f in schema.fields}
    seen: dict[str, int] = {}
    records = frame.rename(columns=out.columns)[list(out.columns.values())].to_dict("records")
    for i, (rec, geom) in enumerate(zip(records, geoms, strict=True), start=1):
        bad: list[Problem] = []
        row: dict[str, Any] = {"row": i}
        for name, raw in rec.items():
            f = fields[name]
            if _blank(raw):
                if f.required:
                    bad.append(Problem.make(i, name, "必填项为空 (required value is empty)"))
                continue
            val, why = _value(f.kind, raw)
            if why is None and f.choices is not None:
                labels = {v: k for k, v in f.choices.items()}
                if val in labels:
                    val = labels[val]
                elif val not in f.choices:
                    why = "取值无效 (not one of: " + ", ".join(f.choices) + ")"
            if why:
                bad.append(Problem.make(i, name, why, raw))
            else:
                row[name] = val
        code_field = schema.code_field
        if code_field and code_field in row:
            code = row[code_field]
            why = code_problem(schema.id, code)
            if why:
                bad.append(Problem.make(i, code_field, why, code))
            elif code in seen:
                bad.append(
                    Problem.make(
                        i, code_field, f"编码重复，与第 {seen[code]} 行相同 (duplicate)", code
                    )
                )
            else:
                seen[code] = i
                _check_parent(schema, row, code, i, bad)
        bad.extend(_check_geometry(schema, geom, i, row))
        if schema.id == "cases":
            _check_case(row, i, bad)
        out.problems.extend(bad)
        if not any(p.severity == "error" for p in bad):
            out.rows.append(row)
    return out


def _check_parent(schema: LayerSchema, row: dict[str, Any], code: str, i: int, bad: list) -> None:
    key = {"communities": "parent_code", "grids": "community_code"}.get(schema.id)
    if key is None:
        return
    implied = parent_of(schema.id, code)
    if key in row and row[key] != implied:
        bad.append(
            Problem.make(
                i, key, f"与编码不符，编码表明应为 {implied} (does not match the code)", row[key]
            )
        )
    row[key] = implied


def _check_geometry(schema: LayerSchema, geom: Any, i: int, row: dict[str, Any]) -> list[Problem]:
    if geom is None or shapely.is_missing(geom) or shapely.is_empty(geom):
        return [Problem.make(i, "geometry", "缺少几何 (missing geometry)")]
    if not np.all(np.isfinite(shapely.get_coordinates(geom))):
        return [Problem.make(i, "geometry", "坐标不是有效数字 (non-finite coordinates)")]
    if schema.geometry == "point":
        pt, why = _point_or_problem(geom)
        if why:
            return [Problem.make(i, "geometry", why, geom.geom_type)]
        row["geometry"] = pt
        return []
    mp, why, repaired = polygon_or_problem(geom)
    if why:
        return [Problem.make(i, "geometry", why, geom.geom_type)]
    row["geometry"] = mp
    if repaired:
        return [
            Problem.make(
                i,
                "geometry",
                "几何无效，已修复 (invalid geometry repaired, area kept within 1%)",
                warn=True,
            )
        ]
    return []


def _check_case(row: dict[str, Any], i: int, bad: list) -> None:
    closed, reported = row.get("closed_at"), row.get("reported_at")
    state = row.setdefault("state", "closed" if closed else "reported")
    if state == "closed" and closed is None:
        bad.append(
            Problem.make(i, "closed_at", "已结案案卷需要结案时间 (closed case needs closed_at)")
        )
    if closed is not None and reported is not None and closed < reported:
        bad.append(
            Problem.make(
                i, "closed_at", "结案时间早于上报时间 (closed before it was reported)", closed
            )
        )
