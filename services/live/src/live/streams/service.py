"""Opening a stream (counted across replicas) and the messages it sends until it ends.

A stream lives no longer than the access token it was opened with and the log-in it belongs to,
and a user holds only a few at once: one more is refused (429 too_many_streams) rather than
closing an older one the user may be reading.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from math import ceil

import anyio

from finhub_shared.auth import Principal
from finhub_shared.db import Database
from live.events import repository as events
from live.streams import repository
from live.streams.errors import SessionRevoked, TooManyStreams
from live.streams.hub import STALE_AFTER, Hub, Subscriber
from live.streams.messages import end_message, keep_alive_message, opening_message


async def open_stream(
    database: Database,
    principal: Principal,
    *,
    last_event_id: int | None,
    limit: int,
    now: datetime,
) -> Subscriber:
    """Count a new stream of the caller, starting after `last_event_id` (else after the newest
    event); TooManyStreams if they hold `limit` live ones, SessionRevoked if their log-in ended."""
    async with database.transaction() as session:
        await repository.lock_user(session, principal.user_id)
        if principal.session_id is not None and await events.session_revoked(
            session, principal.company_id, principal.user_id, principal.session_id
        ):
            raise SessionRevoked("This log-in has ended; log in again.")
        if await repository.live_streams(session, principal.user_id, now - STALE_AFTER) >= limit:
            raise TooManyStreams(
                f"At most {limit} live streams per user; close one first.",
                retry_after_seconds=ceil(STALE_AFTER.total_seconds()),
            )
        stream_id = await repository.add(session, principal.user_id, principal.company_id, now)
        newest = await events.last_seq(session, principal.company_id)
    return Subscriber(
        stream_id=stream_id,
        company_id=principal.company_id,
        user_id=principal.user_id,
        session_id=principal.session_id,
        after_seq=newest if last_event_id is None else min(last_event_id, newest),
        opened_at_seq=newest,
    )


async def messages(
    database: Database,
    hub: Hub,
    subscriber: Subscriber,
    *,
    expires_at: datetime | None,
    clock: Callable[[], datetime],
    heartbeat_seconds: float,
) -> AsyncIterator[str]:
    """The stream's SSE messages: stored events after its position, then new ones as they come,
    a comment when quiet, and a last `end` message when the token expires or the log-in ends."""
    hub.join(subscriber)
    try:
        yield opening_message()
        while True:
            if expires_at is not None and clock() >= expires_at:
                yield end_message("token_expired")
                return
            if ready := subscriber.drain():
                yield "".join(ready)
                continue
            if subscriber.ended is not None:
                yield end_message(subscriber.ended)
                return
            wait = heartbeat_seconds
            if expires_at is not None:
                wait = min(wait, max(0.0, (expires_at - clock()).total_seconds()))
            if not await subscriber.wait(wait):
                yield keep_alive_message()
    finally:
        # Shielded: a client that left cancels the response, and its place must still be freed.
        # The hub holds the stream until then, so a replica stopping meanwhile frees it too.
        with anyio.CancelScope(shield=True):
            try:
                async with database.transaction() as session:
                    await repository.close(session, [subscriber.stream_id])
            finally:
                hub.leave(subscriber)
