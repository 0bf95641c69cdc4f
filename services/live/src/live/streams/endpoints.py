"""The live stream: every change the user would want to see, as Server-Sent Events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from finhub_shared.auth import CurrentPrincipal
from finhub_shared.errors import error_responses
from finhub_shared.fields import MAX_BIGINT
from live.streams import service
from live.streams.errors import SessionRevoked, TooManyStreams

router = APIRouter(prefix="/api/live", tags=["live"])


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        **error_responses(TooManyStreams, SessionRevoked),
    },
)
async def stream(
    request: Request,
    principal: CurrentPrincipal,
    last_event_id: Annotated[int | None, Header(ge=0, le=MAX_BIGINT)] = None,
) -> StreamingResponse:
    """What changes for the caller's company, pushed as it happens: `item.status`,
    `item.mfa_required`, `item.mfa_expired`, `sync.progress`, `sync.finished`, `sync.failed`,
    `pix.payment.status` and `notification`. Each message's `id:` increases per company;
    reconnecting with `Last-Event-ID` sends every event after it (kept at least 24 hours), then
    the new ones. A comment line comes every 15 s when nothing happens. The stream ends with an
    `end` event (its `reason`) when the access token expires or the log-in is revoked."""
    state = request.app.state
    subscriber = await service.open_stream(
        state.database,
        principal,
        last_event_id=last_event_id,
        limit=state.settings.max_streams_per_user,
        now=state.clock(),
    )
    messages = service.messages(
        state.database,
        state.hub,
        subscriber,
        expires_at=principal.expires_at,
        clock=state.clock,
        heartbeat_seconds=state.settings.heartbeat_seconds,
    )
    return StreamingResponse(
        messages,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
