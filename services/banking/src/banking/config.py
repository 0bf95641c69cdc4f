"""Banking's settings."""

from __future__ import annotations

from functools import lru_cache
from typing import Self

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator, model_validator

from finhub_shared.settings import (
    DevelopmentSwitch,
    PublicUrl,
    TokenVerificationSettings,
    load_settings,
    split_secrets,
)


class BankingSettings(TokenVerificationSettings):
    """Everything banking reads from the environment."""

    port: int = Field(8002, validation_alias="BANKING_PORT")
    database_url: SecretStr = Field(validation_alias="BANKING_DATABASE_URL")
    pluggy_client_id: str = Field(validation_alias="PLUGGY_CLIENT_ID")
    pluggy_client_secret: SecretStr = Field(validation_alias="PLUGGY_CLIENT_SECRET")
    pluggy_api_url: PublicUrl = Field("https://api.pluggy.ai", validation_alias="PLUGGY_API_URL")
    # Payment requests created in Pluggy's sandbox mode (no real money moves).
    pluggy_payments_sandbox: DevelopmentSwitch = Field(
        False, validation_alias="PLUGGY_PAYMENTS_SANDBOX"
    )
    # Pluggy's sandbox connectors (Pluggy Bank...) listed with the real ones: for development.
    pluggy_sandbox_connectors: DevelopmentSwitch = Field(
        False, validation_alias="PLUGGY_SANDBOX_CONNECTORS"
    )
    # Each call to Pluggy: how long one attempt may wait, then how often a failing one is tried
    # (the first included) and the longest wait between two tries (a backoff, or Pluggy's
    # Retry-After, cut to it). The API answers a person, so it gives up sooner than the worker.
    pluggy_timeout_seconds: float = Field(
        30, gt=0, le=300, validation_alias="BANKING_PLUGGY_TIMEOUT_SECONDS"
    )
    pluggy_retry_first_wait_seconds: float = Field(
        0.5, gt=0, le=60, validation_alias="BANKING_PLUGGY_RETRY_FIRST_WAIT_SECONDS"
    )
    pluggy_api_attempts: int = Field(3, ge=1, le=10, validation_alias="BANKING_PLUGGY_API_ATTEMPTS")
    pluggy_api_max_wait_seconds: float = Field(
        2, gt=0, le=60, validation_alias="BANKING_PLUGGY_API_MAX_WAIT_SECONDS"
    )
    pluggy_worker_attempts: int = Field(
        4, ge=1, le=20, validation_alias="BANKING_PLUGGY_WORKER_ATTEMPTS"
    )
    pluggy_worker_max_wait_seconds: float = Field(
        60, gt=0, le=600, validation_alias="BANKING_PLUGGY_WORKER_MAX_WAIT_SECONDS"
    )
    # How often the worker reads Pluggy's list of connectors (new banks, names, health).
    connector_catalogue_refresh_seconds: int = Field(
        6 * 3600, ge=60, validation_alias="BANKING_CONNECTOR_CATALOGUE_REFRESH_SECONDS"
    )
    # Comma-separated Fernet keys: the first encrypts, every one decrypts (for rotation).
    mfa_encryption_key: SecretStr = Field(validation_alias="MFA_ENCRYPTION_KEY")
    mfa_window_seconds: int = Field(
        120, ge=30, le=900, validation_alias="BANKING_MFA_WINDOW_SECONDS"
    )
    trial_days: int = Field(14, ge=0, le=365, validation_alias="BANKING_TRIAL_DAYS")
    trial_bank_accounts: int = Field(10, ge=0, validation_alias="BANKING_TRIAL_BANK_ACCOUNTS")
    trial_transactions_per_month: int = Field(
        5000, ge=0, validation_alias="BANKING_TRIAL_TRANSACTIONS_PER_MONTH"
    )
    # How long a sync waits before trying again when the bank or Pluggy is down.
    sync_postpone_seconds: int = Field(
        300, ge=1, le=86_400, validation_alias="BANKING_SYNC_POSTPONE_SECONDS"
    )
    # A running sync silent for this long was lost by a crash: it is run again. A live run
    # beats three times per window, however slowly Pluggy answers.
    sync_stalled_after_seconds: int = Field(
        30, ge=10, le=86_400, validation_alias="BANKING_SYNC_STALLED_AFTER_SECONDS"
    )
    # A queued sync no worker started for this long lost its message: it is published again.
    sync_queued_timeout_seconds: int = Field(
        900, ge=60, le=86_400, validation_alias="BANKING_SYNC_QUEUED_TIMEOUT_SECONDS"
    )
    # An item in progress (logging in, updating, waiting for MFA) neither changed nor checked
    # for this long may have lost its webhook: the worker asks Pluggy for it (and again after
    # as long, while it stays in progress).
    item_webhook_overdue_seconds: int = Field(
        20, ge=5, le=3600, validation_alias="BANKING_ITEM_WEBHOOK_OVERDUE_SECONDS"
    )
    # A connection Pluggy left OUTDATED (the bank did not answer) is updated again this long
    # after, then after twice as long at each failure, up to the max (each jittered).
    outdated_retry_first_seconds: int = Field(
        300, ge=10, le=86_400, validation_alias="BANKING_OUTDATED_RETRY_FIRST_SECONDS"
    )
    outdated_retry_max_seconds: int = Field(
        6 * 3600, ge=10, le=86_400, validation_alias="BANKING_OUTDATED_RETRY_MAX_SECONDS"
    )
    # Categorisation rules one company may keep: each synced transaction is matched against
    # them all, so their number bounds the work of a sync.
    max_rules_per_company: int = Field(
        200, ge=1, le=10_000, validation_alias="BANKING_MAX_RULES_PER_COMPANY"
    )
    # A company's category model guesses once it learned from this many corrections of at least
    # this many categories (one category alone would be given to everything), and a guess is
    # given (proposed, or applied with the company's consent) when at least this sure. The
    # defaults are banking.learning.classifier's, which bench/bench_categorisation.py measures.
    learning_min_corrections: int = Field(
        3, ge=2, le=10_000, validation_alias="BANKING_LEARNING_MIN_CORRECTIONS"
    )
    learning_min_categories: int = Field(
        2, ge=2, le=1_000, validation_alias="BANKING_LEARNING_MIN_CATEGORIES"
    )
    learning_min_confidence: float = Field(
        0.6, gt=0, le=1, validation_alias="BANKING_LEARNING_MIN_CONFIDENCE"
    )
    # Runs a sync may start; one that stalls after this many ends failed.
    sync_max_attempts: int = Field(3, ge=1, le=20, validation_alias="BANKING_SYNC_MAX_ATTEMPTS")
    # An OpenAI-compatible API (base URL, ending in /v1) and model that write enterprise
    # companies' month summary from aggregated numbers; unset, a template writes it.
    insights_llm_url: str | None = Field(None, validation_alias="BANKING_INSIGHTS_LLM_URL")
    insights_llm_model: str | None = Field(None, validation_alias="BANKING_INSIGHTS_LLM_MODEL")
    insights_llm_api_key: SecretStr | None = Field(
        None, validation_alias="BANKING_INSIGHTS_LLM_API_KEY"
    )
    insights_llm_timeout_seconds: float = Field(
        20, gt=0, le=120, validation_alias="BANKING_INSIGHTS_LLM_TIMEOUT_SECONDS"
    )

    @field_validator("mfa_encryption_key")
    @classmethod
    def _must_be_fernet_keys(cls, value: SecretStr) -> SecretStr:
        keys = split_secrets(value)
        if not keys:
            raise ValueError("MFA_ENCRYPTION_KEY is empty")
        for key in keys:
            try:
                Fernet(key)
            except ValueError:
                # Never echo the value: it is a secret even when malformed.
                raise ValueError(
                    "MFA_ENCRYPTION_KEY must be Fernet keys (Fernet.generate_key())"
                ) from None
        return value

    @model_validator(mode="after")
    def _llm_url_needs_a_model(self) -> Self:
        if self.insights_llm_url and not self.insights_llm_model:
            raise ValueError("BANKING_INSIGHTS_LLM_URL is set without BANKING_INSIGHTS_LLM_MODEL")
        return self


@lru_cache
def get_settings() -> BankingSettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(BankingSettings, "banking")
