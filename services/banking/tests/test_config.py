"""Banking's settings in production: every setting is checked, and all that is wrong is named at
once, without a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from banking.config import BankingSettings
from finhub_shared.settings import MissingSettingError, load_settings

PRODUCTION = {
    "ENVIRONMENT": "production",
    "AMQP_URL": "amqps://banking:s3cret@rabbitmq.finhub.internal:5671/finhub",
    "FORWARDED_ALLOW_IPS": "10.0.0.0/8,fd00::/8",
    "PLUGGY_API_URL": "https://api.pluggy.ai",
    "PLUGGY_CLIENT_ID": "6f1c2a9e-3b7d-4f0a-9c1e-2d8b5a7e4c10",
    "PLUGGY_SANDBOX_CONNECTORS": "false",
    "PLUGGY_PAYMENTS_SANDBOX": "false",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Production settings that pass, read with no .env; a test spoils one and sees it named."""
    monkeypatch.chdir(tmp_path)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def refusal(monkeypatch: pytest.MonkeyPatch, **changes: str) -> str:
    for name, value in changes.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(MissingSettingError) as refused:
        load_settings(BankingSettings, "banking")
    return str(refused.value)


def test_production_settings_that_are_real_are_accepted(production: pytest.MonkeyPatch) -> None:
    assert load_settings(BankingSettings, "banking").environment == "production"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://api.pluggy.ai", "must be an https:// URL"),
        ("http://127.0.0.1:8010/pluggy", "must be an https:// URL"),
        ("https://localhost:8010/pluggy", "must not point at this machine"),
    ],
)
def test_the_pluggy_api_must_be_https_and_not_localhost(
    production: pytest.MonkeyPatch, url: str, problem: str
) -> None:
    assert f"PLUGGY_API_URL {problem}" in refusal(production, PLUGGY_API_URL=url)


@pytest.mark.parametrize("client_id", ["sandbox-client-id", "change-me", "changeme"])
def test_a_placeholder_client_id_is_refused(production: pytest.MonkeyPatch, client_id: str) -> None:
    message = refusal(production, PLUGGY_CLIENT_ID=client_id)

    assert "PLUGGY_CLIENT_ID still holds a placeholder" in message
    assert client_id not in message


@pytest.mark.parametrize("variable", ["PLUGGY_SANDBOX_CONNECTORS", "PLUGGY_PAYMENTS_SANDBOX"])
def test_pluggy_sandbox_switches_are_off_in_production(
    production: pytest.MonkeyPatch, variable: str
) -> None:
    assert f"{variable} must be false" in refusal(production, **{variable: "true"})


def test_placeholder_secrets_are_named_without_their_value(
    production: pytest.MonkeyPatch,
) -> None:
    message = refusal(production, PLUGGY_CLIENT_SECRET="change-me-please")

    assert "PLUGGY_CLIENT_SECRET still holds a placeholder" in message
    assert "change-me-please" not in message


def test_every_bad_setting_is_named_in_one_line(production: pytest.MonkeyPatch) -> None:
    production.delenv("FORWARDED_ALLOW_IPS")

    message = refusal(
        production,
        PLUGGY_API_URL="http://127.0.0.1:8010/pluggy",
        PLUGGY_CLIENT_ID="sandbox-client-id",
        PLUGGY_SANDBOX_CONNECTORS="true",
    )

    assert message == (
        "banking refuses to start: not fit for production: "
        "PLUGGY_CLIENT_ID still holds a placeholder; PLUGGY_API_URL must be an https:// URL; "
        "PLUGGY_SANDBOX_CONNECTORS must be false; "
        "FORWARDED_ALLOW_IPS must name the ingress's addresses"
    )
