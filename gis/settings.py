"""Settings read from the environment (prefix ``GRIDMAP_``), validated at start-up.

``DATABASE_URL`` and ``PORT`` are also read without the prefix, as most hosts set them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "change-me"


class Settings(BaseSettings):
    """Everything the platform reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_", extra="ignore")

    env: Literal["development", "demo", "production", "test"] = "development"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("GRIDMAP_DATABASE_URL", "DATABASE_URL")
    )
    var_dir: Path = PROJECT_ROOT / "var"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, validation_alias=AliasChoices("GRIDMAP_PORT", "PORT"))
    workers: int = 1
    secret_key: str = DEFAULT_SECRET
    log_level: str = "INFO"
    log_json: bool = True
    pool_size: int = 10
    # Until accounts exist: whether anonymous callers see personal fields and sensitive layers.
    anonymous_sees_personal: bool = False
    tile_cache_mb: int = 256

    @field_validator("port")
    @classmethod
    def _port_in_range(cls, v: int) -> int:
        if not 1 <= v <= 65535:
            raise ValueError(f"端口 {v} 不在 1–65535 范围内 (port out of range)")
        return v

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "GRIDMAP_SECRET_KEY is the default; set a long random value before running in "
                "production (e.g. `python -c 'import secrets;print(secrets.token_urlsafe(48))'`)"
            )
        return self

    @property
    def pg_dir(self) -> Path:
        """Data directory of the app-owned local PostGIS cluster."""
        return self.var_dir / "pg"

    @property
    def media_dir(self) -> Path:
        """Where photos and attachments are stored (outside the database)."""
        return self.var_dir / "media"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
