"""The live notification stream (Server-Sent Events), fed by polling the table.

Notifications are written by the worker as often as by the API, in other processes, so the stream
reads what has been committed rather than listening in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from billing.notifications import repository
from billing.notifications.schemas import NotificationOut
from finhub_shared.auth import Principal
from finhub_shared.db import Database

# A comment line now and then keeps proxies from closing an idle connection.
KEEP_ALIVE_EVERY_SECONDS = 15.0


def sse_message(notification: NotificationOut) -> str:
    """One notification as an SSE message; its id lets the client resume with Last-Event-ID."""
    return f"id: {notification.id}\nevent: notification\ndata: {notification.model_dump_json()}\n\n"


async def notification_events(
    database: Database,
    principal: Principal,
    after_id: int,
    poll_seconds: float,
    disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[str]:
    """SSE messages for the caller's notifications newer than `after_id`, until disconnected."""
    yield f"retry: {int(poll_seconds * 1000)}\n\n"
    quiet_for = 0.0
    while not await disconnected():
        async with database.sessions() as session:
            notifications = await repository.after(session, principal, after_id)
        for notification in notifications:
            yield sse_message(NotificationOut.model_validate(notification))
            after_id = notification.id
        quiet_for = 0.0 if notifications else quiet_for + poll_seconds
        if quiet_for >= KEEP_ALIVE_EVERY_SECONDS:
            yield ": keep-alive\n\n"
            quiet_for = 0.0
        await asyncio.sleep(poll_seconds)
