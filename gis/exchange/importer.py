"""Import a file into one layer: read, reproject, validate, then write all or nothing.

Examples
--------
>>> req = ImportRequest(layer="grids", path=Path("grids.gpkg"), dry_run=True)  # doctest: +SKIP
>>> report = run_import(session=session, request=req)  # doctest: +SKIP
>>> report.ok, report.written  # doctest: +SKIP
(True, {})
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import audit
from gis import crs as crs_mod
from gis.errors import Unprocessable
from gis.exchange import staging, writers
from gis.exchange.readers import DEFAULT_MAX_BYTES, read_source
from gis.exchange.report import ImportReport, Problem
from gis.exchange.reproject import SourceCrs, resolve_crs, to_storage
from gis.exchange.schema import LayerSchema, get_schema
from gis.exchange.validate import check_rows

Progress = Callable[[str, int, int], None]
STEPS = 5


def _noop(_label: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class ImportRequest:
    """What to import and how."""

    layer: str
    path: Path
    file_name: str | None = None  # shown in the report (uploads arrive under a temp name)
    crs: str | None = None
    source_layer: str | None = None
    encoding: str | None = None
    dry_run: bool = False
    valid_from: date | None = None
    actor: str = "cli"
    actor_role: str | None = None
    client: str | None = None  # the uploader's address (for the audit log)
    max_bytes: int = DEFAULT_MAX_BYTES


def run_import(
    *, session: Session, request: ImportRequest, progress: Progress = _noop
) -> ImportReport:
    """Import ``request.path`` into ``request.layer``.

    Nothing is written unless every row passes; the write (new boundary generation, inserted
    rows and the ``import_runs`` entry) is one transaction, committed on the ``session``.

    Parameters
    ----------
    session
        A session with no pending work; it is committed (or rolled back) here.
    request
        The file, target layer, source CRS and options.
    progress
        Called as ``progress(label, done, total)``.

    Returns
    -------
    ImportReport
        Row-level problems, notes and counts; ``report.ok`` tells whether it passed.

    Raises
    ------
    InvalidInput, TooLarge, Unprocessable
        The file as a whole cannot be used (unknown type, too large, damaged, empty, no CRS,
        coordinates that do not fit the CRS …); the message says why.
    """
    schema = get_schema(request.layer)
    report = ImportReport(
        layer=schema.id, file=request.file_name or request.path.name, dry_run=request.dry_run
    )
    progress("读取文件 (reading)", 0, STEPS)
    table = read_source(
        request.path,
        source_layer=request.source_layer,
        encoding=request.encoding,
        max_bytes=request.max_bytes,
    )
    report.format, report.encoding, report.rows = table.format, table.encoding, len(table.frame)
    report.notes.extend(table.notes)
    if report.rows == 0:
        raise Unprocessable(f"文件中没有要素 (no features in {report.file})", field="file")
    src = resolve_crs(declared=table.declared_crs, given=request.crs, fmt=table.format)
    report.source_crs = f"{src.label} ({src.how})"
    if src.how == "assumed":
        report.notes.append("未声明坐标系，按 WGS84/CGCS2000 读取 (no CRS declared: read as WGS84)")
    progress("坐标转换 (reprojecting)", 1, STEPS)
    geoms = to_storage(table.frame["geometry"].to_numpy(), src)
    progress("检查 (checking rows)", 2, STEPS)
    checked = check_rows(schema, table.frame.drop(columns=["geometry"]), geoms)
    report.problems.extend(checked.problems)
    valid_from = request.valid_from or date.today()
    report.valid_from = valid_from.isoformat() if schema.id in _BOUNDARY_LEVEL else None
    try:
        if checked.rows:
            progress("空间检查 (PostGIS checks)", 3, STEPS)
            _database_checks(session, schema, checked.rows, report, src)
        if report.ok and checked.rows and not request.dry_run:
            progress("写入 (writing)", 4, STEPS)
            report.written = _write(session, schema, checked.rows, request, valid_from)
            report.import_id = _log(session, request, report, valid_from)
        staging.drop_stage(session)
        if report.committed:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    report.problems.sort(key=lambda p: (p.row or 0, p.field or ""))
    progress("完成 (done)", STEPS, STEPS)
    return report


_BOUNDARY_LEVEL = {"townships": 4, "communities": 5, "grids": 6}


def _database_checks(
    session: Session,
    schema: LayerSchema,
    rows: list[dict[str, Any]],
    report: ImportReport,
    src: SourceCrs,
) -> None:
    parent = {"communities": "parent_code"}.get(schema.id, "community_code")
    if schema.id in ("townships", "cases"):
        parent = None  # type: ignore[assignment]
    staging.stage_rows(session, rows, key=schema.code_field, parent=parent)
    by_row = {r["row"]: r for r in rows}
    bad: list[Problem] = []
    outside = staging.outside_rows(session)
    hint = ""
    if outside and src.key == "wgs84":
        shifted = [_gcj_to_wgs(by_row[i]["geometry"]) for i in outside]
        if any(staging.inside_district(session, shifted)):
            hint = "; 若按 GCJ-02 读取则在区内 (inside if read as GCJ-02): re-run with --crs gcj02"
    for i in outside:
        bad.append(
            Problem.make(i, "geometry", "不在乐都区范围内 (outside the district 630202)" + hint)
        )
    if schema.id in ("townships", "communities", "grids"):
        bad.extend(staging.overlaps_in_file(session))
    if schema.id in ("communities", "grids", "facilities", "projects"):
        level = 4 if schema.id == "communities" else 5
        for i, code in staging.unknown_parents(session, level=level):
            bad.append(Problem.make(i, parent, "上级区划代码不存在 (unknown parent code)", code))
    if schema.id == "grids":
        bad.extend(staging.grid_problems(session))
    if schema.id in ("facilities", "projects"):
        for i, code in staging.derive_community(session).items():
            by_row[i].setdefault("community_code", code)
        if schema.id == "projects":
            for r in rows:
                if not r.get("community_code"):
                    bad.append(
                        Problem.make(
                            r["row"], "community_code", "无法确定所属社区 (no community here)"
                        )
                    )
    if schema.id == "cases":
        _case_checks(session, rows, by_row, bad)
    report.problems.extend(bad)


def _gcj_to_wgs(geom: Any) -> Any:
    import shapely

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = crs_mod.gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def _case_checks(
    session: Session, rows: list[dict[str, Any]], by_row: dict[int, dict[str, Any]], bad: list
) -> None:
    for i, no in staging.existing_keys(session, table="cases", column="case_no"):
        bad.append(Problem.make(i, "case_no", "案卷号已存在 (case number already exists)", no))
    cats = {
        str(code): str(code)
        for code in session.execute(
            sa.text("SELECT code FROM categories WHERE level = 2")
        ).scalars()
    }
    for code, name in session.execute(sa.text("SELECT code, name FROM categories WHERE level = 2")):
        cats.setdefault(str(name), str(code))
    for r in rows:
        code = cats.get(r.get("category_code", ""))
        if code is None:
            bad.append(
                Problem.make(
                    r["row"],
                    "category_code",
                    "未知小类 (unknown category: give a 4-digit 小类 code or its name)",
                    r.get("category_code"),
                )
            )
        else:
            r["category_code"] = code
    for i, where in staging.locate_rows(session).items():
        by_row[i].update({k: v for k, v in where.items() if k != "row"})


def _write(
    session: Session,
    schema: LayerSchema,
    rows: list[dict[str, Any]],
    request: ImportRequest,
    valid_from: date,
) -> dict[str, int]:
    if schema.id in ("townships", "communities"):
        for r in rows:
            if schema.id == "townships":
                r["parent_code"] = "630202000000"
        return writers.write_admin_units(
            session, rows, level=_BOUNDARY_LEVEL[schema.id], valid_from=valid_from
        )
    if schema.id == "grids":
        return writers.write_grids(session, rows, valid_from=valid_from)
    if schema.id == "facilities":
        return writers.write_facilities(session, rows)
    if schema.id == "projects":
        return writers.write_projects(session, rows)
    note = f"导入自 {request.file_name or request.path.name} (imported)"
    return writers.write_cases(session, rows, actor=request.actor, note=note)


def _log(session: Session, request: ImportRequest, report: ImportReport, valid_from: date) -> int:
    warnings = [p.__dict__ for p in report.problems if p.severity == "warning"]
    run_id = int(
        session.execute(
            sa.text(
                "INSERT INTO import_runs (actor, layer, file_name, file_format, source_crs, "
                "encoding, valid_from, rows_read, inserted, retired, warnings) VALUES (:actor, "
                ":layer, :file, :fmt, :crs, :enc, :vf, :rows, :ins, :ret, CAST(:w AS jsonb)) "
                "RETURNING id"
            ),
            {
                "actor": request.actor,
                "layer": report.layer,
                "file": report.file,
                "fmt": report.format,
                "crs": report.source_crs,
                "enc": report.encoding,
                "vf": valid_from if report.valid_from else None,
                "rows": report.rows,
                "ins": report.written.get("inserted", 0),
                "ret": report.written.get("retired", 0),
                "w": json.dumps(warnings, ensure_ascii=False),
            },
        ).scalar_one()
    )
    audit.record(
        session=session,
        actor=request.actor,
        role=request.actor_role,
        client=request.client,
        action="import.run",
        object_type="import",
        object_id=run_id,
        after={
            "layer": report.layer,
            "file": report.file,
            "format": report.format,
            "source_crs": report.source_crs,
            "encoding": report.encoding,
            "rows": report.rows,
            "written": report.written,
            "generation_valid_from": valid_from if report.valid_from else None,
            "warnings": len(warnings),
        },
    )
    return run_id
