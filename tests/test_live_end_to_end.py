"""The live stream across services, read as a browser reads it: a real SSE client on
`/api/live/stream` over a socket, with the access token billing issued at registration.

A bank connection through the Pluggy stand-in's MFA 2-step connector: the bank asks for a token →
its webhook reaches the gateway → banking fetches the item and publishes the prompt → the live
worker stores it → the stream shows it. The user answers through banking; the stream shows the
connection's status changes, the sync's progress and its end. Mid-way the stream is dropped while
the bank goes on, and a new one resumes with `Last-Event-ID`: every event after it arrives once.
A PIX payment's status changes and billing's notice of a revoked consent come on the same stream.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from finhub_dev.sse import Message, Stream, opened
from finhub_shared.db import Database
from live.events.models import LiveEvent

from .parts import pluggy_transaction_count, revoke_consent, running_system

MFA_2_STEP = 5  # the stand-in's "Pluggy Bank MFA 2-step": asks for a token after the log-in
MFA_TOKEN = "123456"  # the token the stand-in's bank accepts
# How long the issue allows from the bank asking to the prompt on the stream.
PROMPT_WITHIN_SECONDS = 5
# A bound on waiting for what the system does next (not a speed assertion).
PATIENCE_SECONDS = 30


class Watched:
    """Every message the user's streams have shown, in order, read on demand."""

    def __init__(self) -> None:
        self.shown: list[Message] = []
        self.stream: Stream | None = None

    async def until(self, done: Callable[[list[Message]], bool]) -> list[Message]:
        """Read the open stream until `done(shown)`; the messages it read."""
        assert self.stream is not None
        first = len(self.shown)
        while not done(self.shown):
            self.shown.append(await self.stream.next(within=PATIENCE_SECONDS))
        return self.shown[first:]

    def of(self, event: str, **fields: Any) -> list[Message]:
        """The messages shown of `event` whose data has `fields`."""
        return [
            message
            for message in self.shown
            if message.event == event and all(message.data.get(k) == v for k, v in fields.items())
        ]


def seen(event: str, since: int = 0, **fields: Any) -> Callable[[list[Message]], bool]:
    """Whether a message of `event` whose data has `fields` has been shown (from the `since`th)."""

    def done(shown: list[Message]) -> bool:
        return any(
            message.event == event and all(message.data.get(k) == v for k, v in fields.items())
            for message in shown[since:]
        )

    return done


async def stored(company_id: uuid.UUID) -> list[tuple[str, str]]:
    """The id and SSE event name of each of the company's events the live service stored for its
    streams, in order."""
    database = Database(os.environ["LIVE_DATABASE_URL"], application_name="e2e-live-read")
    try:
        async with database.sessions() as session:
            statement = select(LiveEvent.seq, LiveEvent.type).where(
                LiveEvent.company_id == company_id, LiveEvent.shown
            )
            rows = await session.execute(statement.order_by(LiveEvent.seq))
            return [(str(seq), event) for seq, event in rows]
    finally:
        await database.dispose()


async def stored_after(company_id: uuid.UUID, last_id: str, event: str) -> list[str]:
    """Wait until the live service stored an `event` after `last_id`; the ids after it."""
    async with asyncio.timeout(PATIENCE_SECONDS):
        while True:
            after = [row for row in await stored(company_id) if int(row[0]) > int(last_id)]
            if any(name == event for _, name in after):
                return [seq for seq, _ in after]
            await asyncio.sleep(0.1)


