"""A deletion's steps at Stripe, then in billing: the company's open checkouts expired and its
subscription cancelled at once, the customer deleted once the subscription has ended, then
billing's rows erased.

Stripe is called with no transaction open and each step's outcome written before the next, with
idempotency keys derived from the deletion: the endpoint takes the steps at once, and the worker's
job (`erasure.jobs`) retries whatever a Stripe failure left for later.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import stripe as stripe_sdk
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit import service as audit
from billing.checkout import repository as checkouts
from billing.erasure import repository, service
from billing.stripe import payloads
from billing.stripe.client import stripe_call, stripe_errors
from billing.subscriptions import repository as subscriptions
from billing.subscriptions import service as subscription_states
from billing.subscriptions.models import Subscription
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError, ProviderUnavailable

log = structlog.get_logger(__name__)

ACTOR = audit.job_actor("erasure")


def _live_at_stripe(subscription: Subscription | None) -> str | None:
    """The company's Stripe subscription while Stripe may still charge it."""
    if subscription is None or subscription.stripe_subscription_id is None:
        return None
    if subscription.stripe_status in subscription_states.STRIPE_ENDED:
        return None
    return subscription.stripe_subscription_id


async def advance(
    database: Database, stripe_client: stripe_sdk.StripeClient, deletion_id: UUID, now: datetime
) -> None:
    """Take every step of the deletion that can be taken now; a Stripe failure raises, and
    leaves the steps after it for the next run."""
    async with database.transaction() as session:
        deletion = await repository.get(session, deletion_id)
        if deletion is None or deletion.billing_erased_at is not None:
            return
        live = _live_at_stripe(await subscriptions.get_for_company(session, deletion.company_id))
        open_checkouts = await _open_checkouts(session, deletion.company_id)
    for stripe_session_id in open_checkouts:
        await _expire_checkout(stripe_client, stripe_session_id)
    if deletion.subscription_ended_at is None:
        if live is not None:
            answer = await _cancel(stripe_client, deletion_id, live)
            async with database.transaction() as session:
                await _record_cancellation(session, deletion.company_id, answer)
            if answer.status not in subscription_states.STRIPE_ENDED:
                # Stripe's customer.subscription.deleted tells billing when it has ended.
                return
        async with database.transaction() as session:
            locked = await repository.get_for_update(session, deletion_id)
            assert locked is not None
            locked.subscription_ended_at = locked.subscription_ended_at or now
    if deletion.stripe_customer_deleted_at is None:
        if deletion.stripe_customer_id is not None:
            await _delete_customer(stripe_client, deletion_id, deletion.stripe_customer_id)
        async with database.transaction() as session:
            locked = await repository.get_for_update(session, deletion_id)
            assert locked is not None
            locked.stripe_customer_deleted_at = locked.stripe_customer_deleted_at or now
    async with database.transaction() as session:
        await service.erase_billing(session, deletion_id, now)


async def _open_checkouts(session: AsyncSession, company_id: UUID) -> list[str]:
    """The company's checkout sessions Stripe may still let someone pay."""
    sessions = list(await checkouts.expiring_for_company(session, company_id))
    if (current := await checkouts.open_for_company(session, company_id)) is not None:
        sessions.append(current)
    return [each.stripe_session_id for each in sessions if each.stripe_session_id]


async def _expire_checkout(stripe_client: stripe_sdk.StripeClient, stripe_session_id: str) -> None:
    """Expire a checkout, so that no subscription starts after the deletion; one no longer open
    (paid: its subscription goes with the customer) is left as it is."""
    try:
        await stripe_call(
            "expire a checkout of a company being deleted",
            payloads.CheckoutSession,
            stripe_client.v1.checkout.sessions.expire_async(
                stripe_session_id,
                options={"idempotency_key": f"deletion-expire-{stripe_session_id}"},
            ),
        )
    except ProviderUnavailable:
        raise
    except ProviderError:
        log.info("checkout_not_expired", stripe_session_id=stripe_session_id)


async def _cancel(
    stripe_client: stripe_sdk.StripeClient, deletion_id: UUID, stripe_subscription_id: str
) -> payloads.Subscription:
    """Cancel the subscription at once; one Stripe already ended answers as it is now."""

    async def cancel() -> object:
        try:
            return await stripe_client.v1.subscriptions.cancel_async(
                stripe_subscription_id,
                options={"idempotency_key": f"deletion-cancel-{deletion_id}"},
            )
        except stripe_sdk.InvalidRequestError as error:
            if error.http_status not in (400, 404):
                raise
            return await stripe_client.v1.subscriptions.retrieve_async(stripe_subscription_id)

    return await stripe_call(
        "cancel the subscription of a company being deleted", payloads.Subscription, cancel()
    )


async def _record_cancellation(
    session: AsyncSession, company_id: UUID, answer: payloads.Subscription
) -> None:
    subscription = await subscription_states.lock(session, company_id)
    await subscription_states.apply_stripe_subscription(
        session, subscription, answer, version=None, actor=ACTOR, action="cancelled_for_deletion"
    )


async def _delete_customer(
    stripe_client: stripe_sdk.StripeClient, deletion_id: UUID, stripe_customer_id: str
) -> None:
    """Delete the customer at Stripe (its cards and details go with it); gone already is fine."""
    with stripe_errors("delete the customer of a company being deleted"):
        try:
            await stripe_client.v1.customers.delete_async(
                stripe_customer_id,
                options={"idempotency_key": f"deletion-customer-{deletion_id}"},
            )
        except stripe_sdk.InvalidRequestError as error:
            if error.http_status != 404:
                raise
            log.info("stripe_customer_already_gone", deletion_id=str(deletion_id))
