"""What the gateway's database holds, as the tests look at it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from finhub_shared.db import Database
from webhook_gateway.database import OutboxMessage
from webhook_gateway.webhooks.models import WebhookEvent


async def stored_events(database: Database) -> list[WebhookEvent]:
    async with database.sessions() as session:
        return list((await session.scalars(select(WebhookEvent))).all())


async def outbox_envelopes(database: Database) -> list[dict[str, Any]]:
    async with database.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [json.loads(row.body) | {"_routing_key": row.routing_key} for row in rows]
