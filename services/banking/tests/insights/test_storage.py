"""Each computation replaces the company's insights: a key found again keeps its row and when it
was first seen, a new one to act on is streamed and notified once, a failing detector neither
stops the others nor loses its earlier findings."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from banking.insights.findings import Finding
from banking.insights.history import CompanyHistory
from banking.insights.service import Context, Detector
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow

from ..conftest import token_for
from .support import company_events, detector, finding, store, subscribe

pytestmark = pytest.mark.asyncio


def failing(name: str) -> Detector:
    def find(_history: CompanyHistory, _context: Context) -> list[Finding]:
        raise ZeroDivisionError("a bug in a detector")

    return Detector(name, "standard", find)


async def test_an_insight_found_again_keeps_its_id_and_first_seen_at(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    first, second = utcnow() - timedelta(days=1), utcnow()

    before = await store(database, company_id, first, detector("d", finding("same")))
    after = await store(
        database, company_id, second, detector("d", finding("same"), finding("other"))
    )

    [kept] = [insight for insight in after.insights if insight.key == "same"]
    assert kept.id == before.insights[0].id
    assert (kept.first_seen_at, kept.computed_at) == (first, second)
    assert [insight.key for insight in after.new] == ["other"]
    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    assert {item["key"]: item["new"] for item in listed.json()["items"]} == {
        "same": False,
        "other": True,
    }


async def test_an_insight_not_found_again_is_gone(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    await store(database, company_id, utcnow(), detector("d", finding("a"), finding("b")))

    await store(database, company_id, utcnow(), detector("d", finding("b")))

    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    assert [item["key"] for item in listed.json()["items"]] == ["b"]


async def test_a_new_insight_to_act_on_is_streamed_and_notified_once(
    worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    duplicate = finding(
        "duplicate:1", severity="action", kind="duplicate_charge", message="Cobrança em dobro."
    )
    found = detector("unusual", duplicate, finding("info"))

    [first, *_] = (await store(database, company_id, utcnow(), found)).new
    await store(database, company_id, utcnow(), found)
    await store(database, company_id, utcnow(), found)

    shown = await company_events(database, "banking.insight.created", company_id)
    notices = await company_events(database, "banking.notification.requested", company_id)
    assert [event["insight_id"] for event in shown] == [str(first.id)]
    assert shown[0] | {"insight_id": None} == {
        "insight_id": None,
        "kind": "duplicate_charge",
        "severity": "action",
        "title": "Achado duplicate:1",
        "message": "Cobrança em dobro.",
        "account_id": None,
        "link": f"/api/banking/insights/{first.id}",
    }
    assert [(n["kind"], n["title"], n["message"], n["insight_id"]) for n in notices] == [
        ("duplicate_charge", "Achado duplicate:1", "Cobrança em dobro.", str(first.id))
    ]


async def test_a_failing_detector_does_not_stop_the_others_and_keeps_its_findings(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    await store(
        database,
        company_id,
        utcnow(),
        detector("flaky", finding("from-flaky")),
        detector("steady", finding("old")),
    )

    stored = await store(
        database, company_id, utcnow(), failing("flaky"), detector("steady", finding("new"))
    )

    assert sorted(insight.key for insight in stored.insights) == ["from-flaky", "new"]
    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    assert sorted(item["key"] for item in listed.json()["items"]) == ["from-flaky", "new"]


async def test_one_insight_says_why_with_its_numbers_transactions_and_points(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    [insight] = (await store(database, company_id, utcnow(), detector("d", finding("k")))).new

    answer = await client.get(f"/api/banking/insights/{insight.id}", headers=token_for(company_id))

    assert answer.status_code == 200
    body = answer.json()
    assert body["evidence"] == {"total_cents": 12345, "day": "2026-12-01"}
    assert body["series"] == {
        "total": [{"day": "2026-12-01", "value_cents": 100, "low_cents": 50, "high_cents": 150}]
    }


async def test_another_companys_insight_is_not_found_nor_listed(
    client: httpx.AsyncClient, worker_runtime: Runtime, database: Database
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    for company_id in (owner, stranger):
        await subscribe(worker_runtime, company_id, "enterprise")
    [insight] = (await store(database, owner, utcnow(), detector("d", finding("mine")))).new

    one = await client.get(f"/api/banking/insights/{insight.id}", headers=token_for(stranger))
    listed = await client.get("/api/banking/insights/", headers=token_for(stranger))

    assert one.status_code == 404
    assert one.json()["code"] == "insight_not_found"
    assert listed.json()["items"] == []
