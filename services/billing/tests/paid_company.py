"""A company with one paid month: the starting point of payment, dispute and fraud tests."""

from __future__ import annotations

import httpx

from .conftest import Deliver
from .scenario import T0, Company, checked_out_company
from .stripe_fake import FakeStripe
from .stripe_objects import event
from .stripe_sandbox import SandboxStripe

FIRST_INVOICE = "in_m0"
FIRST_INTENT = f"pi_{FIRST_INVOICE}"
FIRST_CHARGE = "ch_m0"


async def paid_company(
    client: httpx.AsyncClient, fake_stripe: FakeStripe | SandboxStripe, deliver: Deliver
) -> Company:
    company = await checked_out_company(client, fake_stripe)
    await deliver(event("customer.subscription.created", company.subscription(), created=T0))
    paid = company.invoice(FIRST_INVOICE, period=0, status="paid")
    await deliver(event("invoice.paid", paid, created=T0))
    return company
