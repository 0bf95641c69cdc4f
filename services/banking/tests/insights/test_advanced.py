"""Enterprise's advanced insights from a synced company's own transactions: runway, supplier
concentration and the month summary are computed, stored and served with their numbers, and a
professional company's computation has none of them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from pydantic import SecretStr

from banking.insights import service
from banking.money import BRAZIL_TIME
from banking.runtime import Runtime
from finhub_shared.db import Database
from provider_sandbox.main import create_app as create_sandbox
from provider_sandbox.openai.routes import OpenAISandbox

from ..conftest import connect_bank, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy
from .support import subscribe

pytestmark = pytest.mark.asyncio

ADVANCED_KINDS = {"runway", "supplier_concentration", "month_summary"}
# When the insights are computed: November 2026 is the last complete month.
NOW = datetime(2026, 12, 7, 15, tzinfo=UTC)
TODAY = NOW.astimezone(BRAZIL_TIME).date()


async def company_paying_one_supplier(
    client: httpx.AsyncClient, fake_pluggy: SandboxPluggy, runtime: Runtime, plan: str
) -> uuid.UUID:
    """Synced on `plan`: R$ 1.000,50 in the bank; in November 2026 R$ 3.000,00 received on the
    2nd and 12 payments of R$ 1.000,00 to one supplier on the 10th."""
    company_id = uuid.uuid4()
    await subscribe(runtime, company_id, plan)
    await connect_bank(client, fake_pluggy, company_id)
    account = next(iter(fake_pluggy.accounts))
    fake_pluggy.add_transactions(
        account, 1, description="Recebimento", amount="3000.00", transaction_type="CREDIT",
        when=datetime(2026, 11, 2, 12, tzinfo=BRAZIL_TIME).astimezone(UTC),
    )  # fmt: skip
    fake_pluggy.add_transactions(
        account, 12, description="PIX ENVIADO Fornecedor Alfa", amount="1000.00",
        when=datetime(2026, 11, 10, 12, tzinfo=BRAZIL_TIME).astimezone(UTC),
    )  # fmt: skip
    await run_queued_syncs(runtime)
    return company_id


async def test_an_enterprise_company_gets_runway_concentration_and_its_month_summary(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = await company_paying_one_supplier(
        client, fake_pluggy, worker_runtime, "enterprise"
    )
    async with database.transaction() as session:
        await service.compute(session, company_id, TODAY, NOW, "advanced", writer=worker_runtime)

    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    assert listed.status_code == 200, listed.text
    insights = {item["kind"]: item for item in listed.json()["items"]}
    assert insights.keys() >= ADVANCED_KINDS
    assert {insights[kind]["tier"] for kind in ADVANCED_KINDS} == {"advanced"}
    # Last month (the one complete month of the history): R$ 3.000 in, R$ 12.000 out.
    runway = insights["runway"]
    assert runway["severity"] == "action"
    assert runway["evidence"]["cash_cents"] == 100_050
    assert runway["evidence"]["burn_per_month_cents"] == 900_000
    assert len(runway["transaction_ids"]) == 10
    concentration = insights["supplier_concentration"]
    assert concentration["severity"] == "warning"
    assert concentration["evidence"]["top_share"] == 1.0
    assert concentration["evidence"]["top_payees"][0]["payments"] == 12
    assert len(concentration["transaction_ids"]) == 12
    summary = insights["month_summary"]
    assert summary["evidence"]["month"] == "2026-11"
    assert summary["evidence"]["income_cents"] == 300_000
    assert summary["evidence"]["spending_cents"] == 1_200_000
    assert summary["evidence"]["written_by"] == "template"
    assert summary["message"].startswith("Em ")


async def test_a_professional_company_gets_none_of_them(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = await company_paying_one_supplier(
        client, fake_pluggy, worker_runtime, "professional"
    )
    async with database.transaction() as session:
        stored = await service.compute(
            session, company_id, TODAY, NOW, "standard", writer=worker_runtime
        )

    assert {insight.kind for insight in stored.insights} & ADVANCED_KINDS == set()


@pytest_asyncio.fixture
async def model() -> AsyncIterator[tuple[OpenAISandbox, httpx.AsyncClient]]:
    """The provider sandbox's OpenAI-compatible API, and a client reaching it."""
    sandbox = create_sandbox(webhook_transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    transport = httpx.ASGITransport(app=sandbox)
    async with LifespanManager(sandbox), httpx.AsyncClient(transport=transport) as llm:
        yield sandbox.state.openai, llm


async def test_the_month_summary_is_written_by_the_model_once_for_the_same_numbers(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
    model: tuple[OpenAISandbox, httpx.AsyncClient],
) -> None:
    received, llm = model
    settings = worker_runtime.settings.model_copy(
        update={
            "insights_llm_url": "http://sandbox.test/openai/v1",
            "insights_llm_model": "gpt-sandbox",
            "insights_llm_api_key": SecretStr("sk-test"),
        }
    )
    writer = replace(worker_runtime, settings=settings, llm=llm)
    company_id = await company_paying_one_supplier(client, fake_pluggy, writer, "enterprise")

    summaries = []
    for _ in range(2):
        async with database.transaction() as session:
            stored = await service.compute(
                session, company_id, TODAY, NOW, "advanced", writer=writer
            )
        [summary] = [i for i in stored.insights if i.kind == "month_summary"]
        summaries.append((summary.message, summary.evidence["written_by"]))

    assert len(received.received) == 1
    assert summaries[0] == summaries[1]
    assert summaries[0][1] == "model:gpt-sandbox"
