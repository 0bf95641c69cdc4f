"""GET /admin/dead-letters[/{queue}], POST .../replay and .../drop; ADMIN_TOKEN bearer only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from finhub_shared.errors import error_responses
from webhook_gateway.admin.dependencies import require_admin
from webhook_gateway.admin.errors import AdminTokenRequired
from webhook_gateway.config import GatewaySettings
from webhook_gateway.dead_letters import service
from webhook_gateway.dead_letters.errors import BrokerUnavailable, QueueNotFound
from webhook_gateway.dead_letters.schemas import (
    DeadLetterList,
    DeadLetterQueues,
    DeadLetterSelection,
    Settled,
)

router = APIRouter(
    prefix="/admin/dead-letters",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=error_responses(AdminTokenRequired, BrokerUnavailable),
)


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


Settings = Annotated[GatewaySettings, Depends(_settings)]


@router.get("")
async def list_queues(settings: Settings) -> DeadLetterQueues:
    """Each consumer queue and how many messages wait in its dead-letter queue."""
    return await service.queues(settings)


@router.get("/{queue}", responses=error_responses(QueueNotFound))
async def list_letters(
    settings: Settings, queue: str, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> DeadLetterList:
    """The first parked messages of the queue (left in place), redacted."""
    return await service.letters(settings, queue, limit)


@router.post("/{queue}/replay", responses=error_responses(QueueNotFound))
async def replay(settings: Settings, queue: str, selection: DeadLetterSelection) -> Settled:
    """Send the parked messages (or one) back to their queue for a fresh round of attempts."""
    return Settled(count=await service.replay(settings, queue, selection.message_id))


@router.post("/{queue}/drop", responses=error_responses(QueueNotFound))
async def drop(settings: Settings, queue: str, selection: DeadLetterSelection) -> Settled:
    """Delete the parked messages (or one) for good."""
    return Settled(count=await service.drop(settings, queue, selection.message_id))