async def company_of(billing_api: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    me = await billing_api.get("/api/companies/me", headers=headers)
    assert me.status_code == 200, me.text
    return uuid.UUID(me.json()["company"]["id"])


def statuses(messages: list[Message]) -> list[str]:
    return [message.data["status"] for message in messages if message.event == "item.status"]


def in_order(wanted: list[str], shown: list[str]) -> bool:
    """Whether `wanted` appear in `shown` in this order (others may come between)."""
    remaining = iter(shown)
    return all(status in remaining for status in wanted)


@pytest.mark.asyncio
async def test_a_bank_connection_with_mfa_pix_and_notices_on_one_resumable_stream() -> None:
    watched = Watched()
    async with running_system() as system:
        sandbox, billing_api, banking_api = system.sandbox, system.billing, system.banking
        headers = await system.register("rita@padaria.com.br", "Rita Souza", "Padaria Souza")
        token = headers["Authorization"].removeprefix("Bearer ")
        company_id = await company_of(billing_api, headers)
        # The test moves the bank's time, so it knows the moment the bank asks for the token.
        assert (await sandbox.post("/pluggy/_sandbox/clock", json={"frozen": True})).is_success

        async with opened(system.live, token) as (response, stream):
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/event-stream")
            watched.stream = stream
            pluggy_item_id, item_id = await system.connect_bank(headers, MFA_2_STEP)

            async def bank_asks_for_the_token() -> None:
                asked = await sandbox.post("/pluggy/_sandbox/advance", json={"seconds": 10})
                assert asked.is_success, asked.text
                await watched.until(seen("item.mfa_required", item_id=item_id))

            # The bank logs the user in and asks; the prompt is on the stream within the bound.
            await asyncio.wait_for(bank_asks_for_the_token(), PROMPT_WITHIN_SECONDS)

            answered = await banking_api.post(
                f"/api/banking/items/{item_id}/mfa",
                json={"parameters": {"token": MFA_TOKEN}},
                headers=headers,
            )
            assert answered.status_code == 200, answered.text
            since_prompt = len(watched.shown)
            await watched.until(
                seen("item.status", since_prompt, item_id=item_id, status=answered.json()["status"])
            )
        # The stream drops; meanwhile the bank finishes the log-in and the sync begins.
        last_id = watched.shown[-1].id
        assert last_id is not None
        shown_before_drop = len(watched.shown)
        assert (await sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 1})).is_success
        stored_while_away = await stored_after(company_id, last_id, "sync.progress")

        async with opened(system.live, token, last_event_id=last_id) as (response, resumed):
            assert response.status_code == 200, response.text
            watched.stream = resumed
            await watched.until(seen("item.status", item_id=item_id, status="UPDATED"))
            expected = await pluggy_transaction_count(sandbox, pluggy_item_id)
            await watched.until(
                lambda shown: (
                    sum(m.data["transactions_stored"] for m in shown if m.event == "sync.finished")
                    >= expected
                )
            )

            # A PIX to a supplier, paid at the bank: every status change is shown.
            payment = await banking_api.post(
                "/api/banking/pix/payments/",
                json={"amount_cents": 15_000, "recipient": {"pix_key": "fornecedor@example.com"}},
                headers=headers,
            )
            assert payment.status_code == 201, payment.text
            payment_id = payment.json()["id"]
            request_id = payment.json()["payment_url"].rstrip("/").rsplit("/", 1)[-1]
            assert (await sandbox.post(f"/pluggy/_sandbox/pay/{request_id}")).is_success
            assert (await sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 1})).is_success
            await watched.until(
                seen("pix.payment.status", payment_id=payment_id, status="completed")
            )

            # The user revokes the consent at the bank: billing's notice comes on the same stream.
            await revoke_consent(sandbox, pluggy_item_id)
            await watched.until(seen("notification", kind="consent_revoked"))
            await watched.until(seen("item.status", item_id=item_id, status="CONSENT_REVOKED"))
        kept = await stored(company_id)

    ids = [message.id for message in watched.shown]
    # Every event the live service stored, once each, in order, across the drop.
    assert ids == [seq for seq, _ in kept]
    assert set(stored_while_away) <= set(ids[shown_before_drop:])

    [prompt] = watched.of("item.mfa_required", item_id=item_id)
    assert prompt.data["prompt"]["name"] == "token"
    assert prompt.data["expires_at"]
    asking = watched.of("item.status", item_id=item_id, status="WAITING_USER_INPUT")
    assert [message.data["next_action"] for message in asking] == ["answer_mfa"]
    after_prompt = watched.shown[watched.shown.index(prompt) :]
    assert in_order([answered.json()["status"], "UPDATED"], statuses(after_prompt))
    assert (
        watched.of("item.status", item_id=item_id, status="UPDATED")[-1].data["next_action"]
        == "none"
    )

    progress = watched.of("sync.progress", item_id=item_id)
    finished = watched.of("sync.finished", item_id=item_id)
    assert progress
    assert finished
    assert {m.data["sync_id"] for m in progress} <= {m.data["sync_id"] for m in finished}
    assert sum(m.data["transactions_stored"] for m in finished) == expected
    for end in finished:
        before_end = watched.shown[: watched.shown.index(end)]
        counts = [
            m.data["transactions_stored"]
            for m in before_end
            if m.event == "sync.progress" and m.data["sync_id"] == end.data["sync_id"]
        ]
        assert counts == sorted(counts)
        assert not counts or counts[-1] <= end.data["transactions_stored"]

    changes = watched.of("pix.payment.status", payment_id=payment_id)
    assert changes[0].data["previous_status"] is None
    assert [m.data["previous_status"] for m in changes[1:]] == [
        m.data["status"] for m in changes[:-1]
    ]
    assert changes[-1].data["status"] == "completed"
    [notice] = watched.of("notification", kind="consent_revoked")
    assert notice.data["title"]
    assert notice.data["message"]
