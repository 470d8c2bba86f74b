"""CLI commands: ``gridmap user …`` and ``gridmap apikey …`` (every change is audited)."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from gis.cli.common import console, fail, friendly

user_app = typer.Typer(help="用户账户 (user accounts)", no_args_is_help=True)
key_app = typer.Typer(help="API 密钥 (keys for outside systems)", no_args_is_help=True)


def _actor() -> str:
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        who = str(os.getuid())
    return f"cli:{who}"


@contextmanager
def _session() -> Iterator[Session]:
    from gis.db import make_engine, make_sessionmaker, resolve_url, transaction
    from gis.settings import get_settings

    engine = make_engine(resolve_url(get_settings()), pool_size=1)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            fail("标准输入没有密码 (no password on stdin)", code=2)
        return password
    first = getpass.getpass("密码 (password): ")
    if first != getpass.getpass("再输入一次 (again): "):
        fail("两次输入不一致 (passwords differ)", code=2)
    return first


@user_app.command("add")
@friendly
def user_add(
    name: str = typer.Argument(..., help="用户名 (username)"),
    role: str = typer.Option(
        ..., "--role", help="admin|commander|supervisor|field_staff|handler|planner|viewer"
    ),
    grid: list[str] = typer.Option(
        [], "--grid", help="网格编码 (15 位) 或社区编码 (12 位，表示其全部网格); 可重复"
    ),
    department: str = typer.Option(None, "--department", help="部门代码 (e.g. cityadmin)"),
    display_name: str = typer.Option(None, "--display-name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="从标准输入读取密码 (read the password from stdin)"
    ),
) -> None:
    """新建用户 (add a user)."""
    from gis.accounts.users import UserIn, create_user

    password = _read_password(password_stdin)
    with _session() as session:
        user = create_user(
            session=session,
            user_in=UserIn(
                username=name,
                role=role,
                grids=tuple(grid),
                department=department,
                display_name=display_name,
            ),
            password=password,
            actor=_actor(),
        )
        grids = len(user.grids or [])
    console.print(
        f"[green]已创建 (created)[/] {name} ({role}{f', {grids} grids' if grids else ''})"
    )


@user_app.command("list")
@friendly
def user_list(
    all_: bool = typer.Option(True, "--all/--active", help="包括停用账户 (include disabled)"),
) -> None:
    """用户列表 (list users)."""
    from gis.accounts.users import list_users

    with _session() as session:
        users = [u.public_view() for u in list_users(session=session, include_disabled=all_)]
    for u in users:
        where = u["department"] or (f"{len(u['grids'])} grids" if u["grids"] else "")  # type: ignore[arg-type]
        state = "active" if u["active"] else "disabled"
        typer.echo(f"{u['username']:<20} {u['role']:<12} {state:<9} {where}")


@user_app.command("disable")
@friendly
def user_disable(name: str = typer.Argument(..., help="用户名 (username)")) -> None:
    """停用用户并使其全部登录失效 (disable a user and end their sessions)."""
    from gis.accounts.users import disable_user

    with _session() as session:
        disable_user(session=session, username=name, actor=_actor())
    console.print(f"[yellow]已停用 (disabled)[/] {name}")


@user_app.command("enable")
@friendly
def user_enable(name: str = typer.Argument(..., help="用户名 (username)")) -> None:
    """重新启用用户 (enable a user again)."""
    from gis.accounts.users import UserChanges, update_user

    with _session() as session:
        update_user(
            session=session, username=name, changes=UserChanges(active=True), actor=_actor()
        )
    console.print(f"[green]已启用 (enabled)[/] {name}")


@user_app.command("passwd")
@friendly
def user_passwd(
    name: str = typer.Argument(..., help="用户名 (username)"),
    password_stdin: bool = typer.Option(False, "--password-stdin"),
) -> None:
    """设置密码并解除锁定 (set a password, clear the lock-out, sign out everywhere)."""
    from gis.accounts.users import set_password

    password = _read_password(password_stdin)
    with _session() as session:
        set_password(session=session, username=name, password=password, actor=_actor())
    console.print(f"[green]密码已更新 (password set)[/] {name}")


@key_app.command("create")
@friendly
def key_create(
    name: str = typer.Argument(..., help="密钥名称, 如对方系统名 (key name)"),
    role: str = typer.Option("viewer", "--role", help="viewer|planner"),
) -> None:
    """新建 API 密钥; 密钥只显示这一次 (create a key; it is printed once, to stdout)."""
    from gis.accounts.apikeys import create_api_key

    with _session() as session:
        _, key = create_api_key(session=session, name=name, role=role, actor=_actor())
    console.print(f"[green]已创建 (created)[/] {name}; 请立即保存, 不会再次显示 (shown only now):")
    typer.echo(key)


@key_app.command("revoke")
@friendly
def key_revoke(name: str = typer.Argument(..., help="密钥名称 (key name)")) -> None:
    """吊销 API 密钥 (revoke a key)."""
    from gis.accounts.apikeys import revoke_api_key

    with _session() as session:
        revoke_api_key(session=session, name=name, actor=_actor())
    console.print(f"[yellow]已吊销 (revoked)[/] {name}")


@key_app.command("list")
@friendly
def key_list() -> None:
    """API 密钥列表 (list keys: names and prefixes only)."""
    from gis.accounts.apikeys import list_api_keys

    with _session() as session:
        rows = [k.public_view() for k in list_api_keys(session=session)]
    for k in rows:
        state = "revoked" if k["revoked_at"] else "live"
        typer.echo(f"{k['name']:<24} {k['role']:<8} {k['prefix']}…  {state}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``gridmap`` app."""
    app.add_typer(user_app, name="user")
    app.add_typer(key_app, name="apikey")
