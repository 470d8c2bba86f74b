"""Password sign-in with lock-out: after N failures in a row the account is locked for
1, 2, 4 … minutes (capped), and no password is checked while it is locked."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis import audit
from gis.accounts.models import User
from gis.accounts.passwords import _hasher, needs_rehash, verify_password
from gis.accounts.settings import AuthSettings
from gis.errors import NotAuthenticated, RateLimited

BAD_CREDENTIALS = "用户名或密码错误 (wrong username or password)"


def sign_in(
    *,
    session: Session,
    username: str,
    password: str,
    client: str | None,
    policy: AuthSettings,
) -> User:
    """Check the credentials and return the user. Commits (failures are recorded too).

    Raises
    ------
    NotAuthenticated
        Unknown user, wrong password or disabled account (one message for all three).
    RateLimited
        The account is locked after repeated failures; ``detail.retry_after`` in seconds.
    """
    user = session.scalar(sa.select(User).where(User.username == username[:64]).with_for_update())
    now = session.scalar(sa.select(sa.func.now()))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        audit.record(
            session=session,
            actor=username[:64],
            action="auth.login_locked",
            object_type="user",
            object_id=user.username,
            client=client,
        )
        session.commit()
        raise RateLimited(
            f"登录失败次数过多，请 {wait} 秒后再试 (too many failed sign-ins; retry later)",
            field="username",
            retry_after=wait,
        )
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        after = None
        if user is not None:
            user.failed_logins += 1
            over = user.failed_logins - policy.lockout_after
            if over >= 0:
                minutes = min(2**over, policy.lockout_max_minutes)
                user.locked_until = now + timedelta(minutes=minutes)
                after = {"failed_logins": user.failed_logins, "locked_minutes": minutes}
        audit.record(
            session=session,
            actor=username[:64],
            action="auth.login_failed",
            object_type="user",
            object_id=username[:64],
            after=after,
            client=client,
        )
        session.commit()
        raise NotAuthenticated(BAD_CREDENTIALS, field="password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit.record(
        session=session,
        actor=user,
        action="auth.login",
        object_type="user",
        object_id=user.username,
        client=client,
    )
    session.commit()
    return user


def check_password(*, session: Session, username: str, password: str) -> None:
    """Confirm a signed-in user's current password (before changing it).

    Raises
    ------
    NotAuthenticated
        The password does not match.
    """
    user = session.scalar(sa.select(User).where(User.username == username))
    if not verify_password(user.password_hash if user else None, password):
        raise NotAuthenticated("当前密码错误 (current password is wrong)", field="current_password")
