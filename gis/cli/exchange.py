"""CLI commands: import, export, report (data exchange and reports)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from gis.cli.accounts import _actor as cli_actor  # cli:<login name>, for the audit log
from gis.cli.common import console, friendly, progress_bar
from gis.db import make_engine, make_sessionmaker, resolve_url
from gis.exchange.report import ImportReport
from gis.settings import get_settings

MAX_ROWS_SHOWN = 200


def _session() -> Session:
    engine = make_engine(resolve_url(get_settings()), pool_size=1)
    return make_sessionmaker(engine)()


def print_report(report: ImportReport) -> None:
    """The import report as a table of problems, then the verdict."""
    console.print(
        f"[bold]{report.file}[/] → {report.layer}  格式 {report.format}  坐标系 {report.source_crs}"
        f"  行数 {report.rows}"
    )
    for note in report.notes:
        console.print(f"  · {note}")
    if report.problems:
        table = Table("行 row", "字段 field", "问题 problem", "值 value", "级别")
        for p in report.problems[:MAX_ROWS_SHOWN]:
            style = "red" if p.severity == "error" else "yellow"
            table.add_row(
                "文件" if p.row is None else str(p.row),
                p.field or "",
                p.problem,
                p.value or "",
                f"[{style}]{p.severity}[/]",
            )
        console.print(table)
        if len(report.problems) > MAX_ROWS_SHOWN:
            console.print(f"  … 另有 {len(report.problems) - MAX_ROWS_SHOWN} 条 (more)")
    if not report.ok:
        console.print(
            f"[bold red]未导入 (nothing written)[/]: {len(report.errors)} 个错误 (errors)"
        )
    elif report.dry_run:
        console.print(
            "[green]检查通过 (all rows pass)[/] — 试运行，未写入 (dry run, nothing written)"
        )
    else:
        console.print(
            f"[green]已导入 (imported)[/] {report.written}  记录号 (import id) {report.import_id}"
        )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``gridmap`` app."""
    register_reports(app)

    @app.command("import")
    @friendly
    def import_(
        layer: str = typer.Argument(
            ..., help="townships | communities | grids | facilities | projects | cases"
        ),
        file: Path = typer.Argument(..., help=".gpkg .zip(.shp) .shp .geojson .csv .xlsx"),
        crs: str = typer.Option(
            None, "--crs", help="源坐标系 (source CRS): wgs84 cgcs2000 gcj02 bd09 epsg:4543 …"
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="只检查，不写入 (report only)"),
        source_layer: str = typer.Option(None, "--source-layer", help="文件内图层名"),
        encoding: str = typer.Option(None, "--encoding", help="强制编码 utf-8 | gbk"),
        valid_from: str = typer.Option(
            None, "--valid-from", help="新边界生效日期 YYYY-MM-DD (default today)"
        ),
        max_mb: int = typer.Option(25, "--max-mb", min=1, max=2048, help="文件大小上限 (MB)"),
    ) -> None:
        """导入文件 (import a file into a layer; all rows or none)."""
        from gis.exchange.importer import ImportRequest, run_import

        vf = date.fromisoformat(valid_from) if valid_from else None
        request = ImportRequest(
            layer=layer,
            path=file,
            crs=crs,
            source_layer=source_layer,
            encoding=encoding,
            dry_run=dry_run,
            valid_from=vf,
            actor=cli_actor(),
            actor_role="admin",
            max_bytes=max_mb * 2**20,
        )
        with _session() as session, progress_bar() as update:
            report = run_import(session=session, request=request, progress=update)
        print_report(report)
        if not report.ok:
            raise typer.Exit(1)

    @app.command("export")
    @friendly
    def export(
        layer: str = typer.Argument(
            ..., help="townships communities grids facilities projects cases"
        ),
        output: Path = typer.Option(..., "--output", "-o", help="输出文件 (output file)"),
        fmt: str = typer.Option(
            None, "--format", "-f", help="gpkg | shp | geojson | csv | xlsx (default: from -o)"
        ),
        bbox: str = typer.Option(None, "--bbox", help="minx,miny,maxx,maxy (EPSG:4326)"),
        datetime_: str = typer.Option(
            None,
            "--datetime",
            help="时间或区间 2026-01-01T00:00:00Z/.. (boundaries: in effect then)",
        ),
        community: str = typer.Option(None, "--community", help="社区代码 (12 digits)"),
        filter_: str = typer.Option(
            None,
            "--filter",
            help='CQL2 过滤 (filter on the map layer\'s queryables), e.g. "households > 400"',
        ),
        filter_lang: str = typer.Option("cql2-text", "--filter-lang", help="cql2-text | cql2-json"),
        personal: bool = typer.Option(
            False, "--personal", help="包含个人信息 (include names and phones)"
        ),
    ) -> None:
        """导出图层 (export a layer, filtered like OGC items)."""
        from gis.exchange.export import ExportQuery, export_layer, parse_bbox, parse_datetime

        ext = {
            ".gpkg": "gpkg",
            ".zip": "shp",
            ".geojson": "geojson",
            ".json": "geojson",
            ".csv": "csv",
            ".xlsx": "xlsx",
        }
        fmt = fmt or ext.get(output.suffix.lower(), "")
        start, end = parse_datetime(datetime_)
        # The command line, like the API, sits above ``layers``: the filter is checked
        # against the layer catalogue's queryables and compiled there.
        from layers import cql

        row_filter = cql.export_filter(layer, filter_, filter_lang, personal=personal)
        query = ExportQuery(
            layer=layer,
            format=fmt,
            bbox=parse_bbox(bbox),
            start=start,
            end=end,
            community=community,
            sees_personal=personal,
            filter=row_filter,
        )
        with _session() as session:
            result = export_layer(session=session, query=query)
        output.write_bytes(result.content)
        console.print(f"[green]已导出 (exported)[/] {result.count} 个要素 → {output}")


