"""Sign-in: wrong passwords count, the account locks with growing back-off, all audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.accounts.settings import AuthSettings
from gis.accounts.signin import sign_in
from gis.accounts.users import UserIn, create_user, set_password
from gis.errors import NotAuthenticated, RateLimited

PW = "correct horse battery"
POLICY = AuthSettings(lockout_after=3, lockout_max_minutes=60)


def test_lockout_after_repeated_failures(db: Session) -> None:
    create_user(session=db, user_in=UserIn("locky", "commander"), password=PW)
    assert sign_in(session=db, username="locky", password=PW, client="1.2.3.4", policy=POLICY)
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            sign_in(
                session=db, username="locky", password="wrong-password", client=None, policy=POLICY
            )
    # Locked now: even the right password is refused, without being checked.
    with pytest.raises(RateLimited) as err:
        sign_in(session=db, username="locky", password=PW, client=None, policy=POLICY)
    assert 0 < err.value.detail["retry_after"] <= 61
    # The lock grows: pretend it expired, fail once more → 2 minutes.
    db.execute(
        sa.text("UPDATE users SET locked_until = now() - interval '1 s' WHERE username = 'locky'")
    )
    with pytest.raises(NotAuthenticated):
        sign_in(session=db, username="locky", password="wrong-again", client=None, policy=POLICY)
    with pytest.raises(RateLimited) as err:
        sign_in(session=db, username="locky", password=PW, client=None, policy=POLICY)
    assert 61 < err.value.detail["retry_after"] <= 121
    # An admin's new password clears the lock.
    set_password(session=db, username="locky", password="another good one", actor="root")
    assert sign_in(
        session=db, username="locky", password="another good one", client=None, policy=POLICY
    )
    actions = (
        db.execute(
            sa.text(
                "SELECT action FROM audit_log WHERE object_id = 'locky' AND action LIKE 'auth.%' ORDER BY id"
            )
        )
        .scalars()
        .all()
    )
    assert actions == [
        "auth.login",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_locked",
        "auth.login_failed",
        "auth.login_locked",
        "auth.login",
    ]


def test_unknown_and_disabled_users_get_the_same_answer(db: Session) -> None:
    create_user(session=db, user_in=UserIn("gone", "viewer"), password=PW)
    db.execute(sa.text("UPDATE users SET active = false WHERE username = 'gone'"))
    messages = set()
    for name, pw in (("gone", PW), ("never-existed", PW), ("gone", "wrong-password")):
        with pytest.raises(NotAuthenticated) as err:
            sign_in(session=db, username=name, password=pw, client=None, policy=POLICY)
        messages.add(err.value.message)
    assert len(messages) == 1
