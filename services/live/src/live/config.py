"""The live service's settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from finhub_shared.settings import TokenVerificationSettings, load_settings


class LiveSettings(TokenVerificationSettings):
    """Everything the live service reads from the environment."""

    port: int = Field(8004, validation_alias="LIVE_PORT")
    database_url: SecretStr = Field(validation_alias="LIVE_DATABASE_URL")
    # Stored events older than this are pruned; a client resuming within it misses nothing.
    retention_hours: int = Field(48, ge=24, validation_alias="LIVE_RETENTION_HOURS")
    # Streams one user may hold open across every replica; one more answers 429 too_many_streams.
    max_streams_per_user: int = Field(3, ge=1, le=100, validation_alias="LIVE_MAX_STREAMS_PER_USER")
    # A comment line after this long without an event keeps proxies from closing the stream.
    heartbeat_seconds: float = Field(15.0, gt=0, le=60, validation_alias="LIVE_HEARTBEAT_SECONDS")


@lru_cache
def get_settings() -> LiveSettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(LiveSettings, "live")
