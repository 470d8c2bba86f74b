"""Sign-in policy, from the environment (prefix ``GRIDMAP_AUTH_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    """Token lifetimes and lock-out policy."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_AUTH_", extra="ignore")

    access_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_days: int = Field(default=14, ge=1, le=90)
    # After this many failures in a row the account is locked, for 1, 2, 4 … minutes.
    lockout_after: int = Field(default=5, ge=1, le=100)
    lockout_max_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # How long a signed-in user's state (active, role, grids) is cached per process.
    user_cache_seconds: float = Field(default=10.0, ge=0, le=300)


@lru_cache
def get_auth_settings() -> AuthSettings:
    return AuthSettings()
