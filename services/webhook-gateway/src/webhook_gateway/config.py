"""The webhook gateway's settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from finhub_shared.settings import ServiceSettings, load_settings


class GatewaySettings(ServiceSettings):
    """Everything the gateway reads from the environment; it refuses to start without a secret."""

    port: int = Field(8000, validation_alias="GATEWAY_PORT")
    database_url: SecretStr = Field(validation_alias="GATEWAY_DATABASE_URL")
    stripe_webhook_secret: SecretStr = Field(validation_alias="STRIPE_WEBHOOK_SECRET")
    pluggy_webhook_secret: SecretStr = Field(validation_alias="PLUGGY_WEBHOOK_SECRET")
    pluggy_client_id: str = Field(validation_alias="PLUGGY_CLIENT_ID")
    admin_token: SecretStr = Field(validation_alias="ADMIN_TOKEN")


@lru_cache
def get_settings() -> GatewaySettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(GatewaySettings, "webhook-gateway")
