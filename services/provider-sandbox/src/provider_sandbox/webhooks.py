"""Webhook delivery shared by the Stripe and Pluggy halves of the sandbox.

Public API (stable; the Pluggy half relies on it):

- `WebhookDispatcher(faults, transport=None, retry_delays=(2, 10, 60))`, one per app at
  `app.state.webhooks` (see `webhook_dispatcher(request)`), started and stopped by the lifespan.
- `dispatcher.send(url, body, *, target, label, headers=None, sign=None, retries=None)` queues
  one delivery and returns at once. Deliveries go out one at a time in the order they were sent;
  a failed one (no 2xx, or no answer) is retried after each of `retry_delays` (Stripe's test
  mode), or as its own `RetrySchedule` says (Pluggy's rounds, the later ones on the sandbox
  clock). `sign(body)` is called on every attempt for headers that must be fresh (Stripe's
  timestamped signature). The faults "duplicate_webhooks" and "out_of_order_webhooks" of the
  `target` apply here.
- `dispatcher.deliveries()` — the delivery log (`GET /_sandbox/webhooks/deliveries`): status
  codes and attempts, header names only (header values may be secrets).
- `await dispatcher.drain()` — wait until every queued delivery and retry has finished (tests),
  except the retries that wait for a sandbox clock to be moved.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
from fastapi import Request
from pydantic import BaseModel

from finhub_shared.logging import get_logger
from provider_sandbox.faults import FaultPlan

log = get_logger(__name__)

Signer = Callable[[bytes], Mapping[str, str]]
DeliveryState = Literal["pending", "delivered", "failed"]
# Runs an action once a sandbox clock has moved on by the delay; returns that moment.
ClockScheduler = Callable[[timedelta, Callable[[], Awaitable[None]]], datetime]

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0, 60.0)
DELIVERY_TIMEOUT_SECONDS = 10.0
# How long an out-of-order delivery waits for a later one to overtake it.
OUT_OF_ORDER_HOLD_SECONDS = 0.5


@dataclass(frozen=True)
class RetrySchedule:
    """When a failed delivery is tried again: rounds of quick retries, `quick_delays` seconds
    apart in real time; each later round starts `round_gaps[n]` later on a sandbox clock."""

    quick_delays: Sequence[float]
    round_gaps: Sequence[timedelta] = ()
    on_clock: ClockScheduler | None = None
    never_retried: frozenset[int] = frozenset()

    @property
    def attempts_per_round(self) -> int:
        return len(self.quick_delays) + 1


class DeliveryRecord(BaseModel):
    """One delivery as the control API shows it."""

    id: int
    target: str
    label: str
    url: str
    header_names: list[str]
    state: DeliveryState = "pending"
    attempts: int = 0
    status_code: int | None = None
    error: str | None = None
    duplicate: bool = False
    sent_at: datetime
    last_attempt_at: datetime | None = None
    # Real time for quick retries; the sandbox clock's time for a round that waits on it.
    next_attempt_at: datetime | None = None


@dataclass
class _Job:
    record: DeliveryRecord
    body: bytes
    headers: Mapping[str, str]
    sign: Signer | None
    retries: RetrySchedule


@dataclass
class WebhookDispatcher:
    """Queues webhook deliveries and sends them in the background, with retries and faults."""

    faults: FaultPlan
    transport: httpx.AsyncBaseTransport | None = None
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS
    _queue: asyncio.Queue[_Job] = field(default_factory=asyncio.Queue)
    _records: list[DeliveryRecord] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _unfinished: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event)
    _retries: set[asyncio.Task[None]] = field(default_factory=set)
    _worker: asyncio.Task[None] | None = None
    _http: httpx.AsyncClient | None = None

    def __post_init__(self) -> None:
        self._idle.set()

    async def start(self) -> None:
        """Open the HTTP client and start the delivery worker."""
        self._http = httpx.AsyncClient(transport=self.transport, timeout=DELIVERY_TIMEOUT_SECONDS)
        self._worker = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        """Stop delivering (queued deliveries are dropped) and close the HTTP client."""
        tasks = [*self._retries, *([self._worker] if self._worker else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    def send(
        self,
        url: str,
        body: bytes,
        *,
        target: str,
        label: str,
        headers: Mapping[str, str] | None = None,
        sign: Signer | None = None,
        retries: RetrySchedule | None = None,
    ) -> DeliveryRecord:
        """Queue one delivery of `body` to `url`; `label` names it in the log (the event type)."""
        fixed_headers = {"Content-Type": "application/json", **(headers or {})}
        record = self._new_record(target, label, url, fixed_headers, sign, body)
        schedule = retries or RetrySchedule(self.retry_delays)
        self._enqueue(_Job(record, body, fixed_headers, sign, schedule))
        return record

    def deliveries(self) -> list[DeliveryRecord]:
        """Every delivery so far, oldest first."""
        return list(self._records)

    async def drain(self) -> None:
        """Wait until every queued delivery, retry and injected duplicate has finished."""
        await self._idle.wait()

    def _new_record(
        self,
        target: str,
        label: str,
        url: str,
        headers: Mapping[str, str],
        sign: Signer | None,
        body: bytes,
        *,
        duplicate: bool = False,
    ) -> DeliveryRecord:
        names = sorted({*headers, *(sign(body) if sign else {})})
        record = DeliveryRecord(
            id=next(self._ids),
            target=target,
            label=label,
            url=url,
            header_names=names,
            duplicate=duplicate,
            sent_at=datetime.now(UTC),
        )
        self._records.append(record)
        return record

    def _enqueue(self, job: _Job) -> None:
        self._unfinished += 1
        self._idle.clear()
        self._queue.put_nowait(job)

    def _finish(self) -> None:
        self._unfinished -= 1
        if self._unfinished == 0:
            self._idle.set()

    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            held: _Job | None = None
            if job.record.attempts == 0 and self.faults.webhook_fault(
                "out_of_order_webhooks", job.record.target
            ):
                held, job = job, await self._next_job_or(job)
                if job is held:
                    held = None
            await self._deliver(job)
            if held is not None:
                await self._deliver(held)

    async def _next_job_or(self, fallback: _Job) -> _Job:
        try:
            return await asyncio.wait_for(self._queue.get(), OUT_OF_ORDER_HOLD_SECONDS)
        except TimeoutError:
            return fallback

    async def _deliver(self, job: _Job) -> None:
        first_attempt = job.record.attempts == 0
        await self._attempt(job)
        if first_attempt and self.faults.webhook_fault("duplicate_webhooks", job.record.target):
            record = job.record
            copy = self._new_record(
                record.target,
                record.label,
                record.url,
                job.headers,
                job.sign,
                job.body,
                duplicate=True,
            )
            self._unfinished += 1
            await self._attempt(_Job(copy, job.body, job.headers, job.sign, job.retries))

    async def _attempt(self, job: _Job) -> None:
        record = job.record
        record.attempts += 1
        record.last_attempt_at = datetime.now(UTC)
        headers = {**job.headers, **(job.sign(job.body) if job.sign else {})}
        assert self._http is not None, "the dispatcher was not started"
        try:
            response = await self._http.post(record.url, content=job.body, headers=headers)
        except httpx.HTTPError as error:
            record.status_code, record.error = None, type(error).__name__
        else:
            record.status_code, record.error = response.status_code, None
        if record.status_code is not None and 200 <= record.status_code < 300:
            record.state = "delivered"
            record.next_attempt_at = None
            self._finish()
            return
        self._retry_or_give_up(job)

    def _retry_or_give_up(self, job: _Job) -> None:
        record, schedule = job.record, job.retries
        finished_round, place = divmod(record.attempts - 1, schedule.attempts_per_round)
        if record.status_code in schedule.never_retried:
            self._give_up(record)
        elif place < len(schedule.quick_delays):
            self._retry_soon(job, schedule.quick_delays[place])
        elif finished_round < len(schedule.round_gaps) and schedule.on_clock is not None:
            # Nothing in real time brings the next round: it waits, uncounted, for the clock.
            record.next_attempt_at = schedule.on_clock(
                schedule.round_gaps[finished_round], lambda: self._requeue_on_clock(job)
            )
            self._finish()
        else:
            self._give_up(record)

    def _give_up(self, record: DeliveryRecord) -> None:
        record.state = "failed"
        record.next_attempt_at = None
        log.warning(
            "webhook_delivery_failed",
            delivery_id=record.id,
            label=record.label,
            attempts=record.attempts,
            status_code=record.status_code,
            error=record.error,
        )
        self._finish()

    def _retry_soon(self, job: _Job, delay: float) -> None:
        job.record.next_attempt_at = datetime.now(UTC) + timedelta(seconds=delay)
        task = asyncio.create_task(self._requeue_after(job, delay))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _requeue_after(self, job: _Job, delay: float) -> None:
        await asyncio.sleep(delay)
        # Still counted as unfinished: put it back without counting it again.
        self._queue.put_nowait(job)

    async def _requeue_on_clock(self, job: _Job) -> None:
        self._enqueue(job)


def webhook_dispatcher(request: Request) -> WebhookDispatcher:
    """The app's dispatcher (a FastAPI dependency)."""
    dispatcher: WebhookDispatcher = request.app.state.webhooks
    return dispatcher
