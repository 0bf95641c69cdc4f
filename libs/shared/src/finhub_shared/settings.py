"""Settings from environment variables and a `.env` file; the environment always wins."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_address, ip_network
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

Environment = Literal["development", "test", "production"]

# Values that .env.example and the deploy templates ship; a production service refuses them.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "dev-only", "example", "sandbox-client-id")
LOOPBACK_HOSTS = frozenset({"localhost", "0.0.0.0"})  # and every loopback address
LIVE_STRIPE_KEY_PREFIXES = ("sk_live_", "rk_live_")


@dataclass(frozen=True)
class ProductionRule:
    """What a setting must be with ENVIRONMENT=production: `problem(value)` says what is wrong
    with it (never the value itself, which may be a secret), or None."""

    problem: Callable[[Any], str | None]


def _public_url_problem(value: str) -> str | None:
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return "must be an https:// URL"
    if not host or host in LOOPBACK_HOSTS or host.endswith(".localhost") or _is_loopback(host):
        return "must not point at this machine (localhost)"
    return None


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def local_url_problem(value: str) -> str | None:
    """What is wrong with a URL that production must not find on this machine, or None."""
    host = (urlsplit(value).hostname or "").lower()
    if host in LOOPBACK_HOSTS or host.endswith(".localhost") or _is_loopback(host):
        return "must not point at this machine (localhost)"
    return None


def _live_stripe_key_problem(value: SecretStr) -> str | None:
    if value.get_secret_value().startswith(LIVE_STRIPE_KEY_PREFIXES):
        return None
    return "must be a live key (sk_live_ or rk_live_)"


def _off_problem(value: bool) -> str | None:
    return "must be false" if value else None


# A URL a provider or a user's browser reaches: https, and not localhost, in production.
PublicUrl = Annotated[str, ProductionRule(_public_url_problem)]
# Another service's URL inside the deployment (http://billing:8001): anything but this machine in
# production, where a development default would reach nothing.
ServiceUrl = Annotated[str, ProductionRule(local_url_problem)]
# The Stripe API key: a live one in production (a test key bills nobody).
StripeApiKey = Annotated[SecretStr, ProductionRule(_live_stripe_key_problem)]
# A development convenience (sandbox mode, test data) that production keeps off.
DevelopmentSwitch = Annotated[bool, ProductionRule(_off_problem)]


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

    # Whether the process talks to RabbitMQ: production then wants AMQP_URL set. The web console,
    # which only calls the services' HTTP APIs, has no broker to name.
    uses_broker: ClassVar[bool] = True

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
    # Connections past the pool a burst may open, closed again when returned; the process's
    # ceiling is pool size + overflow (deploy/k8s sizes both against max_connections).
    database_max_overflow: int = Field(0, ge=0, le=500, validation_alias="DATABASE_MAX_OVERFLOW")
    # asyncpg's prepared statements kept per connection. 0 behind a pooler in transaction mode
    # (PgBouncer): a statement is then prepared under a unique name for each use, since the next
    # transaction may run on another server connection that never saw it.
    database_statement_cache_size: int = Field(
        100, ge=0, le=10_000, validation_alias="DATABASE_STATEMENT_CACHE_SIZE"
    )
    # The largest request body the API reads (413 payload_too_large beyond it); a route with a
    # bigger limit of its own (WEBHOOK_MAX_BODY_BYTES) needs this one at least as big.
    max_request_body_bytes: int = Field(
        1024 * 1024, ge=1, validation_alias="MAX_REQUEST_BODY_BYTES"
    )
    # The worker process serves its own /metrics (consumers, outbox backlog); 0 turns it off.
    worker_metrics_port: int = Field(0, ge=0, le=65535, validation_alias="WORKER_METRICS_PORT")
    # The proxies (the ingress) whose X-Forwarded-For and -Proto uvicorn believes: comma-separated
    # addresses or networks. Unset: uvicorn's own default, this machine only.
    forwarded_allow_ips: str | None = Field(None, validation_alias="FORWARDED_ALLOW_IPS")

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, value: str | None) -> str | None:
        # uvicorn takes any other word for a host name and trusts nothing by it: say so instead.
        for part in (value or "*").split(","):
            if part.strip() != "*":
                try:
                    ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        "must be comma-separated addresses or networks, or *"
                    ) from None
        return value

    @model_validator(mode="after")
    def _fit_for_production(self) -> Self:
        # Every bad setting at once, so a rollout is fixed in one go rather than one per restart.
        if self.environment == "production" and (problems := self.production_problems()):
            raise ValueError("not fit for production: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """What production refuses in these settings, each naming its variable, never its value."""
        problems = []
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            variable = field.validation_alias if isinstance(field.validation_alias, str) else name
            if isinstance(value, str | SecretStr) and _looks_like_placeholder(value):
                problems.append(f"{variable} still holds a placeholder")
                continue
            for rule in field.metadata:
                if isinstance(rule, ProductionRule) and (problem := rule.problem(value)):
                    problems.append(f"{variable} {problem}")
        if self.uses_broker and "amqp_url" not in self.model_fields_set:
            problems.append("AMQP_URL is not set (the development broker would be used)")
        if self.forwarded_allow_ips is None:
            problems.append("FORWARDED_ALLOW_IPS must name the ingress's addresses")
        elif "*" in (part.strip() for part in self.forwarded_allow_ips.split(",")):
            problems.append("FORWARDED_ALLOW_IPS must not be * (anyone could forge an address)")
        return problems


class TokenVerificationSettings(ServiceSettings):
    """Services that accept the access tokens billing issues."""

    jwt_public_key: SecretStr = Field(validation_alias="JWT_PUBLIC_KEY")
    jwt_issuer: str = Field("finhub-billing", validation_alias="JWT_ISSUER")
    jwt_audience: str = Field("finhub", validation_alias="JWT_AUDIENCE")

    @property
    def jwt_public_key_pem(self) -> str:
        """The PEM text, whether the variable held real newlines or `\\n` escapes."""
        return self.jwt_public_key.get_secret_value().replace("\\n", "\n")


def _looks_like_placeholder(value: str | SecretStr) -> bool:
    text = (value.get_secret_value() if isinstance(value, SecretStr) else value).lower()
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
    where = ".".join(str(part) for part in problem.get("loc", ()))
    if problem.get("type") == "missing":
        return f"{where} is not set"
    if not where and problem.get("type") == "value_error":
        # A check across settings names its variables itself.
        return str(problem.get("ctx", {}).get("error", problem.get("msg", "invalid")))
    return f"{where or 'settings'}: {problem.get('msg', 'invalid')}"
