"""Whatever query string or filter an operator's tool sends, the admin API never answers 5xx, and
a refused replay queues nothing."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finhub_shared.db import Database

from ..stored import outbox_envelopes
from .test_admin_events import admin, deliver

FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Values that broke the banking service's routes or this one's: NUL, instants that exist in no
# zone but their own, integers past BIGINT, cursors around them.
EDGE_VALUES = [
    "", "\x00", "invoice.paid\x00", "stripe", "queued", "-1", "501", str(2**63), "1e400",
    "2026-01-01T00:00:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
    "10000-01-01T00:00:00Z",
]  # fmt: skip


def as_cursor(position: str, stored_id: str) -> str:
    raw = f"{position}|{stored_id}".encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode()


edge_values = st.sampled_from(EDGE_VALUES)
texts = st.text(max_size=40)  # any code point but lone surrogates, NUL included
lone_surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
times = st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat())
cursors = st.builds(
    as_cursor,
    edge_values | times | texts | lone_surrogates,
    st.uuids().map(str) | texts,
)
values = st.one_of(edge_values, edge_values, texts, lone_surrogates, times, cursors)  # edges: 1/3
names = ["source", "type", "status", "received_from", "received_to", "limit", "cursor", "page"]
# Each name at most once, and few at a time: one refused value would hide the others.
query_parameters = st.dictionaries(st.sampled_from(names), values, min_size=1, max_size=2)


@pytest_asyncio.fixture
async def stored(webhooks: httpx.AsyncClient) -> None:
    """One routed event, so that a filter which wrongly matched it would show."""
    await deliver(webhooks, "invoice.paid")


def percent_encoded(value: str) -> str:
    """As a client writes it into a URL; a lone surrogate becomes its (invalid) UTF-8 bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@pytest.mark.asyncio
@FUZZ
@given(parameters=query_parameters)
async def test_no_query_string_makes_the_event_list_fail(
    client: httpx.AsyncClient, stored: None, parameters: dict[str, str]
) -> None:
    query = "&".join(f"{name}={percent_encoded(value)}" for name, value in parameters.items())

    response = await client.get(f"/admin/events?{query}", headers=admin())

    assert response.status_code in {200, 400, 422}, response.text
    assert response.status_code == 200 or set(response.json()) >= {"code", "message"}


@pytest.mark.asyncio
@FUZZ
@given(stored_id=values.filter(bool))  # an empty id is /admin/events/, redirected
async def test_no_id_in_the_path_makes_detail_or_replay_fail(
    client: httpx.AsyncClient, database: Database, stored_id: str
) -> None:
    path = f"/admin/events/{percent_encoded(stored_id)}"

    detail = await client.get(path, headers=admin())
    replay = await client.post(f"{path}/replay", headers=admin())

    assert {detail.status_code, replay.status_code} <= {404, 405, 422}, (detail.text, replay.text)
    assert await outbox_envelopes(database) == []


filter_values = values | st.none() | st.integers() | st.floats() | st.lists(texts, max_size=2)
filter_names = st.sampled_from([*names, "event_type", "from", "to"])


@pytest.mark.asyncio
@FUZZ
@given(filters=st.dictionaries(filter_names, filter_values, max_size=3))
async def test_no_replay_filter_makes_replay_fail_and_a_refusal_queues_nothing(
    client: httpx.AsyncClient, database: Database, stored: None, filters: dict[str, object]
) -> None:
    queued_before = len(await outbox_envelopes(database))
    body = json.dumps(filters).encode()  # lone surrogates travel as \ud800 escapes

    response = await client.post(
        "/admin/events/replay",
        content=body,
        headers=admin() | {"Content-Type": "application/json"},
    )

    assert response.status_code in {200, 400, 422}, response.text
    if response.status_code != 200:
        assert set(response.json()) >= {"code", "message"}
        assert len(await outbox_envelopes(database)) == queued_before
