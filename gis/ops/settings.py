"""Operations settings (prefix ``GRIDMAP_BACKUP_``), separate from the main settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.settings import Settings


class BackupSettings(BaseSettings):
    """Where backups go, how often the server makes them and how many it keeps.

    ``interval_hours = 0`` turns scheduled backups off. Scheduled backups run only for the
    app-owned local cluster unless ``external = true`` (a managed database usually has its
    own backups).
    """

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_BACKUP_", extra="ignore")

    dir: Path | None = None
    interval_hours: float = Field(default=24.0, ge=0)
    keep: int = Field(default=7, ge=1)
    stale_hours: float = Field(default=36.0, gt=0)
    external: bool = False
    # Space that must stay free for photos before /readyz says the server is not ready.
    min_free_mb: int = Field(default=512, ge=0)

    def backup_dir(self, settings: Settings) -> Path:
        """The backup directory (default ``var/backups``)."""
        return self.dir or settings.var_dir / "backups"


@lru_cache
def get_backup_settings() -> BackupSettings:
    """The process-wide operations settings (read once)."""
    return BackupSettings()
