"""The provider sandbox's settings (development and tests only)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from finhub_shared.settings import ServiceSettings, load_settings


class SandboxSettings(ServiceSettings):
    """Where the sandbox listens and how it signs the webhooks it sends to the gateway."""

    port: int = Field(8010, validation_alias="SANDBOX_PORT")
    stripe_webhook_secret: SecretStr = Field(validation_alias="STRIPE_WEBHOOK_SECRET")
    pluggy_client_id: str = Field(validation_alias="PLUGGY_CLIENT_ID")
    pluggy_client_secret: SecretStr = Field(validation_alias="PLUGGY_CLIENT_SECRET")
    gateway_url: str = Field("http://127.0.0.1:8000", validation_alias="PUBLIC_WEBHOOK_BASE_URL")


@lru_cache
def get_settings() -> SandboxSettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(SandboxSettings, "provider-sandbox")
