"""A single read is sent without a transaction around it (one round trip, not three)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from finhub_shared.db import Database


@pytest.mark.asyncio
async def test_each_statement_of_a_single_read_is_a_transaction_of_its_own(
    database: Database,
) -> None:
    ids = "SELECT txid_current()"
    async with database.single_read() as session:
        first = (await session.execute(text(ids))).scalar_one()
        second = (await session.execute(text(ids))).scalar_one()
    assert second != first

    async with database.transaction() as session:
        first = (await session.execute(text(ids))).scalar_one()
        second = (await session.execute(text(ids))).scalar_one()
    assert second == first
