"""The payloads one service publishes are the ones the other reads (billing ⇄ banking)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from banking.entitlements.schemas import EntitlementsSnapshot
from banking.events import notification_payload
from banking.usage.service import usage_payload
from billing.entitlements.schemas import EntitlementsChanged
from billing.notifications.schemas import NotificationRequested
from billing.plans.schemas import Limits
from billing.usage.schemas import UsageChanged

COMPANY = uuid.uuid4()


@pytest.mark.parametrize(
    ("plan", "limits"),
    [
        ("professional", Limits(bank_accounts=10, transactions_per_month=5000, ai_insights=True)),
        ("enterprise", Limits(bank_accounts=None, transactions_per_month=None, ai_insights=True)),
        (None, Limits(bank_accounts=0, transactions_per_month=0, ai_insights=False)),
    ],
)
def test_banking_reads_billing_entitlements_with_their_limits(
    plan: str | None, limits: Limits
) -> None:
    published = EntitlementsChanged(
        company_id=COMPANY,
        plan=plan,
        status="active",
        limits=limits,
        valid_until=datetime(2026, 12, 29, tzinfo=UTC),
        version=3,
    ).model_dump(mode="json")

    read = EntitlementsSnapshot.model_validate(published)

    assert (read.company_id, read.plan, read.status) == (COMPANY, plan, "active")
    assert read.limits.bank_accounts == limits.bank_accounts
    assert read.limits.transactions_per_month == limits.transactions_per_month


def test_billing_reads_banking_usage() -> None:
    published = usage_payload(COMPANY, date(2026, 11, 1), 3, 1200, 1000)

    read = UsageChanged.model_validate(published)

    assert (read.company_id, read.month) == (COMPANY, "2026-11")
    assert (read.bank_accounts, read.transactions_this_month) == (3, 1200)


def test_billing_reads_banking_notification_requests() -> None:
    published = notification_payload(COMPANY, "consent_revoked", "Itaú revoked access.", item="x")

    read = NotificationRequested.model_validate(published)

    assert (read.company_id, read.kind, read.message) == (
        COMPANY,
        "consent_revoked",
        "Itaú revoked access.",
    )
