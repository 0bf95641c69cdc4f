"""What Stripe's customer.* and payment_method.* events do: the customer and its cards.

Only a card's brand, last four digits and expiry are kept, never its number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from billing.customers import repository
from billing.customers.models import PaymentMethod
from billing.dunning import service as dunning
from billing.notifications.service import notify
from billing.stripe import payloads as stripe
from billing.subscriptions import service as subscriptions


async def customer_changed(
    session: AsyncSession, event: stripe.StripeEvent, customer: stripe.Customer
) -> None:
    """customer.updated / customer.deleted: email, name, default card (a new one retries an
    unpaid renewal at once), or gone."""
    record = await repository.by_stripe_id(session, customer.id)
    company_id = record.company_id if record else None
    locked = await subscriptions.lock_for_event(session, event, company_id=company_id)
    if locked is None or record is None:
        return
    await session.refresh(record)
    if record.synced_at is not None and event.created_at < record.synced_at:
        return
    record.synced_at = event.created_at
    if event.type == "customer.deleted" or customer.deleted:
        record.deleted_at = event.created_at
        return
    record.email, record.name = customer.email, customer.name
    settings = customer.invoice_settings
    default = settings.default_payment_method if settings else None
    previous, record.default_payment_method_id = record.default_payment_method_id, default
    await session.flush()
    if default is not None and default != previous:
        await dunning.retry_with_card(session, record.company_id, default, event.created_at)


async def payment_method_changed(
    session: AsyncSession, event: stripe.StripeEvent, method: stripe.PaymentMethod
) -> None:
    """payment_method.attached / detached / updated / automatically_updated."""
    record = await repository.payment_method(session, method.id)
    company_id = record.company_id if record else None
    if company_id is None and method.customer is not None:
        customer = await repository.by_stripe_id(session, method.customer)
        company_id = customer.company_id if customer else None
    locked = await subscriptions.lock_for_event(
        session, event, company_id=company_id, ours=method.card is not None
    )
    if locked is None or company_id is None or method.card is None:
        return
    if record is None:
        record = PaymentMethod(
            company_id=company_id, stripe_payment_method_id=method.id, synced_at=event.created_at
        )
        session.add(record)
    else:
        await session.refresh(record)
        if event.created_at < record.synced_at:
            return
    record.brand, record.last4 = method.card.brand, method.card.last4
    record.exp_month, record.exp_year = method.card.exp_month, method.card.exp_year
    record.attached = event.type != "payment_method.detached"
    record.synced_at = event.created_at
    await session.flush()
    renewed = event.type == "payment_method.automatically_updated" and record.attached
    if event.type == "payment_method.attached" or renewed:
        # A card added, or renewed by Stripe's card updater (a new expiry or number under the
        # same id), while a renewal is unpaid is charged at once, not on the next retry day.
        await dunning.retry_with_card(
            session, company_id, method.id, event.created_at, renewed=renewed
        )
    if record.attached:
        await warn_if_expiring(session, record, event.created_at)


def _expiry_month(record: PaymentMethod) -> str | None:
    if record.exp_year is None or record.exp_month is None:
        return None
    return f"{record.exp_year:04d}-{record.exp_month:02d}"


async def warn_if_expiring(session: AsyncSession, record: PaymentMethod, now: datetime) -> None:
    """Tell the company, once, that its card expires at the end of this month or the next."""
    expiry = _expiry_month(record)
    next_month = (now.year + now.month // 12, now.month % 12 + 1)
    soon = {f"{now.year:04d}-{now.month:02d}", f"{next_month[0]:04d}-{next_month[1]:02d}"}
    if expiry not in soon or record.expiry_notice_sent_for == expiry:
        return
    record.expiry_notice_sent_for = expiry
    await notify(
        session,
        record.company_id,
        "card_expiring",
        "Your card expires soon",
        f"Your {record.brand} card ending in {record.last4} expires in {expiry}; "
        "update it to keep your subscription.",
        {"brand": record.brand, "last4": record.last4, "expires": expiry},
    )
