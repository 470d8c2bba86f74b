"""Accounts and API keys (admins only). Every change is audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api.deps import SessionDep
from api.security import PrincipalDep, allow, user_cache
from gis.accounts import apikeys
from gis.accounts import users as accounts
from gis.errors import NotFound

router = APIRouter(tags=["账户 accounts"], dependencies=[Depends(allow("admin"))])

Name = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")


class UserCreate(BaseModel):
    username: str = Name
    role: str = Field(max_length=20)
    grids: list[str] = Field(default_factory=list, max_length=500)
    department: str | None = Field(default=None, max_length=40)
    display_name: str | None = Field(default=None, max_length=100)
    password: str | None = Field(default=None, max_length=256)


class UserPatch(BaseModel):
    role: str | None = Field(default=None, max_length=20)
    grids: list[str] | None = Field(default=None, max_length=500)
    department: str | None = Field(default=None, max_length=40)
    clear_department: bool = False
    display_name: str | None = Field(default=None, max_length=100)
    active: bool | None = None


class PasswordSet(BaseModel):
    password: str = Field(max_length=256)


class ApiKeyCreate(BaseModel):
    name: str = Name
    role: str = Field(default="viewer", max_length=20)


@router.get("/users", summary="用户列表 (list accounts)")
def list_users(session: SessionDep, include_disabled: bool = True) -> list[dict[str, Any]]:
    return [
        u.public_view()
        for u in accounts.list_users(session=session, include_disabled=include_disabled)
    ]


@router.post("/users", status_code=201, summary="新建用户 (create an account)")
def create_user(body: UserCreate, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    user = accounts.create_user(
        session=session,
        user_in=accounts.UserIn(
            username=body.username,
            role=body.role,
            grids=tuple(body.grids),
            department=body.department,
            display_name=body.display_name,
        ),
        password=body.password,
        actor=principal,
    )
    session.commit()
    return user.public_view()


@router.get("/users/{username}", summary="查看用户 (one account)")
def get_user(username: str, session: SessionDep) -> dict[str, Any]:
    user = accounts.get_user(session=session, username=username)
    if user is None:
        raise NotFound(f"没有用户 {username[:64]!r} (no such user)", field="username")
    return user.public_view()


@router.patch("/users/{username}", summary="修改用户 (role, grids, department, active)")
def update_user(
    username: str, body: UserPatch, request: Request, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    user = accounts.update_user(
        session=session,
        username=username,
        changes=accounts.UserChanges(
            role=body.role,
            grids=tuple(body.grids) if body.grids is not None else None,
            department=body.department,
            clear_department=body.clear_department,
            display_name=body.display_name,
            active=body.active,
        ),
        actor=principal,
    )
    session.commit()
    user_cache(request).forget(username)
    return user.public_view()


@router.put(
    "/users/{username}/password",
    status_code=204,
    summary="重设密码 (set a password; signs the user out everywhere)",
)
def set_password(
    username: str,
    body: PasswordSet,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
) -> Response:
    accounts.set_password(
        session=session, username=username, password=body.password, actor=principal
    )
    session.commit()
    user_cache(request).forget(username)
    return Response(status_code=204)


@router.get("/apikeys", summary="API 密钥列表 (list API keys; never the keys themselves)")
def list_keys(session: SessionDep) -> list[dict[str, Any]]:
    return [k.public_view() for k in apikeys.list_api_keys(session=session)]


@router.post(
    "/apikeys", status_code=201, summary="新建 API 密钥 (create a key; shown only in this answer)"
)
def create_key(body: ApiKeyCreate, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row, key = apikeys.create_api_key(
        session=session, name=body.name, role=body.role, actor=principal
    )
    session.commit()
    return {**row.public_view(), "key": key}


@router.delete("/apikeys/{name}", summary="吊销 API 密钥 (revoke a key)")
def revoke_key(name: str, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = apikeys.revoke_api_key(session=session, name=name, actor=principal)
    session.commit()
    return row.public_view()
