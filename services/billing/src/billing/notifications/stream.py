"""The live notification stream (Server-Sent Events), fed by polling the table.

Notifications are written by the worker as often as by the API, in other processes, so the stream
reads what has been committed rather than listening in memory. A stream lives no longer than the
access token and the log-in it was opened with, and a user holds only a few at once: one more is
refused (429 too_many_streams) rather than closing an older one the user may be reading.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from uuid import UUID

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.notifications import repository
from billing.notifications.errors import TooManyStreams
from billing.notifications.schemas import NotificationOut
from finhub_shared.auth import Principal
from finhub_shared.db import Database

# A comment line now and then keeps proxies from closing an idle connection.
KEEP_ALIVE_EVERY_SECONDS = 15.0
# A stream that has not beaten for this long (its process died) no longer counts.
STALE_AFTER_SECONDS = 30.0


@dataclass(frozen=True)
class LiveStream:
    """One open stream: whose it is, its row among the counted streams, and how it polls."""

    database: Database
    principal: Principal
    stream_id: UUID
    poll_seconds: float
    clock: Callable[[], datetime]
    disconnected: Callable[[], Awaitable[bool]]


def stale_after(poll_seconds: float) -> timedelta:
    """How long a stream may go without beating before it stops counting."""
    return timedelta(seconds=max(STALE_AFTER_SECONDS, 3 * poll_seconds))


async def open_stream(
    database: Database, principal: Principal, *, limit: int, poll_seconds: float, now: datetime
) -> UUID:
    """Count a new stream of the caller; TooManyStreams if they hold `limit` live ones already."""
    stale = stale_after(poll_seconds)
    async with database.transaction() as session:
        # One user's openings take turns, so two at once cannot both take the last place.
        await accounts.lock_user(session, principal.user_id)
        if await repository.live_streams(session, principal.user_id, now - stale) >= limit:
            raise TooManyStreams(
                f"At most {limit} live notification streams per user; close one first.",
                retry_after_seconds=ceil(stale.total_seconds()),
            )
        return await repository.add_stream(session, principal.user_id, now)


def sse_message(notification: NotificationOut) -> str:
    """One notification as an SSE message; its id lets the client resume with Last-Event-ID."""
    return f"id: {notification.id}\nevent: notification\ndata: {notification.model_dump_json()}\n\n"


def end_message(reason: str) -> str:
    """The last SSE message of a stream the server ends, saying why (the client may reconnect
    with a fresh token)."""
    return f"event: end\ndata: {json.dumps({'reason': reason})}\n\n"


async def _reason_to_end(session: AsyncSession, stream: LiveStream) -> str | None:
    """Why the stream must end now, if it must: its token expired, its log-in ended, or it was
    dropped as stale."""
    principal, now = stream.principal, stream.clock()
    if principal.expires_at is not None and now >= principal.expires_at:
        return "token_expired"
    if principal.session_id is None or not await accounts.session_is_live(
        session, principal.user_id, principal.session_id
    ):
        return "session_revoked"
    if not await repository.beat_stream(session, stream.stream_id, now):
        return "stream_dropped"
    return None


async def notification_events(stream: LiveStream, after_id: int) -> AsyncIterator[str]:
    """SSE messages for the caller's notifications newer than `after_id`, until the client leaves
    or the stream must end (a last `end` message says why)."""
    try:
        yield f"retry: {int(stream.poll_seconds * 1000)}\n\n"
        quiet_for = 0.0
        while not await stream.disconnected():
            async with stream.database.transaction() as session:
                reason = await _reason_to_end(session, stream)
                if reason is None:
                    notifications = await repository.after(session, stream.principal, after_id)
            if reason is not None:
                yield end_message(reason)
                return
            for notification in notifications:
                yield sse_message(NotificationOut.model_validate(notification))
                after_id = notification.id
            quiet_for = 0.0 if notifications else quiet_for + stream.poll_seconds
            if quiet_for >= KEEP_ALIVE_EVERY_SECONDS:
                yield ": keep-alive\n\n"
                quiet_for = 0.0
            await asyncio.sleep(stream.poll_seconds)
    finally:
        # Shielded: a client that left cancels the response, and the place must still be freed.
        with anyio.CancelScope(shield=True):
            async with stream.database.transaction() as session:
                await repository.close_stream(session, stream.stream_id)
