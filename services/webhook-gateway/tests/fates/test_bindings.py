"""A queue's topic bindings as a regular expression read alike by Python and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import literal, select

from finhub_shared.db import Database
from webhook_gateway.fates.bindings import binding_pattern

CASES = [
    (("stripe.#",), "stripe.invoice.paid", True),
    (("stripe.#",), "stripe", True),
    (("stripe.#",), "stripes.invoice", False),
    (("stripe.#",), "pluggy.item.updated", False),
    (("pluggy.item.*",), "pluggy.item.updated", True),
    (("pluggy.item.*",), "pluggy.item", False),
    (("pluggy.item.*",), "pluggy.item.a.b", False),
    (("#.paid",), "stripe.invoice.paid", True),
    (("#.paid",), "paid", True),
    (("#.paid",), "stripe.invoice.unpaid", False),
    (("stripe.#.paid",), "stripe.paid", True),
    (("stripe.#.paid",), "stripe.invoice.paid", True),
    (("stripe.#.#",), "stripe.a.b", True),
    (("#",), "anything.at.all", True),
    (("*.company.erased",), "banking.company.erased", True),
    (("billing.company.deletion_requested", "banking.company.*"), "banking.company.erased", True),
    (("charge.dispute.funds_withdrawn",), "charge.dispute.funds-withdrawn", False),
    (("a+b.c",), "aab.c", False),
    ((), "stripe.invoice.paid", False),
]


@pytest.mark.parametrize(("bindings", "key", "taken"), CASES)
def test_python_reads_the_pattern_as_rabbitmq_routes(
    bindings: tuple[str, ...], key: str, taken: bool
) -> None:
    assert (re.match(binding_pattern(bindings), key) is not None) is taken


@pytest.mark.asyncio
async def test_postgresql_reads_each_pattern_as_python_does(database: Database) -> None:
    async with database.sessions() as session:
        for bindings, key, taken in CASES:
            matched = await session.scalar(
                select(literal(key).regexp_match(binding_pattern(bindings)))
            )
            assert matched is taken, (bindings, key)
