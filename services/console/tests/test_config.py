"""In production the console refuses `make run`'s local addresses for the services it calls, and
asks for no broker (it has none)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console.config import ConsoleSettings
from finhub_shared.settings import MissingSettingError, load_settings

PRODUCTION = {
    "ENVIRONMENT": "production",
    "CONSOLE_SECRET_KEY": "k" * 43,
    "FORWARDED_ALLOW_IPS": "10.0.0.0/8",
}
IN_THE_CLUSTER = {
    "CONSOLE_BILLING_URL": "http://billing:8001",
    "CONSOLE_BANKING_URL": "http://banking:8002",
    "CONSOLE_LIVE_URL": "http://live:8004",
    "CONSOLE_GATEWAY_ADMIN_URL": "http://gateway-admin:8003",
    "CONSOLE_HEALTH_TARGETS": "billing=http://billing:8001,banking-worker=http://banking-worker:9100",
}


@pytest.fixture
def only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No .env and no variable but those a test sets."""
    monkeypatch.chdir(tmp_path)
    for variable in list(os.environ):
        monkeypatch.delenv(variable)
    return monkeypatch


def load(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> ConsoleSettings:
    for variable, value in values.items():
        monkeypatch.setenv(variable, value)
    return load_settings(ConsoleSettings, "console")


def test_production_refuses_the_local_defaults_naming_each(only: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingSettingError) as refused:
        load(only, PRODUCTION)

    message = str(refused.value)
    for variable in IN_THE_CLUSTER:
        assert f"{variable} must not point at this machine" in message
    assert "AMQP_URL" not in message


def test_production_refuses_one_local_health_target(only: pytest.MonkeyPatch) -> None:
    targets = IN_THE_CLUSTER["CONSOLE_HEALTH_TARGETS"] + ",live=http://127.0.0.1:8004"

    with pytest.raises(MissingSettingError, match="CONSOLE_HEALTH_TARGETS must not point"):
        load(only, {**PRODUCTION, **IN_THE_CLUSTER, "CONSOLE_HEALTH_TARGETS": targets})


def test_production_starts_with_the_services_of_the_cluster(only: pytest.MonkeyPatch) -> None:
    settings = load(only, {**PRODUCTION, **IN_THE_CLUSTER})

    assert settings.production_problems() == []
    assert settings.health_urls["banking-worker"] == "http://banking-worker:9100"
