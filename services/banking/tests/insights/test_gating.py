"""Insights follow the plan in billing's snapshot: starter 403 upgrade_required naming the plan
that unlocks them, professional the standard ones, enterprise the advanced ones too."""

from __future__ import annotations

import uuid

import httpx
import pytest

from banking.entitlements import service as entitlements
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import token_for
from .support import detector, finding, store, subscribe

pytestmark = pytest.mark.asyncio

ROUTES = (
    "/api/banking/insights/",
    "/api/banking/insights/forecast",
    "/api/banking/insights/categories/history",
    "/api/banking/insights/settings",
)


async def test_a_starter_company_is_told_which_plan_unlocks_insights(
    client: httpx.AsyncClient, worker_runtime: Runtime
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "starter")

    answers = [await client.get(path, headers=token_for(company_id)) for path in ROUTES]
    changed = await client.put(
        "/api/banking/insights/settings",
        json={"low_balance_threshold_cents": 100},
        headers=token_for(company_id),
    )

    for answer in [*answers, changed]:
        assert answer.status_code == 403, answer.text
        body = answer.json()
        assert body["code"] == "upgrade_required"
        assert (body["suggested_plan"], body["required_insights"]) == ("professional", "standard")
        assert "professional" in body["message"]


async def test_a_snapshot_from_an_older_billing_gives_no_insights_and_names_no_plan(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional", with_level=False)

    answer = await client.get("/api/banking/insights/", headers=token_for(company_id))

    async with database.transaction() as session:
        rights = await entitlements.known_entitlements(session, company_id, utcnow())
    assert rights is not None
    assert rights.insights == "none"
    assert answer.status_code == 403
    assert answer.json()["code"] == "upgrade_required"
    assert answer.json()["suggested_plan"] is None


async def test_professional_sees_standard_insights_only(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    stored = await store(
        database,
        company_id,
        utcnow(),
        detector("standard", finding("plain")),
        detector("advanced", finding("deep", tier="advanced"), tier="advanced"),
    )
    advanced = next(insight for insight in stored.insights if insight.tier == "advanced")

    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    hidden = await client.get(f"/api/banking/insights/{advanced.id}", headers=token_for(company_id))

    assert listed.status_code == 200
    assert listed.json()["insights"] == "standard"
    assert [item["key"] for item in listed.json()["items"]] == ["plain"]
    assert hidden.status_code == 403
    assert hidden.json()["code"] == "upgrade_required"
    assert (hidden.json()["suggested_plan"], hidden.json()["required_insights"]) == (
        "enterprise",
        "advanced",
    )


async def test_enterprise_sees_advanced_insights_too(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "enterprise")
    stored = await store(
        database,
        company_id,
        utcnow(),
        detector("standard", finding("plain")),
        detector("advanced", finding("deep", tier="advanced"), tier="advanced"),
    )
    advanced = next(insight for insight in stored.insights if insight.tier == "advanced")

    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    one = await client.get(f"/api/banking/insights/{advanced.id}", headers=token_for(company_id))

    assert listed.json()["insights"] == "advanced"
    assert sorted(item["key"] for item in listed.json()["items"]) == ["deep", "plain"]
    assert one.status_code == 200
    assert one.json()["tier"] == "advanced"


async def test_a_company_billing_has_not_told_about_gets_standard_insights_on_its_assumed_trial(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/api/banking/insights/", headers=token_for(uuid.uuid4()))

    assert answer.status_code == 200
    assert answer.json() == {"insights": "standard", "computed_at": None, "items": []}


async def test_the_most_severe_come_first_then_the_newest(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    await store(database, company_id, utcnow(), detector("first", finding("old-info")))
    await store(
        database,
        company_id,
        utcnow(),
        detector("first", finding("old-info")),
        detector(
            "second",
            finding("new-info"),
            finding("warn", severity="warning"),
            finding("act", severity="action"),
        ),
    )

    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))

    assert [item["key"] for item in listed.json()["items"]] == [
        "act",
        "warn",
        "new-info",
        "old-info",
    ]
