"""The audit log is append-only, even for the application's own database role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis import audit


def test_record_and_search(db: Session) -> None:
    rid = audit.record(
        session=db,
        actor="alice",
        action="case.dispatch",
        object_type="case",
        object_id="C-1",
        before={"status": "registered"},
        after={"status": "dispatched", "password_hash": "x"},
        client="10.0.0.9",
    )
    rows = audit.search(session=db, query=audit.AuditQuery(object_type="case", object_id="C-1"))
    assert rows[0]["id"] == rid
    assert rows[0]["actor"] == "alice" and rows[0]["client"] == "10.0.0.9"
    assert rows[0]["before"] == {"status": "registered"}
    assert rows[0]["after"] == {"status": "dispatched", "password_hash": "***"}
    assert audit.search(session=db, query=audit.AuditQuery(actor="nobody-else")) == []


def test_actor_principal_gives_role_and_client(db: Session) -> None:
    class P:
        username = "bob"
        role = "commander"
        client = "192.0.2.1"

    rid = audit.record(session=db, actor=P(), action="x.y", object_type="t", object_id=1)
    row = db.execute(
        sa.text("SELECT actor, actor_role, client FROM audit_log WHERE id = :i"), {"i": rid}
    ).one()
    assert tuple(row) == ("bob", "commander", "192.0.2.1")


def _app_role_owns_audit_log(db: Session) -> None:
    owner, me, superuser = db.execute(
        sa.text(
            "SELECT tableowner, current_user, (SELECT rolsuper FROM pg_roles "
            "WHERE rolname = current_user) FROM pg_tables WHERE tablename = 'audit_log'"
        )
    ).one()
    # The point of the trigger: the app role owns the table, so REVOKE alone would not hold.
    assert owner == me and not superuser


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET actor = 'mallory' WHERE id = :i",
        "DELETE FROM audit_log WHERE id = :i",
        "TRUNCATE audit_log",
    ],
)
def test_app_role_cannot_alter_audit_rows(db: Session, sql: str) -> None:
    _app_role_owns_audit_log(db)
    rid = audit.record(session=db, actor="alice", action="a.b", object_type="t", object_id=1)
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(sa.text(sql), {"i": rid})
    savepoint.rollback()
    assert (
        db.execute(sa.text("SELECT actor FROM audit_log WHERE id = :i"), {"i": rid}).scalar_one()
        == "alice"
    )


def test_search_refuses_bad_limits(db: Session) -> None:
    from gis.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        audit.search(session=db, query=audit.AuditQuery(limit=0))
    assert err.value.field == "limit"
