"""The backup log (``ops_backups``) and the age of the latest backup."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.ops.manifest import Manifest
from gis.ops.pgtarget import PgTarget


@dataclass(frozen=True)
class LastBackup:
    """The newest logged backup."""

    created_at: datetime
    kind: str
    path: str
    size_bytes: int

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.created_at).total_seconds()


def record_backup(*, target: PgTarget, path: Path, size: int, manifest: Manifest) -> bool:
    """Log a finished backup in the database it was made of.

    Returns ``False`` (and logs nothing) when the schema predates ``ops_backups`` —
    e.g. the backup taken by ``gridmap db migrate --backup`` before the table exists.
    """
    conn = target.connect()
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('public.ops_backups') IS NOT NULL")
            if not cur.fetchone()[0]:
                return False
            cur.execute(
                "INSERT INTO ops_backups (created_at, kind, path, size_bytes, schema_revision,"
                " dump_sha256, media_files, row_counts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    manifest.created_at,
                    manifest.kind,
                    str(path.absolute()),
                    size,
                    manifest.schema_revision,
                    manifest.files["database.dump"].sha256,
                    len(manifest.media_files),
                    json.dumps(manifest.row_counts),
                ),
            )
        return True
    finally:
        conn.close()


def last_backup(*, engine: Engine) -> LastBackup | None:
    """The newest logged backup, or ``None`` (no backup yet, or no ``ops_backups``)."""
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT to_regclass('public.ops_backups')")).scalar():
            return None
        row = conn.execute(
            sa.text(
                "SELECT created_at, kind, path, size_bytes FROM ops_backups "
                "ORDER BY created_at DESC LIMIT 1"
            )
        ).first()
    if row is None:
        return None
    return LastBackup(
        created_at=row.created_at, kind=row.kind, path=row.path, size_bytes=row.size_bytes
    )


def backup_status(*, engine: Engine, stale_hours: float) -> dict[str, object]:
    """``{"last_at", "age_seconds", "stale", "warning"}`` for health and doctor."""
    last = last_backup(engine=engine)
    if last is None:
        return {
            "last_at": None,
            "age_seconds": None,
            "stale": True,
            "warning": "尚无备份 (no backup yet): run `gridmap db backup`",
        }
    age = last.age_seconds()
    stale = age > stale_hours * 3600
    return {
        "last_at": last.created_at.isoformat(timespec="seconds"),
        "age_seconds": round(age),
        "stale": stale,
        "kind": last.kind,
        "warning": (
            f"最近的备份已超过 {stale_hours:g} 小时 (the latest backup is older than "
            f"{stale_hours:g} h)"
            if stale
            else None
        ),
    }
