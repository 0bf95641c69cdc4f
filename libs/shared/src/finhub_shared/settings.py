"""Settings from environment variables and a `.env` file; the environment always wins."""

from __future__ import annotations

import os
from typing import Literal, Self, TypeVar

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

Environment = Literal["development", "test", "production"]

# Values that .env.example ships; a production service refuses them.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "dev-only", "example")


class MissingSettingError(SystemExit):
    """Raised at start-up when a required setting is absent; its message is one line."""


class ServiceSettings(BaseSettings):
    """What every service reads; each service subclasses it with its own fields."""

    # An empty variable (`SANDBOX_SEED_FILE=` in .env) means "not set": its default applies,
    # and a required secret left empty stops the service like a missing one.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
    )

    environment: Environment = Field("development", validation_alias="ENVIRONMENT")
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="LOG_JSON")
    log_access: bool = Field(False, validation_alias="LOG_ACCESS")
    amqp_url: SecretStr = Field(
        SecretStr("amqp://finhub:finhub@127.0.0.1:5672/finhub"), validation_alias="AMQP_URL"
    )
    consumer_prefetch: int = Field(16, ge=1, le=1000, validation_alias="CONSUMER_PREFETCH")
    # Connections each process may hold to its database; a worker's consumers take no more
    # messages at once than this pool can serve.
    database_pool_size: int = Field(20, ge=2, le=500, validation_alias="DATABASE_POOL_SIZE")
    # The largest request body the API reads (413 payload_too_large beyond it); a route with a
    # bigger limit of its own (WEBHOOK_MAX_BODY_BYTES) needs this one at least as big.
    max_request_body_bytes: int = Field(
        1024 * 1024, ge=1, validation_alias="MAX_REQUEST_BODY_BYTES"
    )
    # The worker process serves its own /metrics (consumers, outbox backlog); 0 turns it off.
    worker_metrics_port: int = Field(0, ge=0, le=65535, validation_alias="WORKER_METRICS_PORT")

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Self:
        if self.environment != "production":
            return self
        for name, value in self:
            if isinstance(value, SecretStr) and _looks_like_placeholder(value):
                raise ValueError(f"{name} still holds a development placeholder")
        return self


class TokenVerificationSettings(ServiceSettings):
    """Services that accept the access tokens billing issues."""

    jwt_public_key: SecretStr = Field(validation_alias="JWT_PUBLIC_KEY")
    jwt_issuer: str = Field("finhub-billing", validation_alias="JWT_ISSUER")
    jwt_audience: str = Field("finhub", validation_alias="JWT_AUDIENCE")

    @property
    def jwt_public_key_pem(self) -> str:
        """The PEM text, whether the variable held real newlines or `\\n` escapes."""
        return self.jwt_public_key.get_secret_value().replace("\\n", "\n")


def _looks_like_placeholder(value: SecretStr) -> bool:
    text = value.get_secret_value().lower()
    return any(marker in text for marker in PLACEHOLDER_MARKERS)


def read_variable(name: str) -> str | None:
    """One variable from the environment, else from `.env`, for tools that need no full settings."""
    return os.environ.get(name) or dotenv_values(".env").get(name)


def split_secrets(value: SecretStr) -> list[str]:
    """A comma-separated list of secrets (for rotation), without blanks."""
    return [part.strip() for part in value.get_secret_value().split(",") if part.strip()]


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def load_settings(settings_class: type[SettingsT], service: str) -> SettingsT:
    """Read the settings, or stop the process with a one-line reason naming what is wrong."""
    try:
        return settings_class()
    except ValidationError as error:
        problems = "; ".join(_describe(problem) for problem in error.errors())
        raise MissingSettingError(f"{service} refuses to start: {problems}") from None
    except SettingsError as error:
        raise MissingSettingError(f"{service} refuses to start: {error}") from None


def _describe(problem: object) -> str:
    assert isinstance(problem, dict)
    where = ".".join(str(part) for part in problem.get("loc", ())) or "settings"
    if problem.get("type") == "missing":
        return f"{where} is not set"
    return f"{where}: {problem.get('msg', 'invalid')}"
