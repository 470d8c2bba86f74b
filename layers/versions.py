"""Per-table data versions: one tiny query per request, read on a dedicated connection.

Migration 0002 bumps ``layer_data_versions`` from statement-level triggers in the writer's
transaction, so a version read after a commit always reflects that commit: a tile cached
under an older version is never served once the data has changed.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sqlalchemy.engine import Engine

SQL = "SELECT source, version FROM layer_data_versions"


class VersionReader:
    """Reads every source's version with one query on a connection kept for the purpose."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        proxied = self._engine.raw_connection()
        dbapi: Any = proxied.driver_connection
        proxied.detach()  # ours for good: not returned to the pool
        dbapi.autocommit = True
        return dbapi

    def read(self) -> dict[str, int]:
        """The current version of every source table (retrying once on a lost connection)."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self._connect()
                    with self._conn.cursor() as cur:
                        cur.execute(SQL)
                        return {str(s): int(v) for s, v in cur.fetchall()}
                except Exception:
                    self.close_locked()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def close_locked(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()
