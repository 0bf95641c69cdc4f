"""Routes of usage."""

from __future__ import annotations

from fastapi import APIRouter

from banking.accounts import repository as accounts
from banking.dependencies import BankingRuntime, Clock
from banking.entitlements import service as entitlements
from banking.money import month_of
from banking.transactions import repository as transaction_rows
from banking.usage import repository
from banking.usage.schemas import UsageRead
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession

router = APIRouter(prefix="/api/banking", tags=["usage"])


@router.get("/usage")
async def usage(
    session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal, clock: Clock
) -> UsageRead:
    """Your plan's limits and this month's use of them."""
    now = clock()
    company_id = principal.company_id
    rights = await entitlements.entitlements_for(session, company_id, runtime.trial_terms, now)
    month = month_of(now)
    counted = await repository.get(session, company_id, month)
    transactions = counted.transactions if counted else 0
    limit = rights.transactions_per_month_limit
    return UsageRead(
        plan=rights.plan,
        status=rights.status,
        valid_until=rights.valid_until,
        month=month.strftime("%Y-%m"),
        transactions=transactions,
        transactions_limit=limit,
        over_limit=limit is not None and transactions > limit,
        hidden_transactions=(
            await transaction_rows.hidden_by_month(session, company_id, [month])
        ).get(month, 0),
        bank_accounts=await accounts.count_active(session, company_id),
        bank_accounts_limit=rights.bank_accounts_limit,
        blocked_bank_accounts=await accounts.count_blocked(session, company_id),
    )
