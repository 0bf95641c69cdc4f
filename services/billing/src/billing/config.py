"""Billing's settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from finhub_shared.settings import (
    PublicUrl,
    StripeApiKey,
    TokenVerificationSettings,
    load_settings,
)


class BillingSettings(TokenVerificationSettings):
    """Everything billing reads from the environment."""

    port: int = Field(8001, validation_alias="BILLING_PORT")
    database_url: SecretStr = Field(validation_alias="BILLING_DATABASE_URL")
    jwt_private_key: SecretStr = Field(validation_alias="JWT_PRIVATE_KEY")
    stripe_api_key: StripeApiKey = Field(validation_alias="STRIPE_API_KEY")
    stripe_api_base: PublicUrl = Field("https://api.stripe.com", validation_alias="STRIPE_API_BASE")
    # StripeClient makes a single attempt unless told otherwise; retries reuse the idempotency key.
    stripe_max_network_retries: int = Field(
        2, ge=0, le=5, validation_alias="STRIPE_MAX_NETWORK_RETRIES"
    )
    stripe_timeout_seconds: float = Field(
        20.0, gt=0, le=80, validation_alias="STRIPE_TIMEOUT_SECONDS"
    )
    # Where Stripe should deliver webhooks; `check-stripe` looks for an endpoint on this base.
    public_webhook_base_url: PublicUrl = Field(
        "http://127.0.0.1:8000", validation_alias="PUBLIC_WEBHOOK_BASE_URL"
    )

    access_token_ttl_seconds: int = Field(
        900, ge=60, le=86_400, validation_alias="BILLING_ACCESS_TOKEN_TTL_SECONDS"
    )
    refresh_token_ttl_days: int = Field(
        30, ge=1, le=365, validation_alias="BILLING_REFRESH_TOKEN_TTL_DAYS"
    )
    # Refresh tokens rotate, but a log-in's family ends this long after the log-in, used or not.
    # A token presented again within the grace (a lost answer) gets the same new pair again.
    refresh_reuse_grace_seconds: int = Field(
        10, ge=0, le=60, validation_alias="BILLING_REFRESH_REUSE_GRACE_SECONDS"
    )
    # Failed log-ins allowed per email from one client address, then per email from anywhere,
    # before each further attempt waits: a delay starting at the base, doubling per failure, capped.
    login_max_failures: int = Field(5, ge=1, le=100, validation_alias="BILLING_LOGIN_MAX_FAILURES")
    login_account_max_failures: int = Field(
        20, ge=1, le=1000, validation_alias="BILLING_LOGIN_ACCOUNT_MAX_FAILURES"
    )
    login_delay_base_seconds: int = Field(
        1, ge=1, le=3600, validation_alias="BILLING_LOGIN_DELAY_BASE_SECONDS"
    )
    login_delay_cap_seconds: int = Field(
        300, ge=1, le=86_400, validation_alias="BILLING_LOGIN_DELAY_CAP_SECONDS"
    )
    # Failures are forgotten after this long without an attempt.
    login_window_seconds: int = Field(
        900, ge=10, le=86_400, validation_alias="BILLING_LOGIN_WINDOW_SECONDS"
    )

    trial_days: int = Field(14, ge=0, le=365, validation_alias="BILLING_TRIAL_DAYS")
    # The plan whose limits a company has during its trial.
    trial_plan: str = Field("professional", validation_alias="BILLING_TRIAL_PLAN")
    # The versions of the legal documents a sign-up accepts; a sign-up naming another is refused.
    terms_version: str = Field(
        "2026-12-01", min_length=1, max_length=50, validation_alias="BILLING_TERMS_VERSION"
    )
    privacy_policy_version: str = Field(
        "2026-12-01", min_length=1, max_length=50, validation_alias="BILLING_PRIVACY_POLICY_VERSION"
    )
    # A data export still waiting for banking's part this long fails; a ready archive is kept
    # this many days.
    export_timeout_seconds: int = Field(
        1800, ge=10, le=7 * 86_400, validation_alias="BILLING_EXPORT_TIMEOUT_SECONDS"
    )
    export_retention_days: int = Field(
        7, ge=1, le=90, validation_alias="BILLING_EXPORT_RETENTION_DAYS"
    )

    checkout_success_url: PublicUrl = Field(
        "http://localhost:3000/billing/success?session_id={CHECKOUT_SESSION_ID}",
        validation_alias="BILLING_CHECKOUT_SUCCESS_URL",
    )
    checkout_cancel_url: PublicUrl = Field(
        "http://localhost:3000/billing/cancelled", validation_alias="BILLING_CHECKOUT_CANCEL_URL"
    )
    portal_return_url: PublicUrl = Field(
        "http://localhost:3000/settings/billing", validation_alias="BILLING_PORTAL_RETURN_URL"
    )
    # Refund a charge as soon as its issuer reports it as fraud, before it becomes a dispute.
    auto_refund_fraud_warnings: bool = Field(
        False, validation_alias="BILLING_AUTO_REFUND_FRAUD_WARNINGS"
    )
    # How often the worker runs the trial, dunning and refund jobs.
    jobs_interval_seconds: float = Field(
        60.0, gt=0, le=3600, validation_alias="BILLING_JOBS_INTERVAL_SECONDS"
    )

    @property
    def jwt_private_key_pem(self) -> str:
        """The PEM text, whether the variable held real newlines or `\\n` escapes."""
        return self.jwt_private_key.get_secret_value().replace("\\n", "\n")


@lru_cache
def get_settings() -> BillingSettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(BillingSettings, "billing")
