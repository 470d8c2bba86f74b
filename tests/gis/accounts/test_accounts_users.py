"""Accounts: bindings are checked, changes audited, access changes sign users out."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.accounts import tokens
from gis.accounts.users import (
    UserChanges,
    UserIn,
    create_user,
    disable_user,
    resolve_grids,
    update_user,
)
from gis.errors import Conflict, InvalidInput

PW = "correct horse battery"


def _community(db: Session) -> tuple[str, int]:
    code, n = db.execute(
        sa.text(
            "SELECT community_code, count(*) FROM grids WHERE valid_to IS NULL "
            "GROUP BY community_code HAVING count(*) > 1 ORDER BY community_code LIMIT 1"
        )
    ).one()
    return code, n


def test_community_code_expands_to_its_grids(db: Session) -> None:
    code, n = _community(db)
    grids = resolve_grids(session=db, codes=[code])
    assert len(grids) == n and all(g.startswith(code) for g in grids)
    user = create_user(session=db, user_in=UserIn("fs1", "field_staff", grids=(code,)), password=PW)
    assert sorted(user.grids) == grids


@pytest.mark.parametrize(
    ("user_in", "field"),
    [
        (UserIn("fs2", "field_staff"), "grids"),
        (UserIn("h2", "handler"), "department"),
        (UserIn("h3", "handler", department="no-such-dept"), "department"),
        (UserIn("x", "viewer"), "username"),
        (UserIn("bad name'; --", "viewer"), "username"),
        (UserIn("v2", "root"), "role"),
        (UserIn("v3", "field_staff", grids=("630202999999999",)), "grids"),
        (UserIn("v4", "field_staff", grids=("../etc",)), "grids"),
    ],
)
def test_bad_accounts_are_refused(db: Session, user_in: UserIn, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        create_user(session=db, user_in=user_in, password=PW)
    assert err.value.field == field


def test_weak_password_and_duplicate(db: Session) -> None:
    with pytest.raises(InvalidInput) as err:
        create_user(session=db, user_in=UserIn("weak1", "viewer"), password="short")
    assert err.value.field == "password"
    create_user(session=db, user_in=UserIn("dup1", "viewer"), password=PW)
    with pytest.raises(Conflict):
        create_user(session=db, user_in=UserIn("dup1", "planner"), password=PW)


def test_password_is_hashed_with_argon2(db: Session) -> None:
    create_user(session=db, user_in=UserIn("hashme", "viewer"), password=PW)
    stored = db.execute(
        sa.text("SELECT password_hash FROM users WHERE username = 'hashme'")
    ).scalar_one()
    assert stored.startswith("$argon2id$") and PW not in stored


def test_role_change_and_disable_sign_out_and_are_audited(db: Session) -> None:
    user = create_user(session=db, user_in=UserIn("mover", "viewer"), password=PW, actor="root")
    refresh = tokens.issue_refresh_token(session=db, user=user, days=1, client=None)
    v0 = user.token_version
    update_user(session=db, username="mover", changes=UserChanges(role="planner"), actor="root")
    assert user.role == "planner" and user.token_version == v0 + 1
    from gis.errors import NotAuthenticated

    with pytest.raises(NotAuthenticated):
        tokens.rotate_refresh_token(session=db, token=refresh, days=1, client=None)
    disable_user(session=db, username="mover", actor="root")
    actions = db.execute(
        sa.text(
            "SELECT action, before->>'role', after->>'role', after->>'active' FROM audit_log "
            "WHERE object_type = 'user' AND object_id = 'mover' ORDER BY id"
        )
    ).all()
    assert [a[0] for a in actions] == ["user.create", "user.update", "user.update"]
    assert actions[1][1:3] == ("viewer", "planner")
    assert actions[2][3] == "false"
