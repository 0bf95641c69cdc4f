"""The gateway's settings: an admin token short enough to guess is refused at start-up, and in
production every setting is checked, all that is wrong named at once without a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from finhub_shared.settings import MissingSettingError, load_settings
from webhook_gateway.config import GatewaySettings

PRODUCTION = {
    "ENVIRONMENT": "production",
    "AMQP_URL": "amqps://gateway:s3cret@rabbitmq.finhub.internal:5671/finhub",
    "FORWARDED_ALLOW_IPS": "10.0.0.0/8",
    "PUBLIC_WEBHOOK_BASE_URL": "https://webhooks.finhub.com.br",
    "PLUGGY_API_URL": "https://api.pluggy.ai",
    "PLUGGY_CLIENT_ID": "6f1c2a9e-3b7d-4f0a-9c1e-2d8b5a7e4c10",
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
        load_settings(GatewaySettings, "webhook-gateway")
    return str(refused.value)


def test_a_short_admin_token_stops_the_gateway_in_one_line_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIN_TOKEN", "change-me")

    with pytest.raises(MissingSettingError) as refused:
        load_settings(GatewaySettings, "webhook-gateway")

    message = str(refused.value)
    assert message.startswith("webhook-gateway refuses to start: ADMIN_TOKEN: ")
    assert "at least 32 characters" in message
    assert "change-me" not in message
    assert "\n" not in message


def test_a_long_admin_token_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TOKEN", "x" * 32)

    assert (
        load_settings(GatewaySettings, "webhook-gateway").admin_token.get_secret_value() == "x" * 32
    )


def test_production_expects_live_stripe_events_and_refuses_to_be_told_otherwise(
    production: pytest.MonkeyPatch,
) -> None:
    assert load_settings(GatewaySettings, "webhook-gateway").stripe_livemode is True

    assert "STRIPE_LIVEMODE must not be false" in refusal(production, STRIPE_LIVEMODE="false")


def test_outside_production_the_gateway_expects_test_events_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings(GatewaySettings, "webhook-gateway").stripe_livemode is False

    monkeypatch.setenv("STRIPE_LIVEMODE", "true")
    assert load_settings(GatewaySettings, "webhook-gateway").stripe_livemode is True


@pytest.mark.parametrize("variable", ["PUBLIC_WEBHOOK_BASE_URL", "PLUGGY_API_URL"])
@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://webhooks.finhub.com.br", "must be an https:// URL"),
        ("https://127.0.0.1:8000", "must not point at this machine"),
        ("https://localhost", "must not point at this machine"),
    ],
)
def test_provider_facing_urls_must_be_https_and_not_localhost(
    production: pytest.MonkeyPatch, variable: str, url: str, problem: str
) -> None:
    assert f"{variable} {problem}" in refusal(production, **{variable: url})


def test_the_public_url_of_the_deploy_template_is_refused(production: pytest.MonkeyPatch) -> None:
    message = refusal(production, PUBLIC_WEBHOOK_BASE_URL="https://webhooks.finhub.example")

    assert "PUBLIC_WEBHOOK_BASE_URL still holds a placeholder" in message


def test_stripe_webhook_secrets_must_be_stripe_s(production: pytest.MonkeyPatch) -> None:
    message = refusal(production, STRIPE_WEBHOOK_SECRET="whsec_abc123,not-a-stripe-secret")

    assert "STRIPE_WEBHOOK_SECRET must hold Stripe's whsec_ secrets" in message
    assert "not-a-stripe-secret" not in message


@pytest.mark.parametrize("client_id", ["sandbox-client-id", "change-me"])
def test_a_placeholder_pluggy_client_id_is_refused(
    production: pytest.MonkeyPatch, client_id: str
) -> None:
    assert "PLUGGY_CLIENT_ID still holds a placeholder" in refusal(
        production, PLUGGY_CLIENT_ID=client_id
    )


def test_every_bad_setting_is_named_in_one_line_without_a_value(
    production: pytest.MonkeyPatch,
) -> None:
    production.delenv("AMQP_URL")

    message = refusal(
        production,
        PLUGGY_WEBHOOK_SECRET="change-me",
        PUBLIC_WEBHOOK_BASE_URL="http://127.0.0.1:8000",
        STRIPE_LIVEMODE="false",
        FORWARDED_ALLOW_IPS="*",
    )

    assert message == (
        "webhook-gateway refuses to start: not fit for production: "
        "PLUGGY_WEBHOOK_SECRET still holds a placeholder; "
        "PUBLIC_WEBHOOK_BASE_URL must be an https:// URL; "
        "AMQP_URL is not set (the development broker would be used); "
        "FORWARDED_ALLOW_IPS must not be * (anyone could forge an address); "
        "STRIPE_LIVEMODE must not be false"
    )
