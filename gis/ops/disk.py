"""Free disk space, checked before anything large is written."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from gis.errors import SetupError


class NoSpace(SetupError):
    """Not enough free space to write what was asked; nothing was written."""

    code = "no_space"


@dataclass(frozen=True)
class DiskUsage:
    path: Path
    total: int
    free: int

    @property
    def free_ratio(self) -> float:
        return self.free / self.total if self.total else 0.0


def existing_ancestor(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (the filesystem it will be written to)."""
    probe = Path(path).absolute()
    while not probe.exists():
        probe = probe.parent
    return probe


def usage(path: Path) -> DiskUsage:
    """Total and free bytes of the filesystem that holds (or will hold) ``path``."""
    probe = existing_ancestor(path)
    u = shutil.disk_usage(probe)
    return DiskUsage(path=Path(path), total=u.total, free=u.free)


def require_free(path: Path, need: int, *, what: str) -> None:
    """Refuse with :class:`NoSpace` unless ``need`` bytes are free where ``path`` lives.

    Parameters
    ----------
    path
        The file or directory about to be written.
    need
        Bytes that will be written (an upper estimate).
    what
        What is being written, for the message (e.g. ``"备份 (backup)"``).
    """
    free = usage(path).free
    if free < need:
        raise NoSpace(
            f"磁盘空间不足 (not enough disk space) for {what} at {existing_ancestor(path)}: "
            f"need about {human_bytes(need)}, {human_bytes(free)} free — free some space or "
            f"choose another location",
            need=need,
            free=free,
        )


def human_bytes(n: float) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def is_no_space(exc: BaseException) -> bool:
    """Whether an ``OSError`` means the disk (or quota) is full."""
    import errno

    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
