"""The provider sandbox's settings (development and tests only)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from finhub_shared.settings import Environment, ServiceSettings, load_settings


class SandboxSettings(ServiceSettings):
    """Where the sandbox listens and how it signs the webhooks it sends to the gateway."""

    port: int = Field(8010, validation_alias="SANDBOX_PORT")
    stripe_webhook_secret: SecretStr = Field(validation_alias="STRIPE_WEBHOOK_SECRET")
    pluggy_client_id: str = Field(validation_alias="PLUGGY_CLIENT_ID")
    pluggy_client_secret: SecretStr = Field(validation_alias="PLUGGY_CLIENT_SECRET")
    gateway_url: str = Field("http://127.0.0.1:8000", validation_alias="PUBLIC_WEBHOOK_BASE_URL")
    # Base of the hosted pages (checkout, invoices, portal) as a browser reaches the sandbox;
    # defaults to http://127.0.0.1:<port>.
    public_url: str | None = Field(None, validation_alias="SANDBOX_PUBLIC_URL")
    # Optional JSON file of objects to start with: {"stripe": {"objects": [...]}, "pluggy": ...}.
    seed_file: Path | None = Field(None, validation_alias="SANDBOX_SEED_FILE")
    # A new Stripe account: no products, prices or webhook endpoint (`make stripe-setup` makes
    # them). Otherwise the plans' products and prices and the gateway's endpoint are seeded.
    stripe_empty_account: bool = Field(False, validation_alias="SANDBOX_STRIPE_EMPTY_ACCOUNT")
    # Seconds between the three quick attempts of each round of a Pluggy webhook delivery (the
    # rounds themselves are an hour apart on the Pluggy clock); tests make it small.
    pluggy_webhook_retry_seconds: float = Field(
        2.0, ge=0, validation_alias="SANDBOX_PLUGGY_WEBHOOK_RETRY_SECONDS"
    )
    # Pluggy's per-endpoint rate limits (429 when exceeded); off so tests and benchmarks run
    # at full speed. `POST /pluggy/_sandbox/rate-limits` switches them at run time.
    pluggy_rate_limits: bool = Field(False, validation_alias="SANDBOX_PLUGGY_RATE_LIMITS")

    @field_validator("environment")
    @classmethod
    def _never_in_production(cls, environment: Environment) -> Environment:
        # It accepts any sk_test_ key and forges provider webhooks: a production one is a hole.
        if environment == "production":
            raise ValueError("the provider sandbox is a test double and never runs in production")
        return environment

    @property
    def base_url(self) -> str:
        """Where a browser (or a service) reaches the sandbox, without a trailing slash."""
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")


@lru_cache
def get_settings() -> SandboxSettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(SandboxSettings, "provider-sandbox")
