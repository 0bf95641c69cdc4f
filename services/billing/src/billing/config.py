"""Billing's settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from finhub_shared.settings import TokenVerificationSettings, load_settings


class BillingSettings(TokenVerificationSettings):
    """Everything billing reads from the environment."""

    port: int = Field(8001, validation_alias="BILLING_PORT")
    database_url: SecretStr = Field(validation_alias="BILLING_DATABASE_URL")
    jwt_private_key: SecretStr = Field(validation_alias="JWT_PRIVATE_KEY")
    stripe_api_key: SecretStr = Field(validation_alias="STRIPE_API_KEY")
    stripe_api_base: str = Field("https://api.stripe.com", validation_alias="STRIPE_API_BASE")


@lru_cache
def get_settings() -> BillingSettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(BillingSettings, "billing")
