"""The console's settings: where each service answers, and the key that signs its cookies."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from finhub_shared.settings import (
    ProductionRule,
    PublicUrl,
    ServiceSettings,
    ServiceUrl,
    load_settings,
    local_url_problem,
)

# `make run`'s processes and where their readiness answers (each worker's metrics port).
DEFAULT_HEALTH_TARGETS = (
    "gateway=http://127.0.0.1:8000",
    "gateway-admin=http://127.0.0.1:8003",
    "billing=http://127.0.0.1:8001",
    "banking=http://127.0.0.1:8002",
    "live=http://127.0.0.1:8004",
    "gateway-worker=http://127.0.0.1:9100",
    "billing-worker=http://127.0.0.1:9101",
    "banking-worker=http://127.0.0.1:9102",
    "live-worker=http://127.0.0.1:9103",
)


def _local_target_problem(targets: list[str]) -> str | None:
    problems = (local_url_problem(target.partition("=")[2]) for target in targets)
    return next((problem for problem in problems if problem), None)


class ConsoleSettings(ServiceSettings):
    """Everything the console reads from the environment; it keeps no database of its own."""

    uses_broker = False  # it calls the services' HTTP APIs only

    port: int = Field(8080, ge=1, le=65535, validation_alias="CONSOLE_PORT")
    # Signs the session cookie (the user's access token, the operator's admin token).
    secret_key: SecretStr = Field(validation_alias="CONSOLE_SECRET_KEY")
    billing_url: ServiceUrl = Field("http://127.0.0.1:8001", validation_alias="CONSOLE_BILLING_URL")
    banking_url: ServiceUrl = Field("http://127.0.0.1:8002", validation_alias="CONSOLE_BANKING_URL")
    live_url: ServiceUrl = Field("http://127.0.0.1:8004", validation_alias="CONSOLE_LIVE_URL")
    gateway_admin_url: ServiceUrl = Field(
        "http://127.0.0.1:8003", validation_alias="CONSOLE_GATEWAY_ADMIN_URL"
    )
    # Where the connect page sends the bank log-in with banking's connect token, as Pluggy's
    # widget does (the sandbox's Pluggy in development).
    pluggy_api_url: PublicUrl = Field("https://api.pluggy.ai", validation_alias="PLUGGY_API_URL")
    # name=base URL of each process whose /readyz (and /metrics) the health page reads.
    health_targets: Annotated[list[str], NoDecode, ProductionRule(_local_target_problem)] = Field(
        default_factory=lambda: list(DEFAULT_HEALTH_TARGETS),
        validation_alias="CONSOLE_HEALTH_TARGETS",
    )
    # How long the console waits on a service before showing that it is unavailable.
    service_timeout_seconds: float = Field(
        10.0, gt=0, le=120, validation_alias="CONSOLE_SERVICE_TIMEOUT_SECONDS"
    )

    @field_validator("health_targets", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("health_targets")
    @classmethod
    def _named(cls, value: list[str]) -> list[str]:
        if any("=" not in target for target in value):
            raise ValueError("each target must be name=url")
        return value

    @property
    def health_urls(self) -> dict[str, str]:
        """Each health target's name and base URL."""
        return dict(target.split("=", 1) for target in self.health_targets)


@lru_cache
def get_settings() -> ConsoleSettings:
    """The settings, read once; stops the process with a one-line reason if one is missing."""
    return load_settings(ConsoleSettings, "console")
