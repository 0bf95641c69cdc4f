"""One API replica's side of the streams: ONE LISTEN connection, and the fan-out to its streams.

The worker announces each stored event on the `live_events` channel as `<company_id>:<seq>`
when its transaction commits. A notification marks its company to be read; the fan-out then
reads that company's events after the oldest position among this replica's streams of it (one
query per company per wake, however many streams) and hands each stream what it has not had.
After the LISTEN connection drops, every company is read again from each stream's position,
so a notification lost meanwhile loses no event. Every loop runs under the app's Supervisor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from finhub_shared import tracing
from finhub_shared.db import Database
from finhub_shared.supervision import Heartbeat, Supervisor
from live.events import repository as events
from live.events.models import LiveEvent
from live.streams import repository as streams
from live.streams.errors import ListenerLost
from live.streams.messages import Rendered, render

log = structlog.get_logger(__name__)

CHANNEL = events.CHANNEL
LISTENER_NAME = "live-listener"
CONNECT_TIMEOUT_SECONDS = 5.0
# The LISTEN connection is pinged this often, so a silently dead one is replaced.
LISTEN_CHECK_SECONDS = 5.0
# Events read per company per query; more are read at once in another round.
PAGE_SIZE = 500
# Companies read at once (each read takes a pooled connection).
CONCURRENT_READS = 4
# A stream this many messages behind its client is ended (too_slow); the client resumes.
MAX_PENDING_MESSAGES = 2000
# Each replica beats its open streams this often; a stream silent for STALE_AFTER no longer counts.
STREAM_BEAT_SECONDS = 15.0
STALE_AFTER = timedelta(seconds=3 * STREAM_BEAT_SECONDS)
IDLE_BEAT_SECONDS = 10.0


class Subscriber:
    """One open stream as the hub sees it: whose it is, how far it has had its company's events,
    and the messages waiting for its client."""

    def __init__(
        self,
        *,
        stream_id: UUID,
        company_id: UUID,
        user_id: UUID,
        session_id: UUID | None,
        after_seq: int,
        opened_at_seq: int,
    ) -> None:
        self.stream_id = stream_id
        self.company_id = company_id
        self.user_id = user_id
        self.session_id = session_id
        self.after_seq = after_seq
        # Revocations after this position end the stream; older ones were checked at opening.
        self.opened_at_seq = opened_at_seq
        self.ended: str | None = None
        self._pending: deque[str] = deque()
        self._woken = asyncio.Event()

    def take(self, rendered: Sequence[Rendered]) -> None:
        """Queue the events after this stream's position, in order; end it on its revocation."""
        for event in rendered:
            if self.ended is not None:
                break
            if event.seq <= self.after_seq:
                continue
            if event.seq > self.opened_at_seq and self._revoked_by(event):
                self.end("session_revoked")
                break
            self.after_seq = event.seq
            if event.text is None:
                continue
            if len(self._pending) >= MAX_PENDING_MESSAGES:
                self.end("too_slow")
                break
            self._pending.append(event.text)
        self._woken.set()

    def _revoked_by(self, event: Rendered) -> bool:
        if event.revokes is None:
            return False
        user_id, session_id = event.revokes
        return user_id == self.user_id and session_id in (None, self.session_id)

    def end(self, reason: str) -> None:
        """End the stream after the messages already queued."""
        if self.ended is None:
            self.ended = reason
        self._woken.set()

    def drain(self) -> list[str]:
        """The queued messages, now handed over."""
        messages = list(self._pending)
        self._pending.clear()
        return messages

    async def wait(self, seconds: float) -> bool:
        """Wait for messages or the end, at most `seconds`; False when none came."""
        try:
            async with asyncio.timeout(seconds):
                await self._woken.wait()
        except TimeoutError:
            return False
        self._woken.clear()
        return True


