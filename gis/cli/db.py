"""``gridmap db …``: the local cluster and migrations."""

from __future__ import annotations

import typer

from gis import migrate
from gis.cli.common import console, friendly
from gis.cluster import LocalCluster
from gis.db import make_engine, resolve_url, server_versions
from gis.errors import SetupError
from gis.settings import get_settings

app = typer.Typer(help="数据库 (database): local cluster and migrations", no_args_is_help=True)


def _cluster() -> LocalCluster:
    settings = get_settings()
    if settings.database_url:
        raise SetupError(
            "DATABASE_URL 已设置, 不使用本地集群 (DATABASE_URL is set: gridmap does "
            "not manage that server)"
        )
    return LocalCluster(settings.pg_dir)


@app.command()
@friendly
def start() -> None:
    """初始化并启动本地 PostGIS (init on first use, then start)."""
    cluster = _cluster()
    url = cluster.ensure(lambda m: console.print(f"· {m}"))
    console.print(f"[green]PostGIS 已运行[/] {url.split('@')[1]}")


@app.command()
@friendly
def stop() -> None:
    """停止本地 PostGIS (stop the local cluster)."""
    _cluster().stop()
    console.print("已停止 (stopped)")


@app.command()
@friendly
def status() -> None:
    """本地集群状态 (running or not, port, data directory)."""
    settings = get_settings()
    if settings.database_url:
        versions = server_versions(make_engine(settings.database_url, pool_size=1))
        console.print(f"外部数据库 (external DATABASE_URL): {versions}")
        return
    cluster = LocalCluster(settings.pg_dir)
    if not cluster.exists():
        console.print(f"未初始化 (not initialised): {cluster.root}")
        raise typer.Exit(3)
    running = cluster.is_running()
    console.print(
        f"{'运行中 (running)' if running else '已停止 (stopped)'} · "
        f"{cluster.url().split('@')[1]} · {cluster.data_dir}"
    )
    raise typer.Exit(0 if running else 3)


@app.command()
@friendly
def url() -> None:
    """打印数据库连接串 (print the DSN)."""
    settings = get_settings()
    typer.echo(settings.database_url or LocalCluster(settings.pg_dir).url())


@app.command(name="migrate")
@friendly
def migrate_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="只列出将执行的迁移"),
    backup: bool = typer.Option(False, "--backup", help="迁移前先备份 (back up first)"),
) -> None:
    """应用数据库迁移 (apply schema migrations to head)."""
    settings = get_settings()
    engine = make_engine(resolve_url(settings), pool_size=1)
    todo = migrate.pending(engine)
    if not todo:
        console.print(f"已是最新 (at head {migrate.head_revision()})")
        return
    console.print(
        f"将从 {migrate.current_revision(engine) or '空库 (empty)'} 迁移到 "
        f"{migrate.head_revision()} (will migrate from the current revision to head):"
    )
    for line in todo:
        console.print(f"  → {line}")
    if dry_run:
        return
    if backup:
        from gis.ops.backup import create_backup
        from gis.ops.pgtarget import PgTarget
        from gis.ops.settings import get_backup_settings

        result = create_backup(
            target=PgTarget.from_settings(settings),
            media_dir=settings.media_dir,
            output=get_backup_settings().backup_dir(settings),
            kind="pre-migrate",
        )
        console.print(f"已备份 (backed up first) → {result.path}")
    migrate.upgrade(engine)
    console.print(f"[green]已迁移到 (migrated to)[/] {migrate.head_revision()}")
