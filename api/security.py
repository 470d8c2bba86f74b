"""Who is calling, and what they may do: the interface every router uses.

Routers declare their rule with ``Depends(allow(...))``; handlers that need to know the
caller take ``principal: PrincipalDep``. Until real sign-in exists, development and test
settings accept the headers ``X-Gridmap-User`` / ``X-Gridmap-Role`` (never in production).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from gis.errors import Forbidden, NotAuthenticated

ROLES = ("admin", "commander", "supervisor", "field_staff", "handler", "planner", "viewer")
PERSONAL_ROLES = frozenset({"admin", "commander", "supervisor", "field_staff", "handler"})


@dataclass(frozen=True)
class Principal:
    """The caller: a user with one role (or anonymous)."""

    username: str | None = None
    role: str = "anonymous"
    grids: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.username is None

    @property
    def sees_personal(self) -> bool:
        """Whether names, phones and special-population details may be shown."""
        return self.role in PERSONAL_ROLES


ANONYMOUS = Principal()


def current_principal(request: Request) -> Principal:
    """The caller, as set by the authentication layer on ``request.state``."""
    found = getattr(request.state, "principal", None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    settings = request.app.state.settings
    user = request.headers.get("x-gridmap-user")
    if user and settings.env in ("development", "test", "demo"):
        role = request.headers.get("x-gridmap-role", "viewer")
        if role not in ROLES:
            raise NotAuthenticated(f"未知角色 (unknown role): {role}")
        grids = request.headers.get("x-gridmap-grids", "")
        return Principal(
            username=user,
            role=role,
            grids=frozenset(g for g in grids.split(",") if g),
            department=request.headers.get("x-gridmap-department"),
        )
    return ANONYMOUS


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def allow(*roles: str, public: bool = False) -> Callable[[Principal], Principal]:
    """A dependency that lets through ``roles`` (and anyone when ``public``).

    The rule is kept on the dependency (``.roles``, ``.public``) so tests can read it.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def check(principal: PrincipalDep) -> Principal:
        if public:
            return principal
        if principal.is_anonymous:
            raise NotAuthenticated("请先登录 (sign-in required)")
        if principal.role != "admin" and principal.role not in roles:
            raise Forbidden(f"角色 {principal.role} 无权执行此操作 (role not allowed)")
        return principal

    check.roles = frozenset(roles) | {"admin"}  # type: ignore[attr-defined]
    check.public = public  # type: ignore[attr-defined]
    return check