class Hub:
    """The replica's streams, by company, fed from one LISTEN connection."""

    def __init__(self, database: Database, dsn: str, clock: Callable[[], datetime]) -> None:
        self._database = database
        self._dsn = dsn
        self._clock = clock
        self._by_company: dict[UUID, set[Subscriber]] = {}
        self._to_read: set[UUID] = set()
        self._work = asyncio.Event()
        self._reads = asyncio.Semaphore(CONCURRENT_READS)

    def start(self, supervisor: Supervisor) -> None:
        """Run the listener, the fan-out and the streams' beats under the app's supervisor."""
        supervisor.start(LISTENER_NAME, self._listen, window_seconds=3 * LISTEN_CHECK_SECONDS)
        supervisor.start("live-fan-out", self._fan_out, window_seconds=3 * IDLE_BEAT_SECONDS)
        supervisor.start(
            "live-stream-beats", self._beat_streams, window_seconds=3 * STREAM_BEAT_SECONDS
        )

    async def release(self) -> None:
        """Free the places of the streams still open, as the replica stops (their responses
        were cut short; each frees its own too, but may not finish before the process ends)."""
        stream_ids = [s.stream_id for company in self._by_company.values() for s in company]
        if stream_ids:
            async with self._database.transaction() as session:
                await streams.close(session, stream_ids)

    def join(self, subscriber: Subscriber) -> None:
        """Feed this stream from its position on (stored events first, then new ones)."""
        self._by_company.setdefault(subscriber.company_id, set()).add(subscriber)
        self._read_soon(subscriber.company_id)

    def leave(self, subscriber: Subscriber) -> None:
        """Stop feeding a stream that ended."""
        subscribers = self._by_company.get(subscriber.company_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._by_company[subscriber.company_id]

    @property
    def open_streams(self) -> int:
        """How many streams this replica feeds."""
        return sum(len(subscribers) for subscribers in self._by_company.values())

    def _read_soon(self, company_id: UUID) -> None:
        if company_id in self._by_company:
            self._to_read.add(company_id)
            self._work.set()

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        company, _, _seq = payload.partition(":")
        with contextlib.suppress(ValueError):
            self._read_soon(UUID(company))

    async def _listen(self, heartbeat: Heartbeat) -> None:
        connection = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": LISTENER_NAME},
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._on_notification)
            # Whatever was announced while nobody listened is read again, from every position.
            for company_id in list(self._by_company):
                self._read_soon(company_id)
            log.info("live_listening")
            while not heartbeat.stopping.is_set():
                heartbeat.beat()
                await _first_of(lost, heartbeat.stopping, seconds=LISTEN_CHECK_SECONDS)
                if lost.is_set():
                    raise ListenerLost("the LISTEN connection closed")
                await connection.fetchval("SELECT 1", timeout=LISTEN_CHECK_SECONDS)
        finally:
            if not connection.is_closed():
                connection.terminate()

    async def _fan_out(self, heartbeat: Heartbeat) -> None:
        while not heartbeat.stopping.is_set():
            heartbeat.beat()
            if not self._to_read:
                self._work.clear()
                await _first_of(self._work, heartbeat.stopping, seconds=IDLE_BEAT_SECONDS)
                continue
            companies, self._to_read = self._to_read, set()
            try:
                await asyncio.gather(*(self._deliver(company) for company in companies))
            except BaseException:
                # Read again after the restart: positions only move once events are handed over.
                self._to_read |= companies
                raise

    async def _deliver(self, company_id: UUID) -> None:
        # Only the streams there now: one joining meanwhile asked for a read of its own.
        subscribers = [s for s in self._by_company.get(company_id, ()) if s.ended is None]
        if not subscribers:
            return
        since = min(subscriber.after_seq for subscriber in subscribers)
        async with self._reads, self._database.sessions() as session:
            stored = await events.after(session, company_id, since, PAGE_SIZE)
        rendered = [render(event) for event in stored]
        positions = [subscriber.after_seq for subscriber in subscribers]
        for subscriber in subscribers:
            subscriber.take(rendered)
        if tracing.tracing_enabled():
            _mark_delivered(stored, positions, subscribers)
        if len(stored) == PAGE_SIZE:
            self._read_soon(company_id)

    async def _beat_streams(self, heartbeat: Heartbeat) -> None:
        while not heartbeat.stopping.is_set():
            subscribers = {
                subscriber.stream_id: subscriber
                for company in self._by_company.values()
                for subscriber in company
            }
            if subscribers:
                async with self._database.transaction() as session:
                    counted = await streams.beat(session, subscribers, self._clock())
                for stream_id, subscriber in subscribers.items():
                    if stream_id not in counted:
                        subscriber.end("stream_dropped")
            heartbeat.beat()
            await heartbeat.pause(STREAM_BEAT_SECONDS)


def _mark_delivered(
    stored: Sequence[LiveEvent], positions: Sequence[int], subscribers: Sequence[Subscriber]
) -> None:
    """A span in each shown event's own trace as it reaches streams (`positions`: theirs before
    this delivery), so a webhook's trace ends on the user's screen, not in the live database."""
    for event in stored:
        if event.trace_context is None or not event.shown:
            continue
        reached = sum(
            1
            for before, subscriber in zip(positions, subscribers, strict=True)
            if before < event.seq <= subscriber.after_seq
        )
        if reached:
            attributes: dict[str, str | int] = {
                "live.company_id": str(event.company_id),
                "live.seq": event.seq,
                "live.streams": reached,
            }
            tracing.mark_handed_on(f"deliver {event.type}", event.trace_context, attributes)


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    """Wait until one of the events is set, at most `seconds`."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
