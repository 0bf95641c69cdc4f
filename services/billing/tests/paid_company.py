"""A company with one paid month: the starting point of payment, dispute and fraud tests."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import httpx

from .conftest import Deliver
from .scenario import T0, Company, paid_checkout
from .stripe_objects import event
from .stripe_sandbox import SandboxStripe


@dataclass
class PaidCompany(Company):
    """A company and the ids of its first payment at Stripe."""

    first_invoice: str = field(kw_only=True)
    first_intent: str = field(kw_only=True)
    first_charge: str = field(kw_only=True)


async def paid_company(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> PaidCompany:
    checked_out = await paid_checkout(client, fake_stripe)
    invoice_id = fake_stripe.checkout_sessions[checked_out.checkout_session_id]["invoice"]
    charge = fake_stripe.charge_of(invoice_id)
    company = PaidCompany(
        **{each.name: getattr(checked_out, each.name) for each in fields(Company)},
        first_invoice=invoice_id,
        first_intent=charge["payment_intent"],
        first_charge=charge["id"],
    )
    await deliver(event("customer.subscription.created", company.subscription(), created=T0))
    paid = company.invoice(
        invoice_id, period=0, status="paid", payment_intent_id=company.first_intent
    )
    await deliver(event("invoice.paid", paid, created=T0))
    return company
