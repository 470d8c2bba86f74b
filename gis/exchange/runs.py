"""The log of committed imports (``import_runs``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def list_imports(*, session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest committed imports, newest first."""
    rows = session.execute(
        sa.text(
            "SELECT id, at, actor, layer, file_name, file_format, source_crs, encoding, "
            "valid_from, rows_read, inserted, retired, warnings FROM import_runs "
            "ORDER BY at DESC, id DESC LIMIT :n"
        ),
        {"n": limit},
    ).mappings()
    return [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows
    ]