def _report_options(start: str | None, end: str | None):  # type: ignore[no-untyped-def]
    from gis.reports.maps import ReportOptions
    from gis.spatial.params import parse_when, window

    w = window(parse_when(start, field="start"), parse_when(end, field="end"))
    return ReportOptions(start=w.start, end=w.end, sees_personal=True)


def _write(output: Path, content: str | bytes) -> None:
    if isinstance(content, str):
        output.write_text(content, encoding="utf-8")
    else:
        output.write_bytes(content)
    console.print(f"[green]已生成 (written)[/] {output} ({output.stat().st_size / 1024:,.0f} KB)")


def register_reports(app: typer.Typer) -> None:
    """``gridmap report community CODE | township CODE | scorecard CODE | projects |
    monthly CODE``."""
    report = typer.Typer(help="地图报告与月报 (map reports, monthly summary)", no_args_is_help=True)
    app.add_typer(report, name="report")
    start_opt = typer.Option(None, "--start", help="案卷起始日期 YYYY-MM-DD (default: 30 days ago)")
    end_opt = typer.Option(None, "--end", help="案卷截止日期 YYYY-MM-DD (default: today)")

    @report.command("community")
    @friendly
    def community(
        code: str = typer.Argument(..., help="社区代码 (12 digits)"),
        output: Path = typer.Option(None, "--output", "-o"),
        start: str = start_opt,
        end: str = end_opt,
    ) -> None:
        """社区地图报告 (map report of a community, self-contained HTML)."""
        from gis.reports.maps import community_report

        with _session() as session:
            html = community_report(session=session, code=code, options=_report_options(start, end))
        _write(output or Path(f"community-{code}.html"), html)

    @report.command("township")
    @friendly
    def township(
        code: str = typer.Argument(..., help="乡镇代码 (12 digits)"),
        output: Path = typer.Option(None, "--output", "-o"),
        start: str = start_opt,
        end: str = end_opt,
    ) -> None:
        """乡镇地图报告 (map report of a township)."""
        from gis.reports.maps import township_report

        with _session() as session:
            html = township_report(session=session, code=code, options=_report_options(start, end))
        _write(output or Path(f"township-{code}.html"), html)

    @report.command("scorecard")
    @friendly
    def scorecard(
        code: str = typer.Argument(..., help="社区代码 (12 digits)"),
        output: Path = typer.Option(None, "--output", "-o"),
    ) -> None:
        """五型社区评估报告 (a community's map beside its scorecard, self-contained HTML)."""
        from gis.projects.config import local_today
        from gis.scorecard.map_report import community_report as scorecard_report

        with _session() as session:
            html = scorecard_report(session=session, code=code, today=local_today())
        _write(output or Path(f"scorecard-{code}.html"), html)

    @report.command("projects")
    @friendly
    def projects(output: Path = typer.Option(None, "--output", "-o")) -> None:
        """建设项目地图 (construction projects by status)."""
        from gis.reports.maps import projects_report

        with _session() as session:
            html = projects_report(session=session)
        _write(output or Path("projects.html"), html)

    @report.command("monthly")
    @friendly
    def monthly(
        code: str = typer.Argument(..., help="乡镇代码 (12 digits)"),
        month: str = typer.Option(None, "--month", help="YYYY-MM (default: last month)"),
        output: Path = typer.Option(None, "--output", "-o", help=".html or .pdf"),
    ) -> None:
        """乡镇月报 (monthly summary: KPIs, top categories, hotspots, chart)."""
        from gis.reports.monthly import monthly_html, monthly_pdf

        out = output or Path(f"monthly-{code}-{month or 'last'}.html")
        with _session() as session:
            if out.suffix.lower() == ".pdf":
                _write(
                    out,
                    monthly_pdf(session=session, township=code, month=month, sees_personal=True),
                )
            else:
                _write(
                    out,
                    monthly_html(session=session, township=code, month=month, sees_personal=True),
                )
