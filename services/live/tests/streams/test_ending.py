"""A stream ends, with a last `end` event saying why, when its access token expires or its
log-in is revoked; the client may then reconnect with a fresh token."""

from __future__ import annotations

import uuid

import pytest

from finhub_dev.sse import opened

from ..conftest import Clock, Publish, notification, token


@pytest.mark.asyncio
async def test_the_stream_ends_when_its_access_token_expires(
    live: str, publish: Publish, clock: Clock
) -> None:
    company_id = uuid.uuid4()
    async with opened(live, token(uuid.uuid4(), company_id, ttl_seconds=900)) as (_, stream):
        assert stream is not None
        await publish("billing.notification.created", notification("in time"), company_id)
        [in_time] = await stream.take(1)
        clock.advance(901)
        await publish("billing.notification.created", notification("too late"), company_id)

        end = await stream.next()
        await stream.closes()

    assert in_time.data["title"] == "in time"
    assert (end.event, end.data) == ("end", {"type": "end", "reason": "token_expired"})


@pytest.mark.asyncio
async def test_a_revoked_session_ends_its_streams_and_no_other(live: str, publish: Publish) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    revoked, kept = uuid.uuid4(), uuid.uuid4()
    async with (
        opened(live, token(user_id, company_id, session_id=revoked)) as (_, ending),
        opened(live, token(user_id, company_id, session_id=kept)) as (_, going_on),
    ):
        assert ending is not None
        assert going_on is not None
        await publish(
            "billing.session.revoked",
            {"user_id": str(user_id), "session_id": str(revoked)},
            company_id,
        )
        await publish("billing.notification.created", notification("still here"), company_id)

        end = await ending.next()
        await ending.closes()
        [next_one] = await going_on.take(1)

    assert end.data == {"type": "end", "reason": "session_revoked"}
    assert next_one.data["title"] == "still here"
    async with opened(live, token(user_id, company_id, session_id=revoked)) as (refused, _):
        assert refused.status_code == 401
        assert refused.json()["code"] == "session_revoked"


@pytest.mark.asyncio
async def test_revoking_every_session_ends_every_stream_of_the_user(
    live: str, publish: Publish
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    async with (
        opened(live, token(user_id, company_id)) as (_, one),
        opened(live, token(user_id, company_id)) as (_, two),
        opened(live, token(uuid.uuid4(), company_id)) as (_, colleague),
    ):
        assert one is not None
        assert two is not None
        assert colleague is not None
        await publish(
            "billing.session.revoked", {"user_id": str(user_id), "session_id": None}, company_id
        )
        await publish("billing.notification.created", notification(), company_id)

        ends = [await one.next(), await two.next()]
        [shown_to_colleague] = await colleague.take(1)

    assert [end.data["reason"] for end in ends] == ["session_revoked"] * 2
    assert shown_to_colleague.event == "notification"
