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
