"""API keys: shown once, stored hashed, revocable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from gis.accounts.apikeys import create_api_key, revoke_api_key, verify_api_key
from gis.errors import Conflict, InvalidInput, NotFound


def test_key_lifecycle(db: Session) -> None:
    row, key = create_api_key(session=db, name="qgis-desktop", actor="root")
    assert key.startswith("gmk_") and len(key) > 40
    stored = (
        db.execute(sa.text("SELECT * FROM api_keys WHERE name = 'qgis-desktop'")).mappings().one()
    )
    assert key not in {str(v) for v in stored.values()}  # only a hash is kept
    assert verify_api_key(session=db, key=key).name == "qgis-desktop"  # type: ignore[union-attr]
    assert verify_api_key(session=db, key=key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert verify_api_key(session=db, key="") is None
    assert verify_api_key(session=db, key="gmk_' OR 1=1 --") is None
    revoke_api_key(session=db, name="qgis-desktop", actor="root")
    assert verify_api_key(session=db, key=key) is None
    actions = (
        db.execute(
            sa.text("SELECT action FROM audit_log WHERE object_id = 'qgis-desktop' ORDER BY id")
        )
        .scalars()
        .all()
    )
    assert actions == ["apikey.create", "apikey.revoke"]


def test_bad_key_requests(db: Session) -> None:
    create_api_key(session=db, name="open311-wechat")
    with pytest.raises(Conflict):
        create_api_key(session=db, name="open311-wechat")
    with pytest.raises(InvalidInput):
        create_api_key(session=db, name="k2", role="admin")
    with pytest.raises(NotFound):
        revoke_api_key(session=db, name="never-made")
