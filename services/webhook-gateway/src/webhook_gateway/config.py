"""The webhook gateway's settings."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from finhub_shared.settings import PublicUrl, ServiceSettings, load_settings, split_secrets

Network = IPv4Network | IPv6Network
MIN_ADMIN_TOKEN_LENGTH = 32
# Every consumer queue of the system (each service's consumer.py): the admin API's dead letters.
CONSUMER_QUEUES = (
    "billing.stripe",
    "billing.usage",
    "billing.notifications",
    "billing.privacy",
    "banking.pluggy",
    "banking.entitlements",
    "banking.exports",
    "banking.erasure",
    "banking.sync-jobs",
    "banking.insights",
    "live.events",
    "webhook-gateway.privacy",
    "webhook-gateway.fates",
)


class GatewaySettings(ServiceSettings):
    """Everything the gateway reads from the environment; it refuses to start without a secret."""

    port: int = Field(8000, validation_alias="GATEWAY_PORT")
    # The admin API's own port: never routed by the ingress that exposes the webhooks.
    admin_port: int = Field(8003, ge=1, le=65535, validation_alias="GATEWAY_ADMIN_PORT")
    database_url: SecretStr = Field(validation_alias="GATEWAY_DATABASE_URL")
    admin_token: SecretStr = Field(validation_alias="ADMIN_TOKEN")
    # The consumer queues whose dead letters the admin API shows, replays and drops.
    dead_letter_queues: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(CONSUMER_QUEUES), validation_alias="ADMIN_DEAD_LETTER_QUEUES"
    )

    stripe_webhook_secret: SecretStr = Field(validation_alias="STRIPE_WEBHOOK_SECRET")
    stripe_tolerance_seconds: int = Field(
        300, ge=1, validation_alias="STRIPE_WEBHOOK_TOLERANCE_SECONDS"
    )
    # The mode of billing's Stripe key (sk_live_ is live): events of the other mode are refused.
    # The gateway holds no API key to tell; unset means live in production, test elsewhere.
    stripe_livemode_setting: bool | None = Field(None, validation_alias="STRIPE_LIVEMODE")

    pluggy_webhook_secret: SecretStr = Field(validation_alias="PLUGGY_WEBHOOK_SECRET")
    pluggy_client_id: str = Field(validation_alias="PLUGGY_CLIENT_ID")
    pluggy_client_secret: SecretStr | None = Field(None, validation_alias="PLUGGY_CLIENT_SECRET")
    pluggy_api_url: PublicUrl = Field("https://api.pluggy.ai", validation_alias="PLUGGY_API_URL")
    public_webhook_base_url: PublicUrl = Field(
        "http://127.0.0.1:8000", validation_alias="PUBLIC_WEBHOOK_BASE_URL"
    )
    # Empty: Pluggy deliveries are accepted from any address (the secret header still applies).
    pluggy_allowed_networks: Annotated[list[Network], NoDecode] = Field(
        default_factory=list, validation_alias="PLUGGY_WEBHOOK_ALLOWED_CIDRS"
    )
    # X-Forwarded-For is believed only when the direct peer is one of these proxies.
    trusted_proxy_networks: Annotated[list[Network], NoDecode] = Field(
        default_factory=list, validation_alias="TRUSTED_PROXY_CIDRS"
    )

    max_body_bytes: int = Field(1024 * 1024, ge=1024, validation_alias="WEBHOOK_MAX_BODY_BYTES")
    rate_limit_per_source: int = Field(
        60_000, ge=1, validation_alias="WEBHOOK_RATE_LIMIT_PER_SOURCE_PER_MINUTE"
    )
    rate_limit_per_type: int = Field(
        30_000, ge=1, validation_alias="WEBHOOK_RATE_LIMIT_PER_TYPE_PER_MINUTE"
    )
    retention_days: int = Field(90, ge=1, validation_alias="WEBHOOK_RETENTION_DAYS")

    @property
    def stripe_livemode(self) -> bool:
        """Whether the Stripe events to accept are live ones (else test-mode ones)."""
        if self.stripe_livemode_setting is None:
            return self.environment == "production"
        return self.stripe_livemode_setting

    @model_validator(mode="after")
    def _admin_apart_from_the_webhooks(self) -> Self:
        if self.admin_port == self.port:
            raise ValueError("GATEWAY_ADMIN_PORT must differ from GATEWAY_PORT")
        return self

    def production_problems(self) -> list[str]:
        """Besides the shared rules: live Stripe events, and real webhook secrets."""
        problems = super().production_problems()
        # Production bills with a live key: test-mode events there would be forged or misrouted.
        if self.stripe_livemode_setting is False:
            problems.append("STRIPE_LIVEMODE must not be false")
        if not all(
            secret.startswith("whsec_") for secret in split_secrets(self.stripe_webhook_secret)
        ):
            problems.append("STRIPE_WEBHOOK_SECRET must hold Stripe's whsec_ secrets")
        return problems

    @field_validator("admin_token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        # The token opens every stored webhook and can replay them: not something to guess.
        if len(value.get_secret_value()) < MIN_ADMIN_TOKEN_LENGTH:
            raise ValueError(
                f"must be at least {MIN_ADMIN_TOKEN_LENGTH} characters "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value

    @field_validator(
        "pluggy_allowed_networks", "trusted_proxy_networks", "dead_letter_queues", mode="before"
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("stripe_webhook_secret", "pluggy_webhook_secret")
    @classmethod
    def _at_least_one_secret(cls, value: SecretStr) -> SecretStr:
        if not split_secrets(value):
            raise ValueError("must hold at least one secret")
        return value


@lru_cache
def get_settings() -> GatewaySettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(GatewaySettings, "webhook-gateway")
