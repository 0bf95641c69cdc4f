"""Billing's settings in production: every setting is checked, and all that is wrong is named at
once, without a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing.config import BillingSettings
from finhub_shared.settings import MissingSettingError, load_settings

LIVE_KEY = "sk_live_51Qa8xYz" + "k" * 24

PRODUCTION = {
    "ENVIRONMENT": "production",
    "AMQP_URL": "amqps://billing:s3cret@rabbitmq.finhub.internal:5671/finhub",
    "FORWARDED_ALLOW_IPS": "10.0.0.0/8",
    "STRIPE_API_KEY": LIVE_KEY,
    "STRIPE_API_BASE": "https://api.stripe.com",
    "PUBLIC_WEBHOOK_BASE_URL": "https://webhooks.finhub.com.br",
    "BILLING_CHECKOUT_SUCCESS_URL": "https://app.finhub.com.br/billing/success",
    "BILLING_CHECKOUT_CANCEL_URL": "https://app.finhub.com.br/billing/cancelled",
    "BILLING_PORTAL_RETURN_URL": "https://app.finhub.com.br/settings/billing",
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
        load_settings(BillingSettings, "billing")
    return str(refused.value)


def test_production_settings_that_are_real_are_accepted(production: pytest.MonkeyPatch) -> None:
    assert load_settings(BillingSettings, "billing").environment == "production"


@pytest.mark.parametrize("key", ["sk_test_51Qa8xYzkkkk", "rk_test_51Qa8xYzkkkk", "pk_live_51Q"])
def test_a_stripe_key_that_is_not_live_is_refused(production: pytest.MonkeyPatch, key: str) -> None:
    message = refusal(production, STRIPE_API_KEY=key)

    assert "STRIPE_API_KEY must be a live key (sk_live_ or rk_live_)" in message
    assert key not in message


def test_a_restricted_live_key_is_accepted(production: pytest.MonkeyPatch) -> None:
    production.setenv("STRIPE_API_KEY", "rk_live_51Qa8xYzkkkk")

    assert load_settings(BillingSettings, "billing").stripe_api_key.get_secret_value()


@pytest.mark.parametrize(
    "variable",
    [
        "STRIPE_API_BASE",
        "PUBLIC_WEBHOOK_BASE_URL",
        "BILLING_CHECKOUT_SUCCESS_URL",
        "BILLING_CHECKOUT_CANCEL_URL",
        "BILLING_PORTAL_RETURN_URL",
    ],
)
@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://app.finhub.com.br/x", "must be an https:// URL"),
        ("https://localhost:3000/x", "must not point at this machine"),
        ("https://127.0.0.1/x", "must not point at this machine"),
        ("https://[::1]:8443/x", "must not point at this machine"),
    ],
)
def test_public_and_return_urls_must_be_https_and_not_localhost(
    production: pytest.MonkeyPatch, variable: str, url: str, problem: str
) -> None:
    assert f"{variable} {problem}" in refusal(production, **{variable: url})


def test_the_development_defaults_of_the_return_urls_are_refused(
    production: pytest.MonkeyPatch,
) -> None:
    for variable in ("BILLING_CHECKOUT_CANCEL_URL", "BILLING_PORTAL_RETURN_URL"):
        production.delenv(variable)

    message = refusal(production)

    assert "BILLING_CHECKOUT_CANCEL_URL must be an https:// URL" in message
    assert "BILLING_PORTAL_RETURN_URL must be an https:// URL" in message


@pytest.mark.parametrize("placeholder", ["change-me", "changeme", "sk_live_change-me"])
def test_a_placeholder_secret_is_refused_without_showing_it(
    production: pytest.MonkeyPatch, placeholder: str
) -> None:
    message = refusal(production, STRIPE_API_KEY=placeholder, JWT_PRIVATE_KEY="change-me")

    assert "STRIPE_API_KEY still holds a placeholder" in message
    assert "JWT_PRIVATE_KEY still holds a placeholder" in message
    assert placeholder not in message


def test_a_placeholder_public_url_is_refused(production: pytest.MonkeyPatch) -> None:
    message = refusal(production, PUBLIC_WEBHOOK_BASE_URL="https://webhooks.finhub.example")

    assert "PUBLIC_WEBHOOK_BASE_URL still holds a placeholder" in message


def test_the_broker_and_the_trusted_proxies_must_be_set(production: pytest.MonkeyPatch) -> None:
    production.delenv("AMQP_URL")
    production.delenv("FORWARDED_ALLOW_IPS")

    message = refusal(production)

    assert "AMQP_URL is not set" in message
    assert "FORWARDED_ALLOW_IPS must name the ingress's addresses" in message


@pytest.mark.parametrize("trusted", ["*", "10.0.0.0/8, *"])
def test_trusting_every_proxy_is_refused(production: pytest.MonkeyPatch, trusted: str) -> None:
    assert "FORWARDED_ALLOW_IPS must not be *" in refusal(production, FORWARDED_ALLOW_IPS=trusted)


def test_trusted_proxies_that_are_not_addresses_are_refused_anywhere(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("ENVIRONMENT", "development")

    message = refusal(production, FORWARDED_ALLOW_IPS="10.0.0.0/8,ingress-nginx")

    assert "FORWARDED_ALLOW_IPS: " in message


def test_every_bad_setting_is_named_in_one_line(production: pytest.MonkeyPatch) -> None:
    message = refusal(
        production,
        STRIPE_API_KEY="sk_test_51Qa8xYzkkkk",
        STRIPE_API_BASE="http://127.0.0.1:8010",
        BILLING_PORTAL_RETURN_URL="http://localhost:3000/settings/billing",
        FORWARDED_ALLOW_IPS="*",
    )

    assert message.startswith("billing refuses to start: not fit for production: ")
    assert "\n" not in message
    assert [
        name
        for name in (
            "STRIPE_API_KEY",
            "STRIPE_API_BASE",
            "BILLING_PORTAL_RETURN_URL",
            "FORWARDED_ALLOW_IPS",
        )
        if name not in message
    ] == []
    assert "sk_test_51Qa8xYzkkkk" not in message


def test_outside_production_development_values_are_fine(production: pytest.MonkeyPatch) -> None:
    production.setenv("ENVIRONMENT", "development")
    production.setenv("STRIPE_API_KEY", "sk_test_change-me")
    production.setenv("STRIPE_API_BASE", "http://127.0.0.1:8010")
    production.delenv("FORWARDED_ALLOW_IPS")

    assert load_settings(BillingSettings, "billing").environment == "development"
