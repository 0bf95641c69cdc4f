"""Plan limits: billing's snapshots kept current, a trial assumed for unknown companies."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.entitlements import repository
from banking.entitlements.errors import BankAccountLimitReached
from banking.entitlements.models import SOURCE_ASSUMED_TRIAL, CompanyEntitlement
from banking.entitlements.schemas import (
    Entitlements,
    EntitlementsSnapshot,
    InsightLevel,
    TrialTerms,
)

log = structlog.get_logger(__name__)

# The stored level as the type says it (the column holds only what a snapshot's validation let in).
INSIGHT_LEVELS: dict[str, InsightLevel] = {"standard": "standard", "advanced": "advanced"}
# The plans one can upgrade to, smallest first, with their bank-account limits (billing's plans;
# None is unlimited). A company at its limit is pointed to the first that fits one more account.
UPGRADE_PLANS: tuple[tuple[str, int | None], ...] = (("professional", 10), ("enterprise", None))


async def apply_snapshot(
    session: AsyncSession, snapshot: EntitlementsSnapshot, produced_at: datetime
) -> bool:
    """Keep billing's snapshot as the company's entitlements, unless a later version is kept;
    True when it replaced other limits or an assumed trial: admission and usage act on it (a
    company's first row finds none of its accounts or transactions limited yet)."""
    saved = await repository.save_snapshot(session, snapshot, produced_at)
    if saved is repository.Saved.OUTDATED:
        log.info(
            "entitlements_snapshot_outdated",
            company_id=str(snapshot.company_id),
            version=snapshot.version,
        )
    return saved is repository.Saved.NEW_LIMITS


async def entitlements_for(
    session: AsyncSession, company_id: UUID, trial: TrialTerms, now: datetime, *, lock: bool = False
) -> Entitlements:
    """The company's entitlements now; a company never heard of starts its trial here. With
    `lock`, decisions against them wait for each other until the transaction ends."""
    row = await repository.get_or_start_trial(session, company_id, trial, now, lock=lock)
    return _effective(row, now)


async def held_entitlements(
    session: AsyncSession, company_id: UUID, now: datetime
) -> Entitlements | None:
    """The company's entitlements, held as `entitlements_for(lock=True)` holds them; None for
    a company never heard of."""
    row = await repository.get_locked(session, company_id)
    return _effective(row, now) if row is not None else None


async def known_entitlements(
    session: AsyncSession, company_id: UUID, now: datetime
) -> Entitlements | None:
    """The company's entitlements, read only; None for a company never heard of."""
    row = await repository.get(session, company_id)
    return _effective(row, now) if row is not None else None


async def read_entitlements(
    session: AsyncSession, company_id: UUID, trial: TrialTerms, now: datetime
) -> Entitlements:
    """The company's entitlements without writing anything: for a company never heard of, the
    trial `entitlements_for` would start."""
    row = await repository.get(session, company_id)
    return _effective(row or repository.trial_row(company_id, trial, now), now)


def ensure_bank_account_allowed(entitlements: Entitlements, current: int) -> None:
    """Raise BankAccountLimitReached when the company cannot connect another bank account."""
    limit = entitlements.bank_accounts_limit
    if limit is None or current < limit:
        return
    raise BankAccountLimitReached(
        f"Your plan allows {limit} bank accounts and you have {current}. "
        "Upgrade your plan to connect another.",
        current=current,
        limit=limit,
        upgrade_required=True,
        suggested_plan=suggested_plan(current + 1),
    )


def suggested_plan(bank_accounts_needed: int) -> str:
    """The smallest plan that allows this many bank accounts."""
    for plan, limit in UPGRADE_PLANS:
        if limit is None or bank_accounts_needed <= limit:
            return plan
    return UPGRADE_PLANS[-1][0]


def _effective(row: CompanyEntitlement, now: datetime) -> Entitlements:
    """The limits that apply now: an assumed trial that has run out allows nothing more."""
    assumed_trial = row.source == SOURCE_ASSUMED_TRIAL
    trial_over = assumed_trial and row.valid_until is not None and row.valid_until <= now
    return Entitlements(
        company_id=row.company_id,
        plan=row.plan,
        status="expired" if trial_over else row.status,
        bank_accounts_limit=0 if trial_over else row.bank_accounts_limit,
        transactions_per_month_limit=0 if trial_over else row.transactions_per_month_limit,
        valid_until=row.valid_until,
        assumed_trial=assumed_trial,
        insights="none" if trial_over else INSIGHT_LEVELS.get(row.insights, "none"),
        insight_plans=dict(row.insight_plans),
    )
