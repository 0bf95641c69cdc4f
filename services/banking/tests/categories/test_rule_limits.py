"""A company's rules are bounded (how many, how long their text), and matching a page of
transactions against them lets the worker's event loop run."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest

from banking.categories.matching import CHECKS_PER_PAUSE, Candidate, Categorizer
from banking.categories.models import MAX_RULE_VALUE_LENGTH, CategoryRule
from banking.config import get_settings
from finhub_dev.testing import outcome
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import token_for


async def create_rule(
    client: httpx.AsyncClient, company_id: uuid.UUID, value: str = "uber"
) -> httpx.Response:
    return await client.post(
        "/api/banking/rules/",
        json={"field": "description", "value": value, "category_id": "19000000"},
        headers=token_for(company_id),
    )


@pytest.mark.asyncio
async def test_a_company_cannot_create_a_rule_past_the_limit(
    client: httpx.AsyncClient, database: Database
) -> None:
    limit = get_settings().max_rules_per_company
    company_id = uuid.uuid4()
    assert (await create_rule(client, company_id, "rule 0")).status_code == 201
    async with database.transaction() as session:
        session.add_all(
            CategoryRule(
                company_id=company_id,
                field="description",
                match="contains",
                value=f"rule {index}",
                category_id="19000000",
            )
            for index in range(1, limit - 1)
        )

    last = await create_rule(client, company_id, "the last one")
    refused = await create_rule(client, company_id, "one too many")

    assert last.status_code == 201
    assert outcome(refused) == (409, "rule_limit_reached")
    assert (await create_rule(client, uuid.uuid4())).status_code == 201  # another company's own
    await client.delete(f"/api/banking/rules/{last.json()['id']}", headers=token_for(company_id))
    assert (await create_rule(client, company_id, "in its place")).status_code == 201


@pytest.mark.asyncio
async def test_a_rule_text_longer_than_the_cap_is_refused(client: httpx.AsyncClient) -> None:
    company_id = uuid.uuid4()

    longest = await create_rule(client, company_id, "a" * MAX_RULE_VALUE_LENGTH)
    too_long = await create_rule(client, company_id, "a" * (MAX_RULE_VALUE_LENGTH + 1))

    assert longest.status_code == 201
    assert outcome(too_long) == (422, "validation_error")


@pytest.mark.asyncio
async def test_matching_a_page_against_the_most_rules_lets_the_event_loop_run() -> None:
    limit = get_settings().max_rules_per_company
    account_id = uuid.uuid4()
    # The costliest texts to search: long runs of one letter that never quite match.
    rules = [
        CategoryRule(
            id=uuid.uuid4(),
            company_id=uuid.uuid4(),
            field="description",
            match="contains",
            value="a" * (MAX_RULE_VALUE_LENGTH - 1 - index % 50) + "b",
            category_id="19000000",
            priority=100,
            created_at=utcnow() + timedelta(seconds=index),
        )
        for index in range(limit)
    ]
    categorizer = Categorizer(rules, {"19000000": "Transportation"})
    candidates = [Candidate("a" * 1000, None, -100, account_id) for _ in range(500)]
    candidates[-1] = Candidate("a" * 999 + "b", None, -100, account_id)
    ticks = 0
    matching = True

    async def count_ticks() -> None:
        nonlocal ticks
        while matching:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(count_ticks())
    await asyncio.sleep(0)
    matches = await categorizer.match_all(candidates)
    matching = False
    await ticker

    pauses = len(candidates) // (CHECKS_PER_PAUSE // limit) - 1
    assert ticks >= pauses  # the other coroutine ran between every slice
    assert matches[:-1] == [None] * (len(candidates) - 1)
    assert matches[-1] is not None
    assert matches[-1].category_name == "Transportation"
