"""Insights name categories as users read them: Pluggy's pt-BR names, the tree kept by the
worker's computation itself when nothing asked for it yet."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from banking.categories import repository as categories
from banking.insights import service
from banking.runtime import Runtime
from finhub_shared.db import Database

from ..conftest import connect_bank, run_queued_syncs, token_for
from ..pluggy_sandbox import SandboxPluggy
from .support import subscribe

pytestmark = pytest.mark.asyncio

# 6 December in Brazil: November is the last complete month, October the one before.
DECEMBER_6 = datetime(2026, 12, 6, 15, tzinfo=UTC)
CHANGES = tuple(d for d in service.DETECTORS if d.name == "changes")


async def test_a_category_change_is_told_with_the_pt_br_name_of_pluggys_tree(
    client: httpx.AsyncClient,
    fake_pluggy: SandboxPluggy,
    worker_runtime: Runtime,
    database: Database,
) -> None:
    company_id = uuid.uuid4()
    await subscribe(worker_runtime, company_id, "professional")
    await connect_bank(client, fake_pluggy, company_id)
    account = next(iter(fake_pluggy.accounts))
    rent = ("Rent", "17010000")
    for month, amount in ((10, "4000.00"), (11, "5500.00")):
        when = datetime(2026, month, 1, 12, tzinfo=UTC)
        fake_pluggy.add_transactions(account, 1, amount=amount, category=rent, when=when)
    await run_queued_syncs(worker_runtime)
    async with database.transaction() as session:
        assert not await categories.any_category(session)

    stored = await service.refresh(
        worker_runtime, company_id, DECEMBER_6, lambda: DECEMBER_6, CHANGES
    )

    assert stored is not None
    listed = await client.get("/api/banking/insights/", headers=token_for(company_id))
    [change] = listed.json()["items"]
    assert change["title"] == "Gastos com Aluguel subiram 38%"
    assert change["evidence"]["category"] == "Aluguel"
    assert change["evidence"]["category_id"] == "17010000"
    assert "Rent" not in change["title"] + change["message"]
    assert fake_pluggy.calls_to("GET", "/categories") == 1
