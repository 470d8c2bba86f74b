"""Readiness: may this process take traffic? (database, PostGIS, schema at head, disk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis import migrate
from gis.ops.disk import human_bytes, usage


def readiness(*, engine: Engine, media_dir: Path, min_free_bytes: int) -> dict[str, Any]:
    """Each check with ``ok`` and a detail; ``ready`` only when all pass.

    Never raises: an unreachable database is a failed check, not an error.
    """
    checks: dict[str, dict[str, Any]] = {}
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            checks["database"] = {"ok": True}
            postgis = conn.execute(
                sa.text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
        checks["postgis"] = {"ok": postgis is not None, "version": postgis}
        current = migrate.current_revision(engine)
        head = migrate.head_revision()
        checks["migrations"] = {"ok": current == head, "current": current, "head": head}
    except Exception as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200] if str(exc) else ""
        checks["database"] = {"ok": False, "detail": f"无法连接数据库 (unreachable): {reason}"}
        checks["postgis"] = {"ok": False, "detail": "unknown: database unreachable"}
        checks["migrations"] = {"ok": False, "detail": "unknown: database unreachable"}
    u = usage(media_dir)
    checks["disk"] = {
        "ok": u.free >= min_free_bytes,
        "path": str(media_dir),
        "free": human_bytes(u.free),
        "free_bytes": u.free,
        "required_bytes": min_free_bytes,
    }
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}
