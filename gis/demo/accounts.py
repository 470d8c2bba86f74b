"""Demo accounts, one per role (filled in with the accounts work)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


def load_accounts(conn: Connection, *, seed: int) -> list[str]:
    """Create the demo accounts; returns lines to show once (e.g. their passwords)."""
    return []
