"""What `finhub-gateway`'s own commands do: replay one stored event, list and register our
webhook at Pluggy."""

from __future__ import annotations

from finhub_shared.db import Database
from webhook_gateway.admin import service as admin
from webhook_gateway.config import GatewaySettings
from webhook_gateway.pluggy_registration import service as pluggy_registration
from webhook_gateway.pluggy_registration.service import RegisteredWebhook
from webhook_gateway.webhooks import repository
from webhook_gateway.webhooks.models import WebhookEvent


async def replay(settings: GatewaySettings, reference: str) -> WebhookEvent | None:
    """Queue the stored event `reference` names (stored id or provider event id) for publishing
    again; None when no stored event matches."""
    database = Database(settings.database_url.get_secret_value(), application_name="gateway-cli")
    try:
        async with database.transaction() as session:
            event = await repository.find(session, reference)
            if event is not None:
                await admin.replay(session, [event])
        return event
    finally:
        await database.dispose()


async def pluggy_webhooks(settings: GatewaySettings) -> list[RegisteredWebhook]:
    """The webhooks registered for our Pluggy application."""
    async with pluggy_registration.open_pluggy(settings) as pluggy:
        return await pluggy_registration.list_webhooks(pluggy)


async def register_pluggy_webhook(settings: GatewaySettings) -> RegisteredWebhook:
    """Register our endpoint at Pluggy for every event, with the current secret header."""
    async with pluggy_registration.open_pluggy(settings) as pluggy:
        return await pluggy_registration.register(pluggy, settings)
