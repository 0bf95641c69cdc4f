"""The payloads one service publishes are the ones the other reads (billing ⇄ banking), and the
provider events the gateway routes are the ones billing and banking handle."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from banking import consumer as banking_consumer
from banking import publishing as banking_publishing
from banking.entitlements.schemas import EntitlementsSnapshot
from banking.erasure.schemas import DeletionRequested
from banking.exports.schemas import ExportRequested
from banking.exports.service import ENCODING
from banking.items.next_action import Action
from banking.pix import models as pix_states
from banking.pix.status import status_message
from banking.pluggy.payloads import CredentialOption, ItemParameter
from banking.publishing import notification_payload
from banking.usage.service import usage_payload
from billing import consumer as billing_consumer
from billing.entitlements.schemas import EntitlementsChanged
from billing.erasure.models import CompanyDeletion
from billing.erasure.schemas import CompanyErased
from billing.exports.schemas import CompanyExported
from billing.notifications.models import Notification
from billing.notifications.schemas import NotificationRequested
from billing.notifications.service import live_data
from billing.plans.schemas import Limits
from billing.publishing import (
    NOTIFICATION_CREATED,
    SESSION_REVOKED,
    deletion_requested_data,
    export_requested_data,
    session_revoked_data,
)
from billing.usage.schemas import UsageChanged
from finhub_shared.catalogue import ROUTES, Route, route_for
from finhub_shared.worker import Subscription
from live.events.schemas import CONTRACTS as LIVE_CONTRACTS
from webhook_gateway import consumer as gateway_consumer
from webhook_gateway import publishing as gateway_publishing
from webhook_gateway.erasure import schemas as gateway_erasure

COMPANY = uuid.uuid4()
PROVIDERS = ("stripe", "pluggy")
WORKERS: dict[str, tuple[Subscription[Any], ...]] = {
    "billing": billing_consumer.SUBSCRIPTIONS,
    "banking": banking_consumer.SUBSCRIPTIONS,
    "webhook-gateway": gateway_consumer.SUBSCRIPTIONS,
}


def _binds(binding_key: str, routing_key: str) -> bool:
    """Whether a topic binding (`*` one word, `#` any number of words) takes this routing key."""

    def match(pattern: list[str], words: list[str]) -> bool:
        if not pattern:
            return not words
        head, rest = pattern[0], pattern[1:]
        if head == "#":
            return any(match(rest, words[skip:]) for skip in range(len(words) + 1))
        return bool(words) and head in ("*", words[0]) and match(rest, words[1:])

    return match(binding_key.split("."), routing_key.split("."))


def _queues_taking(service: str, key: str) -> list[Subscription[Any]]:
    return [
        subscription
        for subscription in WORKERS[service]
        if any(_binds(binding, key) for binding in subscription.queue.binding_keys)
    ]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.source}:{route.event_type}")
def test_every_routed_provider_event_has_a_handler_in_its_consumer(route: Route) -> None:
    [subscription] = _queues_taking(route.consumer, route.routing_key)

    assert route.event_type in subscription.registry.event_types


@pytest.mark.parametrize("service", sorted(WORKERS))
def test_every_provider_event_handled_is_routed_to_its_handler(service: str) -> None:
    not_routed = [
        f"{source}:{event_type}"
        for subscription in WORKERS[service]
        for source in PROVIDERS
        if any(_binds(binding, f"{source}.x") for binding in subscription.queue.binding_keys)
        for event_type in subscription.registry.event_types
        if (route := route_for(source, event_type)) is None or route.consumer != service
    ]

    assert not_routed == []


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


@pytest.mark.parametrize(
    ("service", "routing_key"),
    [("banking", "billing.company.export_requested"), ("billing", "banking.company.exported")],
)
def test_a_data_export_reaches_its_handler_on_the_privacy_queues(
    service: str, routing_key: str
) -> None:
    [subscription] = _queues_taking(service, routing_key)

    assert routing_key.split(".", 1)[1] in subscription.registry.event_types


def test_banking_reads_billings_export_requests() -> None:
    export_id = uuid.uuid4()

    read = ExportRequested.model_validate(export_requested_data(export_id, COMPANY))

    assert (read.export_id, read.company_id) == (export_id, COMPANY)


@pytest.mark.parametrize(
    ("service", "routing_key"),
    [
        ("banking", "billing.company.deletion_requested"),
        ("webhook-gateway", "billing.company.deletion_requested"),
        ("webhook-gateway", "banking.company.erased"),
        ("billing", "banking.company.erased"),
        ("billing", "gateway.company.erased"),
    ],
)
def test_a_deletion_reaches_one_handler_in_each_service_concerned(
    service: str, routing_key: str
) -> None:
    event_type = routing_key.split(".", 1)[1]
    handling = [
        subscription
        for subscription in _queues_taking(service, routing_key)
        if event_type in subscription.registry.event_types
    ]

    assert len(handling) == 1


def test_banking_and_the_gateway_read_billings_deletion_request() -> None:
    deletion = CompanyDeletion(
        id=uuid.uuid4(),
        company_id=COMPANY,
        stripe_customer_id="cus_1",
        stripe_subscription_id="sub_1",
        requested_at=datetime(2026, 12, 6, 22, 0, tzinfo=UTC),
    )
    published = deletion_requested_data(deletion)

    banking = DeletionRequested.model_validate(published)
    gateway = gateway_erasure.DeletionRequested.model_validate(published)

    assert (banking.deletion_id, banking.company_id) == (deletion.id, COMPANY)
    assert (gateway.deletion_id, gateway.stripe_customer_id) == (deletion.id, "cus_1")


def test_billing_and_the_gateway_read_bankings_erasure() -> None:
    deletion_id = uuid.uuid4()
    published = banking_publishing.company_erased_data(deletion_id, COMPANY, ["item-1"])

    billing = CompanyErased.model_validate(published)
    gateway = gateway_erasure.BankingErased.model_validate(published)

    assert (billing.deletion_id, billing.company_id) == (deletion_id, COMPANY)
    assert gateway.pluggy_item_ids == ["item-1"]


def test_billing_reads_the_gateways_erasure() -> None:
    deletion_id = uuid.uuid4()

    read = CompanyErased.model_validate(
        gateway_publishing.company_erased_data(deletion_id, COMPANY, 3)
    )

    assert (read.deletion_id, read.company_id) == (deletion_id, COMPANY)


def test_billing_reads_bankings_part_of_an_export() -> None:
    export_id, generated_at = uuid.uuid4(), datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    files = {"transactions.csv": "H4sIAAAAAAAA/w==", "accounts.json": "H4sIAAAAAAAA/w=="}
    published = banking_publishing.company_exported_data(
        export_id, COMPANY, generated_at, ENCODING, files
    )

    read = CompanyExported.model_validate(published)

    assert (read.export_id, read.company_id, read.generated_at) == (
        export_id,
        COMPANY,
        generated_at,
    )
    assert read.files == files


def test_the_live_stream_shows_a_notices_link() -> None:
    notice = Notification(
        id=8,
        company_id=COMPANY,
        kind="data_export_ready",
        title="Your data export is ready",
        message="...",
        data={"link": "/api/companies/me/exports/x/archive"},
    )

    shown = LIVE_CONTRACTS[f"billing.{NOTIFICATION_CREATED}"].model.model_validate(
        live_data(notice)
    )

    assert shown.model_dump()["link"] == "/api/companies/me/exports/x/archive"


def test_the_live_stream_reads_billings_notices_and_ended_log_ins() -> None:
    notice = Notification(
        id=7, company_id=COMPANY, kind="payment_failed", title="Payment failed", message="..."
    )
    shown = LIVE_CONTRACTS[f"billing.{NOTIFICATION_CREATED}"]
    revoked = LIVE_CONTRACTS[f"billing.{SESSION_REVOKED}"]

    notification = shown.model.model_validate(live_data(notice))
    one_log_in = revoked.model.model_validate(session_revoked_data(uuid.uuid4(), uuid.uuid4()))
    every_log_in = revoked.model.model_validate(session_revoked_data(uuid.uuid4(), None))

    assert notification.model_dump()["severity"] == "error"
    assert one_log_in.model_dump()["session_id"] is not None
    assert every_log_in.model_dump()["session_id"] is None


def _banking_shown(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The data banking builds for `banking.<event_type>`, as the live stream's model reads it."""
    return LIVE_CONTRACTS[f"banking.{event_type}"].model.model_validate(data).model_dump()


