"""Disputes (chargebacks): recorded from Stripe's charge.dispute.* events, the user notified."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit import service as audit
from billing.disputes import repository
from billing.disputes.models import Dispute
from billing.notifications.service import notify
from billing.payments.events import locked_payment
from billing.stripe import payloads as stripe

FUNDS_EVENTS = {
    "charge.dispute.funds_withdrawn": "withdrawn",
    "charge.dispute.funds_reinstated": "reinstated",
}


async def dispute_changed(
    session: AsyncSession, event: stripe.StripeEvent, dispute: stripe.Dispute
) -> None:
    """created / updated / closed / funds_withdrawn / funds_reinstated."""
    found = await locked_payment(
        session, event, intent_id=dispute.payment_intent, charge_id=dispute.charge
    )
    if found is None:
        return
    _, payment = found
    version = event.created_at
    record = await repository.by_stripe_id(session, dispute.id)
    before = {"status": record.status, "funds_status": record.funds_status} if record else None
    if record is None:
        record = Dispute(
            company_id=payment.company_id,
            payment_id=payment.id,
            stripe_dispute_id=dispute.id,
            stripe_charge_id=dispute.charge,
            stripe_created_at=stripe.from_timestamp(dispute.created),
            synced_at=version,
        )
        session.add(record)
    elif version < record.synced_at:
        return
    record.amount_cents = dispute.amount
    record.currency = dispute.currency.upper()
    record.reason = dispute.reason
    record.status = dispute.status
    details = dispute.evidence_details
    record.evidence_due_by = stripe.from_timestamp(details.due_by if details else None)
    if details is not None:
        # Evidence may also be given on Stripe's dashboard; what was given stays given.
        record.has_evidence = record.has_evidence or details.has_evidence
        record.evidence_submission_count = max(
            record.evidence_submission_count or 0, details.submission_count
        )
        if record.evidence_submission_count and record.evidence_submitted_at is None:
            record.evidence_submitted_at = version
    record.funds_status = FUNDS_EVENTS.get(event.type, record.funds_status)
    record.synced_at = version
    await session.flush()
    after = {"status": record.status, "funds_status": record.funds_status}
    if after == before:
        return
    await audit.record(
        session,
        record.company_id,
        actor=audit.event_actor("stripe", event.id),
        action=event.type,
        before=before,
        after={"dispute_id": str(record.id), **after},
    )
    await _notify(session, event.type, record)


async def _notify(session: AsyncSession, event_type: str, record: Dispute) -> None:
    amount = f"{record.amount_cents / 100:.2f} {record.currency}"
    data = {"dispute_id": str(record.id), "status": record.status}
    if event_type == "charge.dispute.created":
        await notify(
            session,
            record.company_id,
            "dispute_opened",
            "A payment was disputed",
            f"A payment of {amount} was disputed with the bank ({record.reason}).",
            data,
        )
    elif event_type == "charge.dispute.closed":
        await notify(
            session,
            record.company_id,
            "dispute_closed",
            "Dispute closed",
            f"The dispute of {amount} was closed: {record.status}.",
            data,
        )
