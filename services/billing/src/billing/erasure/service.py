"""A company's deletion: asked for by its owner, confirmed by banking and the gateway, and the
erasure of what billing holds once Stripe has let go of the company.

What the law makes us keep stays, with no personal data: the invoices, payments, refunds and
disputes (fiscal records, five years), the company row as an anonymous tombstone they point to,
the deletion's own row and its audit entries (services/billing/README.md, "Deleting a company").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.accounts.models import Company
from billing.audit import service as audit
from billing.customers import repository as customers
from billing.erasure import repository
from billing.erasure.errors import DeletionNotConfirmed
from billing.erasure.models import CompanyDeletion
from billing.erasure.schemas import CompanyErased, DeletionRequest
from billing.publishing import (
    COMPANY_DELETION_REQUESTED,
    SESSION_REVOKED,
    deletion_requested_data,
    publish,
    session_revoked_data,
)
from billing.subscriptions import repository as subscriptions
from finhub_shared import queries
from finhub_shared.auth import Principal
from finhub_shared.events import EventEnvelope

log = structlog.get_logger(__name__)

# Company.status after ACTIVE_COMPANY (billing.accounts.models)
DELETING = "deleting"
ERASED = "erased"
# CompanyDeletion.status
REQUESTED = "requested"
COMPLETED = "completed"

REQUESTED_ACTION = "company_deletion_requested"
COMPLETED_ACTION = "company_deletion_completed"
# The services that confirm on the bus, by the source of their event.
CONFIRMING = ("banking", "gateway")
# The audit entries kept after the erasure: the deletion's own, which name no one.
KEPT_AUDIT_ACTIONS = frozenset(
    {
        REQUESTED_ACTION,
        COMPLETED_ACTION,
        *(f"company_erased_in_{service}" for service in ("billing", *CONFIRMING)),
    }
)


async def request_deletion(
    session: AsyncSession, principal: Principal, form: DeletionRequest, now: datetime
) -> CompanyDeletion:
    """Start erasing the caller's company, confirmed by its name: no one logs in any more, every
    session ends, and the other services are told to erase theirs. Asked again, the same one."""
    company = await queries.get_for_update(session, Company, principal.company_id)
    assert company is not None  # the caller's session is live, so the company is there
    existing = await repository.for_company(session, company.id)
    if existing is not None:
        return existing
    if form.company_name.strip().casefold() != company.name.strip().casefold():
        raise DeletionNotConfirmed(
            "Type the company's name exactly as it is to confirm that it must be deleted."
        )
    subscription = await subscriptions.get_for_company(session, company.id)
    customer = await customers.for_company(session, company.id)
    deletion = CompanyDeletion(
        id=uuid4(),
        company_id=company.id,
        requested_by=principal.user_id,
        status=REQUESTED,
        stripe_customer_id=customer.stripe_customer_id if customer else None,
        stripe_subscription_id=subscription.stripe_subscription_id if subscription else None,
        requested_at=now,
        attempts=0,
    )
    session.add(deletion)
    company.status = DELETING
    await session.flush()
    for user in await accounts.users_of(session, company.id):
        await accounts.revoke_user_families(session, user.id, now)
        await publish(session, SESSION_REVOKED, session_revoked_data(user.id, None), company.id)
    await audit.record(
        session,
        company.id,
        actor=audit.user_actor(principal.user_id),
        action=REQUESTED_ACTION,
        after={"deletion_id": str(deletion.id)},
    )
    await publish(
        session, COMPANY_DELETION_REQUESTED, deletion_requested_data(deletion), company.id
    )
    log.info("company_deletion_requested", deletion_id=str(deletion.id))
    return deletion


async def erase_billing(session: AsyncSession, deletion_id: UUID, now: datetime) -> None:
    """Erase the company's rows in billing (Stripe has let go of it): only the fiscal records,
    the tombstone and the deletion's audit stay."""
    deletion = await repository.get_for_update(session, deletion_id)
    if deletion is None or deletion.billing_erased_at is not None:
        return
    # The subscription's lock before the company's, as every Stripe event handler takes them.
    await subscriptions.lock_for_company(session, deletion.company_id)
    company = await queries.get_for_update(session, Company, deletion.company_id)
    assert company is not None  # kept as a tombstone, never deleted
    erased = await repository.erase_company_rows(session, company.id, KEPT_AUDIT_ACTIONS)
    company.name, company.fraud_flagged_at, company.status = "", None, ERASED
    deletion.billing_erased_at = now
    await audit.record(
        session,
        company.id,
        actor=audit.job_actor("erasure"),
        action="company_erased_in_billing",
        after={"deletion_id": str(deletion.id), "erased": erased},
    )
    log.info("company_erased_in_billing", deletion_id=str(deletion.id), erased=erased)
    await complete_if_done(session, deletion, now)


async def record_confirmation(session: AsyncSession, envelope: EventEnvelope) -> None:
    """Banking or the gateway erased what it held of the company: recorded once."""
    confirmed = CompanyErased.model_validate(envelope.data)
    deletion = await repository.get_for_update(session, confirmed.deletion_id)
    if deletion is None or deletion.company_id != confirmed.company_id:
        log.warning("company_erasure_unknown", deletion_id=str(confirmed.deletion_id))
        return
    source = envelope.source
    column = f"{source}_erased_at"
    if source not in CONFIRMING or getattr(deletion, column) is not None:
        return
    setattr(deletion, column, envelope.occurred_at)
    await audit.record(
        session,
        deletion.company_id,
        actor=audit.event_actor(source, envelope.id),
        action=f"company_erased_in_{source}",
        after={"deletion_id": str(deletion.id), **_counts(envelope.data)},
    )
    await complete_if_done(session, deletion, envelope.received_at)


def _counts(data: dict[str, Any]) -> dict[str, int]:
    """What a confirmation says it erased, as numbers only (its ids name nothing we keep)."""
    return {
        key: len(value) if isinstance(value, list) else value
        for key, value in data.items()
        if isinstance(value, int | list) and not isinstance(value, bool)
    }


async def complete_if_done(session: AsyncSession, deletion: CompanyDeletion, now: datetime) -> None:
    """Mark the deletion completed once billing, banking and the gateway have all erased."""
    done = (deletion.billing_erased_at, deletion.banking_erased_at, deletion.gateway_erased_at)
    if deletion.completed_at is not None or any(moment is None for moment in done):
        return
    deletion.status, deletion.completed_at = COMPLETED, now
    await session.flush()
    await audit.record(
        session,
        deletion.company_id,
        actor=audit.job_actor("erasure"),
        action=COMPLETED_ACTION,
        after={"deletion_id": str(deletion.id)},
    )
    log.info("company_deletion_completed", deletion_id=str(deletion.id))


async def deletion(session: AsyncSession, deletion_id: UUID) -> CompanyDeletion:
    """A deletion as it stands."""
    found = await repository.get(session, deletion_id)
    if found is None:
        raise LookupError(f"no deletion {deletion_id}")
    return found