@pytest.mark.parametrize("account_id", [uuid.uuid4(), None])
def test_the_live_stream_reads_bankings_new_insights_however_long_their_text(
    account_id: uuid.UUID | None,
) -> None:
    insight_id = uuid.uuid4()
    data = banking_publishing.insight_created_data(
        insight_id, "duplicate_charge", "action", "T" * 500, "M" * 5000, account_id
    )

    shown = _banking_shown(banking_publishing.INSIGHT_CREATED, data)

    assert (shown["insight_id"], shown["account_id"]) == (insight_id, account_id)
    assert shown["link"] == f"/api/banking/insights/{insight_id}"


def test_banking_reads_billings_insight_level_and_the_plans_unlocking_it() -> None:
    published = EntitlementsChanged(
        company_id=COMPANY,
        plan="professional",
        status="active",
        limits=Limits(
            bank_accounts=10, transactions_per_month=5000, ai_insights=True, insights="standard"
        ),
        valid_until=None,
        insight_plans={"standard": "professional", "advanced": "enterprise"},
        version=4,
    ).model_dump(mode="json")

    read = EntitlementsSnapshot.model_validate(published)

    assert read.limits.insights == "standard"
    assert read.insight_plans == {"standard": "professional", "advanced": "enterprise"}


@pytest.mark.parametrize("action", list(Action))
def test_the_live_stream_reads_bankings_item_status_with_every_next_action(action: Action) -> None:
    item_id = uuid.uuid4()
    data = banking_publishing.item_status_data(
        item_id, "Nubank", "WAITING_USER_INPUT", "LOGIN_MFA_IN_PROGRESS", action.value, "Act."
    )

    shown = _banking_shown(banking_publishing.ITEM_STATUS_CHANGED, data)

    assert (shown["item_id"], shown["next_action"]) == (item_id, action.value)


