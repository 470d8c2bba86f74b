"""Sign-in (OAuth2 password flow): short-lived access tokens and rotated refresh tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from pydantic import BaseModel, Field

from api.deps import SessionDep, SettingsDep
from api.security import Principal, PrincipalDep, allow, client_address, user_cache
from gis.accounts import signin, tokens
from gis.accounts.settings import get_auth_settings
from gis.accounts.users import set_password
from gis.errors import InvalidInput, NotAuthenticated

router = APIRouter(prefix="/auth", tags=["登录 sign-in"])
SIGNED_IN = ("commander", "supervisor", "field_staff", "handler", "planner", "viewer")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    username: str
    role: str


class RefreshIn(BaseModel):
    refresh_token: str = Field(max_length=200)


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


@router.post(
    "/token",
    response_model=TokenOut,
    summary="登录或刷新令牌 (OAuth2 token: grant_type=password or refresh_token)",
    dependencies=[Depends(allow(public=True))],
)
def token(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    grant_type: Annotated[str, Form(max_length=20)] = "password",
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
) -> TokenOut:
    policy = get_auth_settings()
    client = client_address(request)
    if grant_type == "password":
        if not username or password is None:
            raise InvalidInput(
                "需要用户名和密码 (username and password required)", field="username"
            )
        user = signin.sign_in(
            session=session, username=username, password=password, client=client, policy=policy
        )
        new_refresh = tokens.issue_refresh_token(
            session=session, user=user, days=policy.refresh_days, client=client
        )
        session.commit()
    elif grant_type == "refresh_token":
        if not refresh_token:
            raise InvalidInput("需要 refresh_token (refresh_token required)", field="refresh_token")
        user, new_refresh = tokens.rotate_refresh_token(
            session=session, token=refresh_token, days=policy.refresh_days, client=client
        )
    else:
        raise InvalidInput(
            f"不支持的 grant_type (unsupported grant_type): {grant_type}", field="grant_type"
        )
    access, ttl = tokens.issue_access_token(
        user=user, secret=settings.secret_key, minutes=policy.access_minutes
    )
    _no_store(response)
    return TokenOut(
        access_token=access,
        expires_in=ttl,
        refresh_token=new_refresh,
        username=user.username,
        role=user.role,
    )


@router.post(
    "/logout",
    status_code=204,
    summary="退出登录 (spend the refresh token of this device)",
    dependencies=[Depends(allow(public=True))],
)
def logout(body: RefreshIn, request: Request, session: SessionDep) -> Response:
    tokens.revoke_refresh_token(
        session=session, token=body.refresh_token, client=client_address(request)
    )
    session.commit()
    return Response(status_code=204)


@router.get(
    "/me",
    summary="当前用户 (who am I: role, grids, department)",
    dependencies=[Depends(allow(*SIGNED_IN))],
)
def me(principal: PrincipalDep, response: Response) -> dict[str, Any]:
    _no_store(response)
    return {
        "username": principal.username,
        "role": principal.role,
        "grids": sorted(principal.grids),
        "department": principal.department,
        "sees_personal": principal.sees_personal,
        "auth": principal.auth,
    }


@router.post(
    "/password",
    status_code=204,
    summary="修改本人密码 (change my password; signs out other devices)",
    dependencies=[Depends(allow(*SIGNED_IN))],
)
def change_password(
    body: PasswordChangeIn,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
) -> Response:
    _require_account(principal)
    signin.check_password(
        session=session, username=principal.username or "", password=body.current_password
    )
    set_password(
        session=session,
        username=principal.username or "",
        password=body.new_password,
        actor=principal,
    )
    session.commit()
    user_cache(request).forget(principal.username)
    return Response(status_code=204)


def _require_account(principal: Principal) -> None:
    if principal.auth not in ("token", "header"):
        raise NotAuthenticated("需要以用户身份登录 (sign in as a user)")
