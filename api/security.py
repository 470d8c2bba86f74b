"""Who is calling, and what they may do: the interface every router uses.

Routers declare their rule with ``Depends(allow(...))``; handlers that need to know the
caller take ``principal: PrincipalDep``. The caller is found from, in order:

1. ``Authorization: Bearer <access token>`` — issued by ``POST /auth/token`` (OAuth2 password
   flow); the account is looked up (cached a few seconds) so disabling it works at once;
2. ``X-API-Key: gmk_…`` — a named key for an outside system (role ``viewer`` or ``planner``);
3. only when ``settings.env == "test"``: the headers ``X-Gridmap-User``, ``X-Gridmap-Role``,
   ``X-Gridmap-Grids`` (comma-separated) and ``X-Gridmap-Department``;
4. otherwise the caller is anonymous.

A bad or expired token is refused with 401 on every route except public ones, where the
caller is simply treated as anonymous.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from gis.accounts.models import ROLES as ACCOUNT_ROLES
from gis.errors import Forbidden, NotAuthenticated

if TYPE_CHECKING:
    from gis.accounts.tokens import AccessClaims

ROLES = ACCOUNT_ROLES
PERSONAL_ROLES = frozenset({"admin", "commander", "supervisor", "field_staff", "handler"})
ALL_GRID_ROLES = frozenset({"admin", "commander", "supervisor"})

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


@dataclass(frozen=True)
class Principal:
    """The caller: a user with one role (or anonymous).

    ``client`` is the caller's address (for the audit log); ``auth`` says how the caller was
    identified: ``token``, ``apikey``, ``header`` (tests only) or ``none``.
    """

    username: str | None = None
    role: str = "anonymous"
    grids: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None
    client: str | None = None
    auth: str = "none"

    @property
    def is_anonymous(self) -> bool:
        return self.username is None

    @property
    def sees_personal(self) -> bool:
        """Whether names, phones and special-population details may be shown at all.

        Field staff see them only inside their own grids: check ``covers_grid`` too.
        """
        return self.role in PERSONAL_ROLES

    def covers_grid(self, grid_code: str | None) -> bool:
        """Whether the caller may see full details of objects in ``grid_code``.

        Admins, commanders and supervisors cover every grid; field staff their own grids;
        everyone else (handlers see what is dispatched to their department) none.
        """
        if self.role in ALL_GRID_ROLES:
            return True
        return self.role == "field_staff" and grid_code is not None and grid_code in self.grids


ANONYMOUS = Principal()


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@dataclass
class _Cached:
    expires: float
    found: tuple[bool, int, str, frozenset[str], str | None] | None


class UserCache:
    """Per-process cache of account state (active, token version, role, grids, department)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._items: dict[str, _Cached] = {}

    def get(self, request: Request, username: str) -> _Cached:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(username)
        if hit is not None and hit.expires > now:
            return hit
        from gis.accounts.users import get_user

        with request.app.state.sessionmaker() as session:
            user = get_user(session=session, username=username)
            found = (
                None
                if user is None
                else (
                    user.active,
                    user.token_version,
                    user.role,
                    frozenset(user.grids or ()),
                    user.department,
                )
            )
        entry = _Cached(now + self.ttl, found)
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[username] = entry
        return entry

    def peek(self, username: str) -> bool:
        """Whether ``username`` is cached and fresh (a ``get`` would not touch the database)."""
        with self._lock:
            hit = self._items.get(username)
        return hit is not None and hit.expires > time.monotonic()

    def forget(self, username: str | None = None) -> None:
        with self._lock:
            if username is None:
                self._items.clear()
            else:
                self._items.pop(username, None)


def user_cache(request: Request) -> UserCache:
    cache = getattr(request.app.state, "user_cache", None)
    if cache is None:
        from gis.accounts.settings import get_auth_settings

        cache = request.app.state.user_cache = UserCache(get_auth_settings().user_cache_seconds)
    return cache  # type: ignore[no-any-return]


def _claims(request: Request, token: str) -> AccessClaims:
    from gis.accounts.tokens import decode_access_token

    return decode_access_token(token, secret=request.app.state.settings.secret_key)


def _from_token(request: Request, claims: AccessClaims) -> Principal:
    entry = user_cache(request).get(request, claims.username)
    if entry.found is None:
        raise NotAuthenticated("账户不存在 (account no longer exists)")
    active, version, role, grids, department = entry.found
    if not active:
        raise NotAuthenticated("账户已停用 (account disabled)")
    if version != claims.token_version:
        raise NotAuthenticated("登录已失效，请重新登录 (signed out; sign in again)")
    return Principal(
        username=claims.username,
        role=role,
        grids=grids,
        department=department,
        client=client_address(request),
        auth="token",
    )