def test_the_live_stream_reads_bankings_mfa_prompt_without_its_answer() -> None:
    prompt = ItemParameter(
        name="token",
        label="Token",
        type="select",
        assistive_text="The code in your app",
        placeholder="123456",
        data="iVBORw0KGgo=",
        validation="^[0-9]{6}$",
        mfa=True,
        options=[CredentialOption(value=str(n), label=f"Phone {n}") for n in range(60)],
    )
    expires_at = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    data = banking_publishing.mfa_required_data(uuid.uuid4(), "Itaú", prompt, expires_at)

    shown = _banking_shown(banking_publishing.ITEM_MFA_REQUIRED, data)

    assert shown["prompt"]["name"] == "token"
    assert len(shown["prompt"]["options"]) == banking_publishing.MFA_OPTIONS_SHOWN
    assert shown["expires_at"] == expires_at


def test_the_live_stream_reads_bankings_expired_mfa_prompt() -> None:
    item_id = uuid.uuid4()
    path = f"/api/banking/items/{item_id}/reconnect"
    data = banking_publishing.mfa_expired_data(item_id, "Itaú", path, "The code expired.")

    shown = _banking_shown(banking_publishing.ITEM_MFA_EXPIRED, data)

    assert shown["retry_path"] == path


def test_the_live_stream_reads_bankings_sync_progress() -> None:
    account_id = uuid.uuid4()
    data = banking_publishing.sync_progress_data(
        uuid.uuid4(), uuid.uuid4(), account_id, "Conta corrente", 500, None
    )

    shown = _banking_shown(banking_publishing.SYNC_PROGRESS, data)

    assert (shown["account_id"], shown["transactions_stored"]) == (account_id, 500)
    assert shown["transactions_total"] is None


def test_the_live_stream_reads_bankings_finished_sync() -> None:
    data = banking_publishing.sync_finished_data(uuid.uuid4(), uuid.uuid4(), 1, 1200)

    shown = _banking_shown(banking_publishing.SYNC_FINISHED, data)

    assert (shown["accounts"], shown["transactions_stored"]) == (1, 1200)


@pytest.mark.parametrize("retried_at", [None, datetime(2026, 12, 6, 20, 5, tzinfo=UTC)])
def test_the_live_stream_reads_bankings_sync_failures(retried_at: datetime | None) -> None:
    data = banking_publishing.sync_failed_data(
        uuid.uuid4(), uuid.uuid4(), "pluggy_unavailable", "Pluggy is not answering.", retried_at
    )

    shown = _banking_shown(banking_publishing.SYNC_FAILED, data)

    assert (shown["reason"], shown["retried_at"]) == ("pluggy_unavailable", retried_at)


@pytest.mark.parametrize(
    ("kind", "status", "scheduled_for"),
    [
        ("immediate", pix_states.WAITING_AUTHORIZATION, None),
        ("scheduled", pix_states.SCHEDULED, date(2026, 12, 10)),
        ("automatic", "COMPLETED", date(2026, 12, 10)),
    ],
)
def test_the_live_stream_reads_bankings_pix_payment_statuses(
    kind: str, status: str, scheduled_for: date | None
) -> None:
    data = banking_publishing.pix_payment_status_data(
        uuid.uuid4(),
        kind,
        status,
        "pending",
        15000,
        "Aluguel",
        scheduled_for,
        status_message(status),
    )

    shown = _banking_shown(banking_publishing.PIX_PAYMENT_STATUS_CHANGED, data)

    assert (shown["kind"], shown["status"], shown["previous_status"]) == (kind, status, "pending")
    assert shown["scheduled_for"] == (datetime(2026, 12, 10) if scheduled_for is not None else None)
