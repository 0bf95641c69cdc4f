"""Evidence for a dispute: an owner or admin uploads files to Stripe and saves or submits texts
before the deadline; Stripe (the sandbox) holds them, and a submitted or late dispute takes no
more."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from billing.audit.models import AuditEntry
from finhub_dev.testing import outcome
from finhub_shared.db import Database

from ..conftest import Deliver, FrozenClock, row_counts
from ..helpers import bearer, listed, register
from ..paid_company import PaidCompany, paid_company
from ..stripe_objects import event
from ..stripe_sandbox import SandboxStripe
from ..test_roles import acting_as

pytestmark = pytest.mark.asyncio

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
JPEG = b"\xff\xd8\xff\xe0" + bytes(32)
MB = 1024 * 1024
TEXTS = {
    "product_description": "Finance Hub, professional plan, monthly",
    "customer_name": "Ana Souza",
    "customer_email_address": "ana@example.com",
    "service_date": "2026-11-01",
    "access_activity_log": "Logged in 42 times during the disputed month.",
}


@dataclass
class Disputed:
    """A paid company whose first charge the cardholder disputed, at Stripe and in billing."""

    company: PaidCompany
    stripe_dispute_id: str
    dispute_id: str

    @property
    def headers(self) -> dict[str, str]:
        return self.company.headers

    @property
    def evidence(self) -> str:
        return f"/api/payments/disputes/{self.dispute_id}/evidence"


async def disputed(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> Disputed:
    company = await paid_company(client, fake_stripe, deliver)
    opened = await fake_stripe.control("disputes", {"charge": company.first_charge})
    await deliver(event("charge.dispute.created", opened, created=opened["created"]))
    [record] = await listed(client, company.access_token, "/api/payments/disputes/")
    return Disputed(company, opened["id"], record["id"])


async def upload(
    client: httpx.AsyncClient,
    case: Disputed,
    content: bytes,
    name: str = "receipt.pdf",
    field: str = "receipt",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{case.evidence}/files",
        data={"field": field},
        files={"file": (name, content, "application/pdf")},
        headers=headers or case.headers,
    )


async def submissions(database: Database, company_id: str) -> list[AuditEntry]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(AuditEntry)
            .where(AuditEntry.action.like("dispute.evidence%"))
            .where(AuditEntry.company_id == UUID(company_id))
            .order_by(AuditEntry.id)
        )
        return list(rows.scalars())


async def test_an_owner_submits_texts_and_a_file_that_stripe_then_holds(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    clock: FrozenClock,
) -> None:
    case = await disputed(client, fake_stripe, deliver)

    uploaded = await upload(client, case, PDF, name="C:\\invoices\\receipt-nov.pdf")
    draft = await client.post(case.evidence, json=TEXTS, headers=case.headers)
    submitted = await client.post(
        case.evidence,
        json={"uncategorized_text": "The customer renewed twice before.", "submit": True},
        headers=case.headers,
    )

    assert uploaded.status_code == 201, uploaded.text
    [file] = uploaded.json()["evidence_files"]
    assert (file["field"], file["filename"], file["content_type"], file["size_bytes"]) == (
        "receipt",
        "receipt-nov.pdf",
        "application/pdf",
        len(PDF),
    )
    stripe_file = fake_stripe.files[file["stripe_file_id"]]
    assert (stripe_file["purpose"], stripe_file["size"]) == ("dispute_evidence", len(PDF))
    assert draft.status_code == 200, draft.text
    assert draft.json()["evidence_submitted"] is False
    assert draft.json()["has_evidence"] is True
    assert draft.json()["status"] == "needs_response"
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["evidence_submitted"] is True
    assert body["evidence_submission_count"] == 1
    assert body["status"] == "under_review"
    assert body["evidence_submitted_at"] is not None
    assert body["evidence_fields"] == sorted([*TEXTS, "receipt", "uncategorized_text"])
    at_stripe = fake_stripe.disputes[case.stripe_dispute_id]
    assert at_stripe["status"] == "under_review"
    assert at_stripe["evidence_details"]["submission_count"] == 1
    assert at_stripe["evidence"]["receipt"] == file["stripe_file_id"]
    assert {name: at_stripe["evidence"][name] for name in TEXTS} == TEXTS
    # Every Stripe write carried an idempotency key of ours, a new one each.
    writes = [call.request for call in fake_stripe.router.calls if call.request.method == "POST"]
    keys = [request.headers.get("idempotency-key", "") for request in writes[-3:]]
    assert all(key.startswith("dispute-evidence-") for key in keys)
    assert len(set(keys)) == 3
    audited = await submissions(database, case.company.company_id)
    assert [entry.action for entry in audited] == [
        "dispute.evidence_file_uploaded",
        "dispute.evidence_saved",
        "dispute.evidence_submitted",
    ]
    assert audited[-1].actor == f"user:{case.company.user_id}"
    shown = await client.get(f"/api/payments/disputes/{case.dispute_id}", headers=case.headers)
    assert shown.json() == body
    [listed_one] = await listed(client, case.company.access_token, "/api/payments/disputes/")
    assert listed_one["evidence_submitted"] is True


async def test_a_saved_draft_is_submitted_as_it_is(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, clock: FrozenClock
) -> None:
    case = await disputed(client, fake_stripe, deliver)

    await client.post(case.evidence, json=TEXTS, headers=case.headers)
    submitted = await client.post(case.evidence, json={"submit": True}, headers=case.headers)

    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["evidence_submitted"] is True
    assert submitted.json()["evidence_fields"] == sorted(TEXTS)
    at_stripe = fake_stripe.disputes[case.stripe_dispute_id]
    assert at_stripe["evidence_details"]["submission_count"] == 1
    assert at_stripe["evidence"]["customer_name"] == TEXTS["customer_name"]


async def test_a_second_file_for_a_field_replaces_the_first(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, clock: FrozenClock
) -> None:
    case = await disputed(client, fake_stripe, deliver)

    first = await upload(client, case, PNG, name="chat.png", field="customer_communication")
    second = await upload(client, case, JPEG, name="chat.jpg", field="customer_communication")
    again = await upload(client, case, JPEG, name="chat.jpg", field="customer_communication")

    assert first.status_code == second.status_code == again.status_code == 201
    [file] = again.json()["evidence_files"]
    assert (file["filename"], file["content_type"]) == ("chat.jpg", "image/jpeg")
    # The same upload sent again is the same file at Stripe (its idempotency key).
    assert file["stripe_file_id"] == second.json()["evidence_files"][0]["stripe_file_id"]
    assert len(fake_stripe.files) == 2


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_members_and_viewers_may_not_give_evidence(
    app: FastAPI,
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    clock: FrozenClock,
    role: str,
) -> None:
    case = await disputed(client, fake_stripe, deliver)
    registered = {"access_token": case.company.access_token}
    headers = acting_as(app, registered, role)

    texts = await client.post(case.evidence, json={**TEXTS, "submit": True}, headers=headers)
    files = await upload(client, case, PDF, headers=headers)

    assert outcome(texts) == outcome(files) == (403, "forbidden_role")
    assert len(fake_stripe.files) == 0
    assert fake_stripe.disputes[case.stripe_dispute_id]["evidence_details"]["has_evidence"] is False


async def test_an_admin_may_give_evidence(
    app: FastAPI,
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    clock: FrozenClock,
) -> None:
    case = await disputed(client, fake_stripe, deliver)
    admin = acting_as(app, {"access_token": case.company.access_token}, "admin")

    response = await client.post(case.evidence, json=TEXTS, headers=admin)

    assert response.status_code == 200, response.text


async def test_after_the_deadline_no_evidence_is_taken(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    clock: FrozenClock,
) -> None:
    case = await disputed(client, fake_stripe, deliver)
    clock.advance(days=7, minutes=1)
    before = await row_counts(database)

    texts = await client.post(case.evidence, json={**TEXTS, "submit": True}, headers=case.headers)
    files = await upload(client, case, PDF)

    assert outcome(texts) == outcome(files) == (409, "evidence_deadline_passed")
    assert await row_counts(database) == before
    assert fake_stripe.calls("POST", f"/v1/disputes/{case.stripe_dispute_id}") == []
    assert len(fake_stripe.files) == 0


async def test_after_submission_no_more_evidence_is_taken(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, clock: FrozenClock
) -> None:
    case = await disputed(client, fake_stripe, deliver)
    first = await client.post(case.evidence, json={**TEXTS, "submit": True}, headers=case.headers)

    texts = await client.post(case.evidence, json={"customer_name": "X"}, headers=case.headers)
    files = await upload(client, case, PDF)

    assert first.status_code == 200, first.text
    assert outcome(texts) == outcome(files) == (409, "evidence_already_submitted")
    assert fake_stripe.disputes[case.stripe_dispute_id]["evidence"]["customer_name"] == "Ana Souza"


async def test_a_dispute_no_longer_open_takes_no_evidence(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, clock: FrozenClock
) -> None:
    case = await disputed(client, fake_stripe, deliver)
    closed = await fake_stripe.control(
        f"disputes/{case.stripe_dispute_id}/close", {"status": "lost"}
    )
    await deliver(event("charge.dispute.closed", closed, created=closed["created"] + 60))

    response = await client.post(case.evidence, json=TEXTS, headers=case.headers)

    assert outcome(response) == (409, "dispute_not_open")


async def test_a_submission_with_no_evidence_at_all_is_refused(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, clock: FrozenClock
) -> None:
    case = await disputed(client, fake_stripe, deliver)

    empty = await client.post(case.evidence, json={"submit": True}, headers=case.headers)
    no_body = await client.post(case.evidence, headers=case.headers)
    no_file = await client.post(
        f"{case.evidence}/files", data={"field": "receipt"}, headers=case.headers
    )

    assert outcome(empty) == outcome(no_body) == (422, "evidence_empty")
    assert outcome(no_file) == (422, "evidence_file_missing")
    assert fake_stripe.disputes[case.stripe_dispute_id]["evidence_details"]["submission_count"] == 0


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"customer_name": "x" * 5001}, ["body", "customer_name"]),
        ({"product_description": "x" * 20_001}, ["body", "product_description"]),
        ({"customer_name": "   "}, ["body", "customer_name"]),
        ({"customer_name": "nul\x00"}, ["body", "customer_name"]),
        ({"favourite_colour": "blue"}, ["body", "favourite_colour"]),
        (
            dict.fromkeys(
                (
                    "product_description",
                    "access_activity_log",
                    "cancellation_policy_disclosure",
                    "cancellation_rebuttal",
                    "refund_policy_disclosure",
                    "refund_refusal_explanation",
                    "duplicate_charge_explanation",
                    "uncategorized_text",
                ),
                "x" * 20000,
            ),
            ["body"],
        ),
    ],
    ids=["long name", "long description", "blank", "NUL", "unknown field", "over 150,000"],
)
async def test_evidence_stripe_would_refuse_is_a_422(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    clock: FrozenClock,
    body: dict[str, Any],
    location: list[str],
) -> None:
    case = await disputed(client, fake_stripe, deliver)

    response = await client.post(case.evidence, json=body, headers=case.headers)

    assert outcome(response) == (422, "validation_error")
    assert response.json()["detail"][0]["loc"] == location
    assert fake_stripe.calls("POST", f"/v1/disputes/{case.stripe_dispute_id}") == []


@pytest.mark.parametrize(
    ("content", "field", "expected"),
    [
        (b"just some text", "receipt", (415, "unsupported_file_type")),
        (b"GIF89a" + bytes(32), "receipt", (415, "unsupported_file_type")),
        (b"", "receipt", (415, "unsupported_file_type")),
        (PDF + bytes(5 * MB), "receipt", (413, "evidence_file_too_large")),
        (PDF, "customer_name", (422, "validation_error")),
    ],
    ids=["text", "gif", "empty", "over 5 MB", "a text field"],
)
async def test_a_file_stripe_would_refuse_is_refused_before_stripe(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    clock: FrozenClock,
    content: bytes,
    field: str,
    expected: tuple[int, str],
) -> None:
    case = await disputed(client, fake_stripe, deliver)
    before = await row_counts(database)

    response = await upload(client, case, content, field=field)

    assert outcome(response) == expected
    assert await row_counts(database) == before
    assert fake_stripe.calls("POST", "/v1/files") == []


async def test_a_file_of_exactly_5_mb_is_taken(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, clock: FrozenClock
) -> None:
    case = await disputed(client, fake_stripe, deliver)
    content = PDF + bytes(5 * MB - len(PDF))

    response = await upload(client, case, content)

    assert response.status_code == 201, response.text
    assert response.json()["evidence_files"][0]["size_bytes"] == 5 * MB


async def test_another_companys_dispute_is_not_found(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, clock: FrozenClock
) -> None:
    case = await disputed(client, fake_stripe, deliver)
    intruder = bearer((await register(client))["access_token"])

    texts = await client.post(case.evidence, json={**TEXTS, "submit": True}, headers=intruder)
    files = await upload(client, case, PDF, headers=intruder)
    shown = await client.get(f"/api/payments/disputes/{case.dispute_id}", headers=intruder)

    assert outcome(texts) == outcome(files) == outcome(shown) == (404, "not_found")
    assert fake_stripe.disputes[case.stripe_dispute_id]["evidence_details"]["has_evidence"] is False
    assert len(fake_stripe.files) == 0


FAILURES: dict[str, tuple[httpx.Response | httpx.HTTPError, tuple[int, str]]] = {
    "500": (
        httpx.Response(500, json={"error": {"type": "api_error", "message": "down"}}),
        (502, "provider_error"),
    ),
    "timeout": (httpx.ReadTimeout("fake timeout"), (503, "provider_unavailable")),
    "unreachable": (httpx.ConnectError("fake outage"), (503, "provider_unavailable")),
}


@pytest.mark.usefixtures("no_stripe_retries")
@pytest.mark.parametrize("failure", FAILURES)
async def test_stripe_down_is_a_clear_error_and_nothing_counts_as_submitted(
    lenient_client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    clock: FrozenClock,
    failure: str,
) -> None:
    client = lenient_client
    case = await disputed(client, fake_stripe, deliver)
    broken, expected = FAILURES[failure]
    before = await row_counts(database)
    shown_before = (
        await client.get(f"/api/payments/disputes/{case.dispute_id}", headers=case.headers)
    ).json()

    fake_stripe.break_down("POST", "/v1/files", broken)
    fake_stripe.break_down("POST", f"/v1/disputes/{case.stripe_dispute_id}", broken)
    files = await upload(client, case, PDF)
    texts = await client.post(case.evidence, json={**TEXTS, "submit": True}, headers=case.headers)
    after = await row_counts(database)
    shown = (
        await client.get(f"/api/payments/disputes/{case.dispute_id}", headers=case.headers)
    ).json()
    fake_stripe.recover()
    retried = await client.post(case.evidence, json={**TEXTS, "submit": True}, headers=case.headers)

    assert outcome(files) == outcome(texts) == expected
    assert after == before
    assert shown == shown_before
    assert shown["evidence_submitted"] is False
    assert retried.status_code == 200, retried.text
    assert retried.json()["evidence_submitted"] is True
