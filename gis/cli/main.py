"""``gridmap``: the operator's command line."""

from __future__ import annotations

import socket

import typer

from gis import migrate
from gis.cli import accounts, db, exchange, ops
from gis.cli.common import console, friendly, progress_bar
from gis.cluster import port_is_free
from gis.db import make_engine, resolve_url
from gis.errors import SetupError
from gis.settings import get_settings

app = typer.Typer(help="gridmap 乐都区网格化管理平台 — operator CLI", no_args_is_help=True)
app.add_typer(db.app, name="db")
demo = typer.Typer(help="示例数据 (demo data)", no_args_is_help=True)
app.add_typer(demo, name="demo")
for _module in (accounts, exchange, ops):
    _module.register(app)


@demo.command("load")
@friendly
def demo_load(
    incidents: int = typer.Option(
        3000, "--incidents", min=0, max=5_000_000, help="示例案卷数量 (number of demo cases)"
    ),
    seed: int = typer.Option(630202, "--seed", help="随机种子 (same seed, same data)"),
) -> None:
    """载入乐都区示例数据 (load the Ledu demo data set)."""
    from gis.demo.load import load_demo

    engine = make_engine(resolve_url(get_settings()), pool_size=1)
    if migrate.pending(engine):
        raise SetupError("数据库结构不是最新 (schema not at head): run `gridmap db migrate`")
    with progress_bar() as update:
        report = load_demo(engine, incidents=incidents, seed=seed, progress=update)
    for table, n in report.counts.items():
        console.print(f"  {table:<14} {n:>9,}")
    for s in report.skipped:
        console.print(f"  [yellow]跳过 (skipped)[/] {s}")
    for note in report.notes:
        console.print(note)


def listen_socket(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A bound, listening TCP socket whose connections get ``TCP_NODELAY``.

    uvicorn's own multi-worker socket is created with ``proto`` 0; accepted sockets inherit
    it and asyncio only sets ``TCP_NODELAY`` when ``proto`` is ``IPPROTO_TCP``, so Nagle's
    algorithm meets the client's delayed ACK and every keep-alive response after the first
    waits ~40 ms. This socket says ``IPPROTO_TCP`` and also sets ``TCP_NODELAY`` on the
    listener (Linux copies it to accepted sockets), whichever event loop serves it.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise SetupError(f"无法监听 {host}:{port} (cannot listen): {exc}") from exc
    sock.set_inheritable(True)
    return sock


def _serve(host: str, port: int, workers: int, loop: str = "auto") -> None:
    """Serve ``api.asgi:app`` with ``workers`` processes sharing one listening socket."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if not port_is_free(port, host if host not in ("0.0.0.0", "::") else "127.0.0.1"):
        raise SetupError(f"端口 {port} 已被占用 (port {port} is in use): set PORT or --port")
    sock = listen_socket(host, port)
    console.print(f"[green]gridmap[/] → http://{host}:{port}/  (OpenAPI /openapi.json)")
    config = uvicorn.Config(
        "api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        loop=loop,  # type: ignore[arg-type]
        log_level="warning",
        proxy_headers=False,
    )
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


@app.command()
@friendly
def serve(
    host: str = typer.Option(None, "--host", help="监听地址 (default 127.0.0.1)"),
    port: int = typer.Option(None, "--port", help="端口 (default $PORT or 8000)"),
    workers: int = typer.Option(None, "--workers", min=1, max=32),
    loop: str = typer.Option(
        "auto", "--loop", help="事件循环 (event loop): auto | asyncio | uvloop"
    ),
) -> None:
    """启动 Web 服务 (serve the API and dashboard)."""
    if loop not in ("auto", "asyncio", "uvloop"):
        raise SetupError(f"--loop 应为 auto、asyncio 或 uvloop (unknown event loop): {loop}")
    s = get_settings()
    resolve_url(s)  # starts the local cluster when it is the embedded default
    _serve(host or s.host, port or s.port, workers or s.workers, loop)


@app.command()
@friendly
def run(
    incidents: int = typer.Option(3000, "--incidents", min=0, max=5_000_000),
    demo_data: bool = typer.Option(True, "--demo/--no-demo", help="载入示例数据"),
) -> None:
    """一键运行: 启动数据库、迁移、载入示例数据、服务 (start, migrate, seed, serve)."""
    from gis.demo.load import load_demo

    s = get_settings()
    engine = make_engine(resolve_url(s), pool_size=1)
    if migrate.pending(engine):
        migrate.upgrade(engine)
    if demo_data:
        with progress_bar() as update:
            report = load_demo(engine, incidents=incidents, progress=update)
        for note in report.notes:  # demo account passwords, shown once
            console.print(note)
    engine.dispose()
    _serve(s.host, s.port, s.workers)


if __name__ == "__main__":
    app()
