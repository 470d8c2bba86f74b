"""Scheduled backups: a background thread in the server, one backup at a time cluster-wide.

Every few minutes the thread asks whether the latest backup (of any kind) is older than
the interval; if so it takes a PostgreSQL advisory lock — so that only one of several
server workers backs up — makes a ``scheduled`` backup and deletes the oldest scheduled
archives beyond ``keep``. Manual backups are never deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from gis.ops.backup import BackupResult, create_backup
from gis.ops.pgtarget import PgTarget

log = logging.getLogger("gridmap.ops.scheduler")
LOCK_KEY = 630202_0011  # pg_advisory_lock key: one scheduled backup at a time
AUTO_GLOB = "gridmap-auto-*.tar"


def prune(backup_dir: Path, keep: int) -> list[Path]:
    """Delete scheduled archives beyond the newest ``keep`` (and leftovers of crashed runs)."""
    archives = sorted(backup_dir.glob(AUTO_GLOB))
    doomed = archives[:-keep] if keep > 0 else archives
    cutoff = time.time() - 6 * 3600
    doomed += [p for p in backup_dir.glob(AUTO_GLOB + ".partial") if p.stat().st_mtime < cutoff]
    for p in doomed:
        p.unlink(missing_ok=True)
    return doomed


def latest_backup_time(target: PgTarget, backup_dir: Path) -> datetime | None:
    """When the newest backup was made: from ``ops_backups``, else the newest archive file."""
    conn = target.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('public.ops_backups') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute("SELECT max(created_at) FROM ops_backups")
                found = cur.fetchone()[0]
                if found is not None:
                    return found  # type: ignore[no-any-return]
    finally:
        conn.close()
    files = sorted(backup_dir.glob("gridmap-*.tar"), key=lambda p: p.stat().st_mtime)
    return datetime.fromtimestamp(files[-1].stat().st_mtime, UTC) if files else None


class BackupScheduler:
    """Runs :meth:`run_due` every ``check_seconds`` in a daemon thread."""

    def __init__(
        self,
        *,
        target: Callable[[], PgTarget],
        media_dir: Path,
        backup_dir: Path,
        interval_hours: float,
        keep: int,
        check_seconds: float = 300.0,
    ) -> None:
        self.target = target
        self.media_dir = media_dir
        self.backup_dir = backup_dir
        self.interval = interval_hours * 3600
        self.keep = keep
        self.check_seconds = check_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self, now: datetime | None = None) -> BackupResult | None:
        """Make a scheduled backup if one is due and no other process is making one."""
        target = self.target()
        last = latest_backup_time(target, self.backup_dir)
        now = now or datetime.now(UTC)
        if last is not None and (now - last).total_seconds() < self.interval:
            return None
        conn = target.connect()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
                if not cur.fetchone()[0]:
                    return None
            result = create_backup(
                target=target, media_dir=self.media_dir, output=self.backup_dir, kind="scheduled"
            )
            removed = prune(self.backup_dir, self.keep)
            log.info(
                "scheduled backup written",
                extra={"path": str(result.path), "bytes": result.size, "pruned": len(removed)},
            )
            return result
        finally:
            conn.close()  # releases the advisory lock

    def _loop(self) -> None:
        delay = min(60.0, self.check_seconds)  # first look soon after start-up
        while not self._stop.wait(delay):
            delay = self.check_seconds
            try:
                self.run_due()
            except Exception as exc:  # keep the server up; the health endpoint shows the age
                log.error(
                    "scheduled backup failed",
                    extra={"error": getattr(exc, "message", str(exc))[:500]},
                )

    def start(self) -> None:
        if self._thread is None and self.interval > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="gridmap-backups", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
