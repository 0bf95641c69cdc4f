"""The stream as a client sees it, over a socket: events published on the bus are pushed to
every open stream of the company, on any replica, resumable without gap or duplicate."""

from __future__ import annotations

import asyncio
import os
import uuid
from urllib.parse import urlsplit

import asyncpg
import pytest
from sqlalchemy import func, select

from finhub_dev.sse import Message, Stream, opened
from finhub_shared.db import Database, asyncpg_dsn
from live.streams.hub import LISTENER_NAME
from live.streams.models import OpenStream

from ..conftest import Publish, Serve, notification, token


async def shown(stream: Stream, count: int = 1) -> list[Message]:
    return await stream.take(count)


async def places_freed(database: Database) -> None:
    """Wait until every closed stream's place is freed (the server notices a client leave)."""
    async with asyncio.timeout(5):
        while True:
            async with database.sessions() as session:
                if not await session.scalar(select(func.count()).select_from(OpenStream)):
                    return
            await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_an_event_published_on_the_bus_reaches_an_open_stream(
    live: str, publish: Publish
) -> None:
    company_id, other_company = uuid.uuid4(), uuid.uuid4()
    item_id = uuid.uuid4()
    async with opened(live, token(uuid.uuid4(), company_id)) as (response, stream):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert stream is not None
        await publish("billing.notification.created", notification("not yours"), other_company)
        sent = await publish(
            "banking.item.status_changed",
            {
                "item_id": str(item_id),
                "connector_name": "Pluggy Bank",
                "status": "WAITING_USER_INPUT",
                "execution_status": "USER_INPUT_REQUIRED",
                "next_action": "answer_mfa",
                "message": "Enter the code your bank sent you.",
            },
            company_id,
        )

        [message] = await shown(stream)

    assert message.id == "1"
    assert message.event == "item.status"
    assert message.data == {
        "type": "item.status",
        "occurred_at": sent.occurred_at.isoformat(),
        "item_id": str(item_id),
        "connector_name": "Pluggy Bank",
        "status": "WAITING_USER_INPUT",
        "execution_status": "USER_INPUT_REQUIRED",
        "next_action": "answer_mfa",
        "message": "Enter the code your bank sent you.",
    }


@pytest.mark.asyncio
async def test_last_event_id_resumes_with_every_event_after_it_then_the_new_ones(
    live: str, publish: Publish
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    async with opened(live, token(user_id, company_id)) as (_, stream):
        assert stream is not None
        for n in range(3):
            await publish("billing.notification.created", notification(f"n{n}"), company_id)
        seen = await shown(stream, 2)
    for n in range(3, 5):
        await publish("billing.notification.created", notification(f"n{n}"), company_id)

    async with opened(live, token(user_id, company_id), last_event_id=seen[-1].id) as (_, again):
        assert again is not None
        resumed = await shown(again, 3)
        await publish("billing.notification.created", notification("n5"), company_id)
        [live_one] = await shown(again)

    titles = [m.data["title"] for m in [*seen, *resumed, live_one]]
    assert titles == ["n0", "n1", "n2", "n3", "n4", "n5"]
    assert [m.id for m in [*seen, *resumed, live_one]] == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.asyncio
async def test_a_new_stream_without_last_event_id_starts_with_the_next_event(
    live: str, publish: Publish
) -> None:
    company_id = uuid.uuid4()
    async with opened(live, token(uuid.uuid4(), company_id)) as (_, first):
        assert first is not None
        await publish("billing.notification.created", notification("before"), company_id)
        await shown(first)
        async with opened(live, token(uuid.uuid4(), company_id)) as (_, second):
            assert second is not None
            await publish("billing.notification.created", notification("after"), company_id)
            [message] = await shown(second)
    assert (message.id, message.data["title"]) == ("2", "after")


@pytest.mark.asyncio
async def test_streams_on_two_replicas_both_get_the_event(serve: Serve, publish: Publish) -> None:
    company_id = uuid.uuid4()
    async with (
        serve() as one,
        serve() as two,
        opened(one, token(uuid.uuid4(), company_id)) as (_, on_one),
        opened(two, token(uuid.uuid4(), company_id)) as (_, on_two),
    ):
        assert on_one is not None
        assert on_two is not None
        await publish("billing.notification.created", notification(), company_id)
        [first] = await shown(on_one)
        [second] = await shown(on_two)
    assert first == second


@pytest.mark.asyncio
async def test_a_dropped_listen_connection_loses_no_event(live: str, publish: Publish) -> None:
    company_id = uuid.uuid4()
    database = urlsplit(os.environ["LIVE_DATABASE_URL"]).path.lstrip("/")
    admin = await asyncpg.connect(asyncpg_dsn(os.environ["POSTGRES_ADMIN_URL"]))
    try:
        async with opened(live, token(uuid.uuid4(), company_id)) as (_, stream):
            assert stream is not None
            await publish("billing.notification.created", notification("before"), company_id)
            await shown(stream)
            dropped = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND application_name = $2",
                database,
                LISTENER_NAME,
            )
            assert len(dropped) == 1
            await publish("billing.notification.created", notification("while down"), company_id)
            await publish("billing.notification.created", notification("after"), company_id)

            messages = await stream.take(2, within=10)
    finally:
        await admin.close()
    assert [m.data["title"] for m in messages] == ["while down", "after"]


@pytest.mark.asyncio
async def test_the_fourth_stream_of_a_user_is_refused_whichever_replica_holds_them(
    serve: Serve, database: Database
) -> None:
    company_id, user_id = uuid.uuid4(), uuid.uuid4()
    async with serve() as one, serve() as two:
        async with (
            opened(one, token(user_id, company_id)) as (first, _),
            opened(two, token(user_id, company_id)) as (second, _),
            opened(one, token(user_id, company_id)) as (third, _),
        ):
            async with opened(two, token(user_id, company_id)) as (fourth, _):
                assert [first.status_code, second.status_code, third.status_code] == [200] * 3
                assert fourth.status_code == 429
                assert fourth.json()["code"] == "too_many_streams"
                assert int(fourth.headers["Retry-After"]) > 0
            async with opened(two, token(uuid.uuid4(), company_id)) as (someone_else, _):
                assert someone_else.status_code == 200
        await places_freed(database)
        async with opened(two, token(user_id, company_id)) as (after_closing, _):
            assert after_closing.status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize("bearer", [None, "not-a-token"])
async def test_without_a_valid_token_the_answer_is_401(live: str, bearer: str | None) -> None:
    async with opened(live, bearer) as (response, stream):
        assert response.status_code == 401
        assert stream is None


@pytest.mark.asyncio
@pytest.mark.parametrize("last_event_id", ["abc", "-1", str(2**63)])
async def test_a_last_event_id_that_is_no_position_is_refused_with_a_code(
    live: str, last_event_id: str
) -> None:
    async with opened(live, token(uuid.uuid4(), uuid.uuid4()), last_event_id) as (response, _):
        assert 400 <= response.status_code < 500
        assert response.json()["code"]
