"""A bounded in-memory tile cache keyed by tile, audience and the data versions it was built on.

An entry is only served when the versions it was built from equal the current ones, so an
edit invalidates it without any purge; the least recently used entries go first when the
byte budget is exceeded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    versions: tuple[int, ...]
    data: bytes
    etag: str


class TileCache:
    """LRU cache bounded in bytes (tile bytes plus a fixed overhead per entry)."""

    OVERHEAD = 200

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._items: OrderedDict[Hashable, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, versions: tuple[int, ...]) -> Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry.versions != versions:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return entry

    def contains(self, key: Hashable) -> bool:
        """Whether any copy of ``key`` is kept (current or not); counts nothing."""
        return key in self._items

    def miss(self) -> None:
        """Count a miss found without a lookup (no copy of the tile kept)."""
        with self._lock:
            self.misses += 1

    def put(self, key: Hashable, entry: Entry) -> None:
        size = len(entry.data) + self.OVERHEAD
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.data) + self.OVERHEAD
            self._items[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.data) + self.OVERHEAD

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
