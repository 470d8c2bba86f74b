"""API keys for outside systems: random, shown once, stored as SHA-256, named, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import audit
from gis.accounts.models import API_KEY_ROLES, ApiKey
from gis.accounts.users import check_name
from gis.errors import Conflict, InvalidInput, NotFound

KEY_PREFIX = "gmk_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_api_key(
    *, session: Session, name: str, role: str = "viewer", actor: Any = None
) -> tuple[ApiKey, str]:
    """Create a key named ``name``; returns the row and the key (the only time it is known).

    Raises
    ------
    InvalidInput
        Bad name or role.
    Conflict
        A key with that name exists (revoked keys keep their names).
    """
    check_name(name, field="name")
    if role not in API_KEY_ROLES:
        raise InvalidInput(
            f"API 密钥角色须为 {'/'.join(API_KEY_ROLES)} (key role must be one of them): {role}",
            field="role",
        )
    if session.scalar(sa.select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise Conflict(f"API 密钥 {name} 已存在 (key name exists)", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=key[: len(KEY_PREFIX) + 6],
        key_hash=_digest(key),
        role=role,
        created_by=getattr(actor, "username", actor),
        created_at=sa.func.now(),
    )
    session.add(row)
    session.flush()
    session.refresh(row)
    audit.record(
        session=session,
        actor=actor,
        action="apikey.create",
        object_type="api_key",
        object_id=name,
        after={"name": name, "role": role, "prefix": row.prefix},
    )
    return row, key


def revoke_api_key(*, session: Session, name: str, actor: Any = None) -> ApiKey:
    """Revoke the key ``name`` (idempotent once revoked)."""
    row = session.scalar(sa.select(ApiKey).where(ApiKey.name == name).with_for_update())
    if row is None:
        raise NotFound(f"没有名为 {name} 的 API 密钥 (no such key)", field="name")
    if row.revoked_at is None:
        row.revoked_at = session.scalar(sa.select(sa.func.now()))
        audit.record(
            session=session,
            actor=actor,
            action="apikey.revoke",
            object_type="api_key",
            object_id=name,
            before={"revoked": False},
            after={"revoked": True},
        )
    session.flush()
    return row


def list_api_keys(*, session: Session) -> list[ApiKey]:
    return list(session.scalars(sa.select(ApiKey).order_by(ApiKey.name)))


def verify_api_key(*, session: Session, key: str) -> ApiKey | None:
    """The live (not revoked) key matching ``key``, or None. Reads only; never raises."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    digest = _digest(key)
    row = session.scalar(
        sa.select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    )
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return row
