"""Demo community registers: rosters, co-building units, activities, service populations."""

from __future__ import annotations

from sqlalchemy.engine import Connection


def load_resources(conn: Connection, *, seed: int) -> None:
    """Fill the community registers plausibly for every demo community."""
    return None
