"""Register, list and rotate our webhook at Pluggy.

Pluggy sends the custom headers of a webhook created through its API on every delivery; that
header is how the gateway knows a delivery is Pluggy's. Rotating: put the new secret first in
PLUGGY_WEBHOOK_SECRET (keeping the old one after it), deploy, run `rotate`, then drop the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from finhub_pluggy.connection import PROVIDER, PluggyConnection
from finhub_shared.provider_client import raise_for_provider_status
from finhub_shared.settings import split_secrets
from webhook_gateway.config import GatewaySettings
from webhook_gateway.pluggy_registration.errors import MissingPluggyCredentials
from webhook_gateway.webhooks.verification import PLUGGY_SECRET_HEADER


@dataclass(frozen=True)
class RegisteredWebhook:
    """A webhook as Pluggy lists it (Pluggy never shows its headers back)."""

    id: str
    url: str
    event: str
    disabled_at: str | None


def our_webhook_url(settings: GatewaySettings) -> str:
    """Where Pluggy must send deliveries: the gateway's public Pluggy endpoint."""
    return settings.public_webhook_base_url.rstrip("/") + "/webhooks/pluggy"


def open_pluggy(
    settings: GatewaySettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> PluggyConnection:
    """A connection to Pluggy with our credentials; it authenticates on its first request."""
    if settings.pluggy_client_secret is None:
        raise MissingPluggyCredentials("PLUGGY_CLIENT_SECRET is not set.")
    return PluggyConnection(
        settings.pluggy_api_url,
        settings.pluggy_client_id,
        settings.pluggy_client_secret,
        transport=transport,
    )


async def list_webhooks(pluggy: PluggyConnection) -> list[RegisteredWebhook]:
    """Every webhook registered for our Pluggy application."""
    response = await pluggy.request("GET", "/webhooks")
    raise_for_provider_status(response, provider=PROVIDER)
    return [_webhook(item) for item in response.json().get("results", [])]


async def register(pluggy: PluggyConnection, settings: GatewaySettings) -> RegisteredWebhook:
    """Make sure our URL receives every event with the current secret header (idempotent)."""
    url = our_webhook_url(settings)
    body = {"url": url, "event": "all", "headers": _secret_header(settings)}
    existing = [hook for hook in await list_webhooks(pluggy) if hook.url == url]
    if existing:
        response = await pluggy.request(
            "PATCH", f"/webhooks/{existing[0].id}", json=body | {"enabled": True}
        )
    else:
        response = await pluggy.request("POST", "/webhooks", json=body)
    raise_for_provider_status(response, provider=PROVIDER)
    return _webhook(response.json())


def _secret_header(settings: GatewaySettings) -> dict[str, str]:
    current = split_secrets(settings.pluggy_webhook_secret)[0]
    return {PLUGGY_SECRET_HEADER: current}


def _webhook(item: dict[str, Any]) -> RegisteredWebhook:
    return RegisteredWebhook(
        id=str(item["id"]),
        url=str(item["url"]),
        event=str(item["event"]),
        disabled_at=item.get("disabledAt"),
    )