def _from_api_key(request: Request, key: str) -> Principal:
    from gis.accounts.apikeys import verify_api_key

    with request.app.state.sessionmaker() as session:
        row = verify_api_key(session=session, key=key)
        if row is None:
            raise NotAuthenticated("API 密钥无效或已吊销 (invalid or revoked API key)")
        name, role = row.name, row.role
    return Principal(
        username=f"apikey:{name}", role=role, client=client_address(request), auth="apikey"
    )


def _from_test_headers(request: Request, user: str) -> Principal:
    role = request.headers.get("x-gridmap-role", "viewer")
    if role not in ROLES:
        raise NotAuthenticated(f"未知角色 (unknown role): {role[:40]}")
    grids = request.headers.get("x-gridmap-grids", "")
    return Principal(
        username=user,
        role=role,
        grids=frozenset(g for g in grids.split(",") if g),
        department=request.headers.get("x-gridmap-department"),
        client=client_address(request),
        auth="header",
    )


def _resolve(
    request: Request, token: str | None, api_key: str | None, claims: AccessClaims | None = None
) -> Principal:
    found = getattr(request.state, "principal", None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    settings = request.app.state.settings
    user = request.headers.get("x-gridmap-user")
    if token:
        principal = _from_token(request, claims or _claims(request, token))
    elif api_key:
        principal = _from_api_key(request, api_key)
    elif user and settings.env == "test":
        principal = _from_test_headers(request, user)
    else:
        principal = Principal(client=client_address(request))
    request.state.principal = principal
    return principal


async def _resolve_async(request: Request, token: str | None, api_key: str | None) -> Principal:
    """:func:`_resolve` on the event loop; in the thread pool only when it reads the database
    (an API key, or a token whose account is not in the cache). The token is decoded once."""
    if getattr(request.state, "principal", None) is None:
        if token:
            claims = _claims(request, token)
            if not user_cache(request).peek(claims.username):
                return await run_in_threadpool(_resolve, request, token, api_key, claims)
            return _resolve(request, token, api_key, claims)
        if api_key:
            return await run_in_threadpool(_resolve, request, token, api_key)
    return _resolve(request, token, api_key)


def known_caller(request: Request) -> Principal | None:
    """The caller when it is known without the database, a thread or an error: anonymous,
    the test headers, or a valid token whose account is cached. ``None`` otherwise (an API
    key, an account not in the cache, a bad token or role): the routes resolve those and
    give the precise errors."""
    headers = request.headers
    if headers.get("x-api-key"):
        return None
    auth = headers.get("authorization")
    try:
        if auth is None:
            return _resolve(request, None, None)
        scheme, _, token = auth.partition(" ")
        token = token.strip()  # as OAuth2PasswordBearer reads it
        if scheme.lower() != "bearer" or not token:
            return None
        claims = _claims(request, token)
        if not user_cache(request).peek(claims.username):
            return None
        return _resolve(request, token, None, claims)
    except NotAuthenticated:
        return None


async def current_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller; a bad token or key is refused (401)."""
    return await _resolve_async(request, token, api_key)


async def lenient_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller; a bad token or key counts as anonymous (for public routes)."""
    try:
        return await _resolve_async(request, token, api_key)
    except NotAuthenticated:
        return Principal(client=client_address(request))


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def allow(*roles: str, public: bool = False) -> Callable[..., Principal]:
    """A dependency that lets through ``roles`` (and anyone when ``public``).

    Admins pass every non-public rule. The rule is kept on the dependency (``.roles``,
    ``.public``) so tests can read it from the route's dependants.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    if public:

        async def check_public(
            principal: Annotated[Principal, Depends(lenient_principal)],
        ) -> Principal:
            return principal

        check: Callable[..., Principal] = check_public
    else:

        async def check_roles(principal: PrincipalDep) -> Principal:
            if principal.is_anonymous:
                raise NotAuthenticated("请先登录 (sign-in required)")
            if principal.role != "admin" and principal.role not in roles:
                raise Forbidden(f"角色 {principal.role} 无权执行此操作 (role not allowed)")
            return principal

        check = check_roles

    check.roles = frozenset(roles) | {"admin"}  # type: ignore[attr-defined]
    check.public = public  # type: ignore[attr-defined]
    return check
