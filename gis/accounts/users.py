"""User accounts: create, change, disable, list. Every change is audited in the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import audit
from gis.accounts.models import ROLES, RefreshToken, User
from gis.accounts.passwords import hash_password
from gis.errors import Conflict, InvalidInput, NotFound

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
GRID_RE = re.compile(r"^630202[0-9]{9}$")
COMMUNITY_RE = re.compile(r"^630202[0-9]{6}$")


def check_name(name: str, *, field: str = "username") -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InvalidInput(
            f"名称须为 2–64 个字母、数字或 _.@- (invalid {field}): {str(name)[:80]!r}",
            field=field,
        )


@dataclass(frozen=True)
class UserIn:
    """A new account. ``grids`` may hold 15-digit grid codes or 12-digit community codes."""

    username: str
    role: str
    grids: tuple[str, ...] = ()
    department: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class UserChanges:
    """Fields to change (None: leave as is)."""

    role: str | None = None
    grids: tuple[str, ...] | None = None
    department: str | None = None
    display_name: str | None = None
    active: bool | None = None
    clear_department: bool = False


def resolve_grids(*, session: Session, codes: tuple[str, ...] | list[str]) -> list[str]:
    """Current grid codes for ``codes``; a community code stands for all its grids.

    Raises
    ------
    InvalidInput
        A code that is malformed or names no current grid or community.
    """
    out: set[str] = set()
    for code in codes:
        if GRID_RE.match(code):
            found = session.execute(
                sa.text("SELECT code FROM grids WHERE code = :c AND valid_to IS NULL"), {"c": code}
            ).scalars()
        elif COMMUNITY_RE.match(code):
            found = session.execute(
                sa.text("SELECT code FROM grids WHERE community_code = :c AND valid_to IS NULL"),
                {"c": code},
            ).scalars()
        else:
            raise InvalidInput(
                f"网格编码须为 15 位 (或 12 位社区编码) (grid code malformed): {code[:40]!r}",
                field="grids",
            )
        got = list(found)
        if not got:
            raise InvalidInput(f"没有网格 {code} (no current grid or community)", field="grids")
        out.update(got)
    return sorted(out)


def _check_binding(
    *, session: Session, role: str, grids: list[str], department: str | None
) -> None:
    if role not in ROLES:
        raise InvalidInput(
            f"角色须为 {', '.join(ROLES)} 之一 (unknown role): {role[:40]!r}", field="role"
        )
    if role == "field_staff" and not grids:
        raise InvalidInput("网格员须绑定至少一个网格 (field staff need a grid)", field="grids")
    if role == "handler" and not department:
        raise InvalidInput(
            "处置部门用户须绑定部门 (handlers need a department)", field="department"
        )
    if department is not None:
        known = session.execute(
            sa.text("SELECT 1 FROM departments WHERE code = :d"), {"d": department}
        ).scalar()
        if not known:
            raise InvalidInput(
                f"没有部门 {department[:40]!r} (no such department)", field="department"
            )


def get_user(*, session: Session, username: str) -> User | None:
    return session.scalar(sa.select(User).where(User.username == username))


def require_user(*, session: Session, username: str, lock: bool = False) -> User:
    stmt = sa.select(User).where(User.username == username)
    user = session.scalar(stmt.with_for_update() if lock else stmt)
    if user is None:
        raise NotFound(f"没有用户 {username[:64]!r} (no such user)", field="username")
    return user


def list_users(*, session: Session, include_disabled: bool = True) -> list[User]:
    stmt = sa.select(User).order_by(User.username)
    if not include_disabled:
        stmt = stmt.where(User.active)
    return list(session.scalars(stmt))


def create_user(
    *, session: Session, user_in: UserIn, password: str | None, actor: Any = None
) -> User:
    """Create an account (``password`` None: cannot sign in until one is set).

    Raises
    ------
    InvalidInput
        Bad username, role, grid, department or a weak password.
    Conflict
        The username is taken.
    """
    check_name(user_in.username)
    grids = resolve_grids(session=session, codes=user_in.grids) if user_in.grids else []
    _check_binding(session=session, role=user_in.role, grids=grids, department=user_in.department)
    if get_user(session=session, username=user_in.username) is not None:
        raise Conflict(f"用户名 {user_in.username} 已存在 (username taken)", field="username")
    user = User(
        username=user_in.username,
        display_name=user_in.display_name,
        role=user_in.role,
        grids=grids,
        department=user_in.department,
        password_hash=hash_password(password) if password is not None else None,
        active=True,
        token_version=0,
        failed_logins=0,
        created_at=sa.func.now(),
        updated_at=sa.func.now(),
    )
    session.add(user)
    session.flush()
    session.refresh(user)
    audit.record(
        session=session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.username,
        after=user.public_view(),
    )
    return user


def update_user(
    *, session: Session, username: str, changes: UserChanges, actor: Any = None
) -> User:
    """Change role, grids, department, name or active flag; signs the user out everywhere
    when anything that governs access changes."""
    user = require_user(session=session, username=username, lock=True)
    before = user.public_view()
    role = changes.role if changes.role is not None else user.role
    grids = (
        resolve_grids(session=session, codes=changes.grids)
        if changes.grids is not None
        else list(user.grids or [])
    )
    department = None if changes.clear_department else (changes.department or user.department)
    _check_binding(session=session, role=role, grids=grids, department=department)
    access_changed = (
        role != user.role
        or sorted(grids) != sorted(user.grids or [])
        or department != user.department
        or (changes.active is not None and changes.active != user.active)
    )
    user.role, user.grids, user.department = role, grids, department
    if changes.display_name is not None:
        user.display_name = changes.display_name
    if changes.active is not None:
        user.active = changes.active
    if access_changed:
        _sign_out_everywhere(session=session, user=user)
    user.updated_at = sa.func.now()
    session.flush()
    session.refresh(user)
    audit.record(
        session=session,
        actor=actor,
        action="user.update",
        object_type="user",
        object_id=user.username,
        before=before,
        after=user.public_view(),
    )
    return user


def disable_user(*, session: Session, username: str, actor: Any = None) -> User:
    """Disable the account and end its sessions."""
    return update_user(
        session=session, username=username, changes=UserChanges(active=False), actor=actor
    )


def set_password(*, session: Session, username: str, password: str, actor: Any = None) -> User:
    """Set a new password, clear any lock-out and sign the user out everywhere."""
    user = require_user(session=session, username=username, lock=True)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    _sign_out_everywhere(session=session, user=user)
    user.updated_at = sa.func.now()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="user.password",
        object_type="user",
        object_id=user.username,
        after={"password": "changed"},
    )
    return user


def _sign_out_everywhere(*, session: Session, user: User) -> None:
    user.token_version = (user.token_version or 0) + 1
    session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )
