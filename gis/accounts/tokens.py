"""Signed, short-lived access tokens (JWT, HS256) and rotated refresh tokens.

The access token names the user and the user's ``token_version``; the API looks the user up
(briefly cached) so that disabling an account or changing its role takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import audit
from gis.accounts.models import RefreshToken, User
from gis.errors import NotAuthenticated

ISSUER = "gridmap"
AUDIENCE = "gridmap-api"
ALGORITHM = "HS256"
REFRESH_PREFIX = "gmr_"


def _signing_key(secret: str) -> bytes:
    # A derived key: separates token signing from other uses of the secret, and is 32 bytes.
    return hmac.new(secret.encode(), b"gridmap access token v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class AccessClaims:
    username: str
    token_version: int
    expires_at: datetime


def issue_access_token(*, user: User, secret: str, minutes: int) -> tuple[str, int]:
    """A signed token for ``user``; returns it and its lifetime in seconds."""
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user.username,
        "role": user.role,
        "ver": user.token_version,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _signing_key(secret), algorithm=ALGORITHM), minutes * 60


def decode_access_token(token: str, *, secret: str) -> AccessClaims:
    """The claims of a valid token.

    Raises
    ------
    NotAuthenticated
        Bad signature, wrong issuer or audience, expired, or malformed.
    """
    try:
        data: dict[str, Any] = jwt.decode(
            token,
            _signing_key(secret),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "ver"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("登录已过期，请重新登录 (token expired)") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("令牌无效 (invalid token)") from exc
    if not isinstance(data.get("sub"), str) or not isinstance(data.get("ver"), int):
        raise NotAuthenticated("令牌无效 (invalid token)")
    return AccessClaims(
        username=data["sub"],
        token_version=data["ver"],
        expires_at=datetime.fromtimestamp(data["exp"], UTC),
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_refresh_token(*, session: Session, user: User, days: int, client: str | None) -> str:
    """A new refresh token for ``user`` (only its hash is stored)."""
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=_digest(token),
            issued_at=sa.func.now(),
            expires_at=sa.func.now() + timedelta(days=days),
            client=client,
        )
    )
    session.flush()
    return token


def rotate_refresh_token(
    *, session: Session, token: str, days: int, client: str | None
) -> tuple[User, str]:
    """Trade a refresh token for a new one (the old one is spent). Commits.

    A token presented a second time means it was copied: every session of that user ends.

    Raises
    ------
    NotAuthenticated
        Unknown, spent, expired token, or the account is disabled.
    """
    bad = NotAuthenticated("刷新令牌无效或已过期，请重新登录 (invalid or expired refresh token)")
    if not isinstance(token, str) or not token.startswith(REFRESH_PREFIX) or len(token) > 200:
        raise bad
    row = session.scalar(
        sa.select(RefreshToken).where(RefreshToken.token_hash == _digest(token)).with_for_update()
    )
    if row is None:
        raise bad
    user = session.get(User, row.user_id, with_for_update=True)
    now = session.scalar(sa.select(sa.func.now()))
    if row.revoked_at is not None:
        if user is not None and row.replaced:
            user.token_version += 1
            session.execute(
                sa.update(RefreshToken)
                .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            audit.record(
                session=session,
                actor=user.username,
                action="auth.refresh_reused",
                object_type="user",
                object_id=user.username,
                client=client,
            )
            session.commit()
        raise bad
    if user is None or not user.active or row.expires_at <= now:
        raise bad
    row.revoked_at = now
    row.replaced = True
    new = issue_refresh_token(session=session, user=user, days=days, client=client)
    audit.record(
        session=session,
        actor=user,
        action="auth.refresh",
        object_type="user",
        object_id=user.username,
        client=client,
    )
    session.commit()
    return user, new


def revoke_refresh_token(*, session: Session, token: str, client: str | None = None) -> None:
    """Spend a refresh token (sign-out on this device), audited as ``auth.logout``.
    Unknown or spent tokens are ignored."""
    if not isinstance(token, str) or len(token) > 200:
        return
    user_id = session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.token_hash == _digest(token), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
        .returning(RefreshToken.user_id)
    ).scalar()
    user = session.get(User, user_id) if user_id is not None else None
    if user is not None:
        audit.record(
            session=session,
            actor=user,
            action="auth.logout",
            object_type="user",
            object_id=user.username,
            client=client,
        )
