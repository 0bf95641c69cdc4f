"""The gateway's settings: an admin token short enough to guess is refused at start-up."""

from __future__ import annotations

import pytest

from finhub_shared.settings import MissingSettingError, load_settings
from webhook_gateway.config import GatewaySettings


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
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    assert load_settings(GatewaySettings, "webhook-gateway").stripe_livemode is True

    monkeypatch.setenv("STRIPE_LIVEMODE", "false")
    with pytest.raises(MissingSettingError, match="STRIPE_LIVEMODE"):
        load_settings(GatewaySettings, "webhook-gateway")


def test_outside_production_the_gateway_expects_test_events_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings(GatewaySettings, "webhook-gateway").stripe_livemode is False

    monkeypatch.setenv("STRIPE_LIVEMODE", "true")
    assert load_settings(GatewaySettings, "webhook-gateway").stripe_livemode is True
