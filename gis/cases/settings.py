"""Settings of the case workflow (prefix ``GRIDMAP_``), read once."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class CaseSettings(BaseSettings):
    """Limits and switches of case intake."""

    model_config = SettingsConfigDict(env_prefix="GRIDMAP_", extra="ignore")

    #: Largest accepted photo, bytes.
    photo_max_bytes: int = 8 * 1024 * 1024
    #: Most photos per upload.
    photo_max_count: int = 6
    #: Longest side of a thumbnail, pixels.
    thumb_px: int = 320
    #: An EXIF position further than this from the reported point is flagged.
    exif_tolerance_m: float = 200.0
    #: Radius and window of the duplicate suggestion.
    duplicate_radius_m: float = 50.0
    duplicate_days: int = 7
    #: Interim Open311 keys until account API keys exist: comma-separated plain keys or
    #: ``sha256:<hex>`` digests. TEMPORARY — replaced by ``gis.accounts.apikeys`` when present.
    open311_api_keys: str = ""
    #: PostgreSQL channel of the live feed.
    events_channel: str = "gridmap_events"
    #: How often the overdue sweeper looks for newly overdue cases, seconds.
    overdue_sweep_s: float = 30.0
    #: Database connections storing JSON reports (on the event loop), per process.
    intake_connections: int = 4
    #: How often the layer aggregate slot rows are folded together, seconds (0: never).
    aggregate_compact_s: float = 60.0


@lru_cache
def get_case_settings() -> CaseSettings:
    return CaseSettings()
