"""Accounts as the API shows them: blocked ones say why and which upgrade would sync them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts import repository
from banking.accounts.models import BLOCKED, BankAccount
from banking.accounts.schemas import AccountRead, UpgradeHint
from banking.entitlements import service as entitlements
from banking.entitlements.errors import BankAccountLimitReached


async def ensure_active(session: AsyncSession, account: BankAccount) -> None:
    """Raise BankAccountLimitReached, with the upgrade that would help, for a blocked account."""
    if account.status != BLOCKED:
        return
    hint = await upgrade_hint(session, account.company_id)
    raise BankAccountLimitReached(
        hint.message, upgrade_required=True, suggested_plan=hint.suggested_plan
    )


async def upgrade_hint(session: AsyncSession, company_id: uuid.UUID) -> UpgradeHint:
    """The plan that covers every account of the company, blocked ones included."""
    wanted = await repository.count_active(session, company_id) + await repository.count_blocked(
        session, company_id
    )
    plan = entitlements.suggested_plan(wanted)
    return UpgradeHint(
        suggested_plan=plan,
        message=(
            "This account is past your plan's bank-account limit, so it is neither synced nor "
            f"counted. Upgrade to {plan} to sync it."
        ),
    )


async def read_accounts(
    session: AsyncSession, accounts: Sequence[BankAccount]
) -> list[AccountRead]:
    """The API view of these accounts; blocked ones say why and what would unblock them."""
    hints: dict[uuid.UUID, UpgradeHint] = {}
    for company_id in {a.company_id for a in accounts if a.status == BLOCKED}:
        hints[company_id] = await upgrade_hint(session, company_id)
    return [
        AccountRead.model_validate(account).model_copy(
            update={"upgrade": hints.get(account.company_id) if account.status == BLOCKED else None}
        )
        for account in accounts
    ]


async def read_by_item(
    session: AsyncSession, accounts_by_item: Mapping[uuid.UUID, Sequence[BankAccount]]
) -> dict[uuid.UUID, list[AccountRead]]:
    """`read_accounts` for each item's accounts."""
    every = [account for accounts in accounts_by_item.values() for account in accounts]
    read = dict(zip((a.id for a in every), await read_accounts(session, every), strict=True))
    return {item_id: [read[a.id] for a in group] for item_id, group in accounts_by_item.items()}
