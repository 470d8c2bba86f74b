"""CLI commands: db backup/restore/verify-backup, doctor (operations)."""

from __future__ import annotations

from pathlib import Path

import typer

from gis.cli import db
from gis.cli.common import console, friendly
from gis.ops.disk import human_bytes
from gis.ops.settings import get_backup_settings
from gis.settings import get_settings


def _progress(message: str) -> None:
    console.print(f"· {message}")


@friendly
def backup(
    output: Path = typer.Option(
        None, "--output", "-o", help="备份文件 (FILE.tar) 或目录 (default var/backups)"
    ),
) -> None:
    """备份数据库与照片到一个归档 (back up the database and photos into one archive)."""
    from gis.ops.backup import create_backup
    from gis.ops.pgtarget import PgTarget

    settings = get_settings()
    target = PgTarget.from_settings(settings)
    result = create_backup(
        target=target,
        media_dir=settings.media_dir,
        output=output or get_backup_settings().backup_dir(settings),
        progress=_progress,
    )
    m = result.manifest
    console.print(
        f"[green]备份完成 (backup written)[/] {result.path} · {human_bytes(result.size)} · "
        f"schema {m.schema_revision} · {sum(m.row_counts.values()):,} rows in "
        f"{len(m.row_counts)} tables · {len(m.media_files)} media files · {result.seconds:.1f} s"
    )
    typer.echo(str(result.path))


@friendly
def restore(
    file: Path = typer.Argument(..., help="备份归档 (backup archive)"),
    force: bool = typer.Option(
        False, "--force", help="目标数据库非空时仍替换其内容 (replace a non-empty database)"
    ),
) -> None:
    """从备份恢复到空数据库并校验 (restore a backup into an empty database, verified)."""
    from gis.ops.pgtarget import PgTarget
    from gis.ops.restore import restore_backup

    settings = get_settings()
    report = restore_backup(
        archive_path=file,
        target=PgTarget.from_settings(settings),
        media_dir=settings.media_dir,
        force=force,
        progress=_progress,
    )
    console.print(
        f"[green]恢复完成并已校验 (restored and verified)[/] → {report.target} · backup of "
        f"{report.backup_created_at} · schema {report.schema_revision} · "
        f"{report.geometry_columns} geometry columns match · media {report.media_restored} "
        f"written, {report.media_present} already present · {report.seconds:.1f} s"
    )
    for table, n in report.row_counts.items():
        console.print(f"  {table:<32} {n:>10,}")
    for note in report.notes:
        console.print(f"[yellow]注意 (note):[/] {note}")


@friendly
def verify_backup(file: Path = typer.Argument(..., help="备份归档 (backup archive)")) -> None:
    """校验备份归档而不恢复 (check every checksum of an archive without restoring it)."""
    from gis.ops.archive import open_archive

    with open_archive(file) as archive:
        archive.check_revision()
        archive.verify(_progress)
        m = archive.manifest
    console.print(
        f"[green]备份完好 (backup OK)[/] {file} · {m.created_at} · schema {m.schema_revision} · "
        f"{len(m.files)} files · {sum(m.row_counts.values()):,} rows"
    )


@friendly
def doctor() -> None:
    """运维诊断: 版本、设置、数据库、磁盘、备份 (one screen for a support ticket)."""
    from gis.ops.doctor import collect

    report = collect(get_settings(), get_backup_settings())
    typer.echo(report.render())
    if report.problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``gridmap`` app."""
    db.app.command("backup")(backup)
    db.app.command("restore")(restore)
    db.app.command("verify-backup")(verify_backup)
    app.command("doctor")(doctor)
