"""The dispute reminder: tells a company, once, that a dispute's evidence is due within three
days while none was submitted."""

from __future__ import annotations

from datetime import datetime, timedelta

from billing.disputes import repository
from billing.notifications.service import notify
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

REMINDER_BEFORE = timedelta(days=3)
BATCH = 200


async def remind_evidence_due(database: Database, now: datetime | None = None) -> int:
    """Remind every company whose dispute's evidence is due soon and not submitted; how many.

    The reminder is marked in the transaction of its notification, on rows locked so that two
    workers never remind of the same dispute.
    """
    now = now or utcnow()
    async with database.transaction() as session:
        due = await repository.due_for_reminder(session, now, REMINDER_BEFORE, BATCH)
        for dispute in due:
            dispute.reminded_at = now
            assert dispute.evidence_due_by is not None  # the query asks for a deadline
            amount = f"{dispute.amount_cents / 100:.2f} {dispute.currency}"
            await notify(
                session,
                dispute.company_id,
                "dispute_evidence_due",
                "Dispute evidence due soon",
                f"Evidence for the disputed payment of {amount} is due by "
                f"{dispute.evidence_due_by:%Y-%m-%d %H:%M} UTC; an owner or admin can submit it "
                "before then, or the bank decides without it.",
                {
                    "dispute_id": str(dispute.id),
                    "evidence_due_by": dispute.evidence_due_by.isoformat(),
                },
            )
    return len(due)


async def remind_evidence_due_now(runtime: Runtime) -> None:
    """One run of the worker's dispute reminder."""
    await remind_evidence_due(runtime.database)


def dispute_reminders_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic dispute evidence reminder."""
    return PeriodicJob("dispute-reminders", every_seconds, remind_evidence_due_now)
