"""Dispute evidence as Stripe takes it: files uploaded for `dispute_evidence`, evidence staged
(`submit=false`) then submitted, and refused once submitted or past `evidence_details.due_by`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
MB = 1024 * 1024


async def _open_dispute(http: httpx.AsyncClient, subscribe: Any) -> Json:
    paid = await subscribe()
    charges = (await http.get("/v1/charges", params={"customer": paid["customer"]})).json()
    opened = await http.post("/_sandbox/stripe/disputes", json={"charge": charges["data"][0]["id"]})
    assert opened.status_code == 201, opened.text
    dispute: Json = opened.json()
    return dispute


async def _upload(
    http: httpx.AsyncClient,
    content: bytes,
    name: str = "receipt.pdf",
    purpose: str = "dispute_evidence",
    key: str | None = None,
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await http.post(
        "/v1/files",
        data={"purpose": purpose},
        files={"file": (name, content, "application/octet-stream")},
        headers=headers,
    )


async def test_an_uploaded_file_is_described_and_kept(stripe_http: httpx.AsyncClient) -> None:
    uploaded = await _upload(stripe_http, PDF)

    assert uploaded.status_code == 200, uploaded.text
    stored = uploaded.json()
    assert stored["id"].startswith("file_")
    assert (stored["object"], stored["purpose"], stored["type"]) == (
        "file",
        "dispute_evidence",
        "pdf",
    )
    assert (stored["filename"], stored["size"]) == ("receipt.pdf", len(PDF))
    assert stored["expires_at"] == stored["created"] + 270 * 86_400
    assert (await stripe_http.get(f"/v1/files/{stored['id']}")).json() == stored
    contents = await stripe_http.get(f"/v1/files/{stored['id']}/contents")
    assert (contents.content, contents.headers["content-type"]) == (PDF, "application/pdf")
    listed = (await stripe_http.get("/v1/files", params={"purpose": "dispute_evidence"})).json()
    assert [each["id"] for each in listed["data"]] == [stored["id"]]


@pytest.mark.parametrize(
    ("content", "purpose", "param", "message"),
    [
        (b"hello, plain text", "dispute_evidence", "file", "must be one of the following types"),
        (b"GIF89a" + bytes(16), "dispute_evidence", "file", "jpg, pdf, png"),
        (PDF + bytes(5 * MB), "dispute_evidence", "file", "exceeds the 5MB limit"),
        (PDF, "", "purpose", "Missing required param: purpose"),
        (PDF, "business_cards", "purpose", "Invalid purpose"),
    ],
    ids=["text", "gif", "over 5 MB", "no purpose", "unknown purpose"],
)
async def test_a_file_stripe_would_refuse_is_a_400(
    stripe_http: httpx.AsyncClient, content: bytes, purpose: str, param: str, message: str
) -> None:
    response = await _upload(stripe_http, content, purpose=purpose)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert message in error["message"]
    assert (await stripe_http.get("/v1/files")).json()["data"] == []


async def test_an_upload_without_a_file_is_a_400(stripe_http: httpx.AsyncClient) -> None:
    response = await stripe_http.post(
        "/v1/files", data={"purpose": "dispute_evidence"}, files={"other": ("x", b"x")}
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"


async def test_an_upload_sent_again_with_its_key_is_the_same_file(
    stripe_http: httpx.AsyncClient,
) -> None:
    # Each multipart body has its own random boundary: the parts are what Stripe compares.
    first = await _upload(stripe_http, PNG, "chat.png", key="upload-1")
    again = await _upload(stripe_http, PNG, "chat.png", key="upload-1")
    other = await _upload(stripe_http, PDF, "chat.png", key="upload-1")

    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert other.json()["error"]["type"] == "idempotency_error"
    assert len((await stripe_http.get("/v1/files")).json()["data"]) == 1


async def test_evidence_is_staged_then_submitted_once(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, subscribe: Any
) -> None:
    dispute = await _open_dispute(stripe_http, subscribe)
    receipt = (await _upload(stripe_http, PDF)).json()
    path = f"/v1/disputes/{dispute['id']}"

    staged = await stripe_http.post(
        path,
        data={
            "evidence[product_description]": "Finance Hub, professional plan",
            "evidence[receipt]": receipt["id"],
            "submit": "false",
        },
    )
    submitted = await stripe_http.post(
        path, data={"evidence[customer_name]": "Ana Souza", "submit": "true"}
    )
    again = await stripe_http.post(path, data={"evidence[uncategorized_text]": "More."})

    assert staged.status_code == 200, staged.text
    assert staged.json()["status"] == "needs_response"
    assert staged.json()["evidence_details"]["has_evidence"] is True
    assert staged.json()["evidence_details"]["submission_count"] == 0
    assert submitted.status_code == 200, submitted.text
    final = submitted.json()
    assert final["status"] == "under_review"
    assert final["evidence_details"]["submission_count"] == 1
    assert final["evidence"]["receipt"] == receipt["id"]
    assert final["evidence"]["product_description"] == "Finance Hub, professional plan"
    assert final["evidence"]["customer_name"] == "Ana Souza"
    assert again.status_code == 400
    assert again.json()["error"]["type"] == "invalid_request_error"
    assert "already submitted" in again.json()["error"]["message"]
    assert (await stripe_http.get(path)).json() == final


async def test_submit_alone_submits_the_staged_evidence(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    dispute = await _open_dispute(stripe_http, subscribe)
    path = f"/v1/disputes/{dispute['id']}"

    await stripe_http.post(path, data={"evidence[customer_name]": "Ana", "submit": "false"})
    submitted = await stripe_http.post(path, data={"submit": "true"})

    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "under_review"
    assert submitted.json()["evidence_details"]["submission_count"] == 1
    assert submitted.json()["evidence"]["customer_name"] == "Ana"


async def test_evidence_after_the_due_date_is_refused(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    dispute = await _open_dispute(stripe_http, subscribe)
    days_left = (dispute["evidence_details"]["due_by"] - dispute["created"]) // 86_400

    await stripe_http.post("/_sandbox/stripe/advance", json={"days": days_left, "minutes": 1})
    late = await stripe_http.post(
        f"/v1/disputes/{dispute['id']}", data={"evidence[uncategorized_text]": "Late."}
    )

    assert late.status_code == 400
    assert late.json()["error"]["param"] == "evidence"
    assert "deadline" in late.json()["error"]["message"]
    after = (await stripe_http.get(f"/v1/disputes/{dispute['id']}")).json()
    assert after["evidence"]["uncategorized_text"] is None
    assert after["evidence_details"]["submission_count"] == 0


@pytest.mark.parametrize(
    ("evidence", "status", "param"),
    [
        ({"evidence[favourite_colour]": "blue"}, 400, "evidence[favourite_colour]"),
        ({"evidence[receipt]": "file_missing"}, 404, "evidence[receipt]"),
        ({"evidence[customer_name]": "x" * 5001}, 400, "evidence[customer_name]"),
        ({"evidence[product_description]": "x" * 20_001}, 400, "evidence[product_description]"),
        (
            {
                f"evidence[{name}]": "x" * 20_000
                for name in (
                    "access_activity_log",
                    "cancellation_policy_disclosure",
                    "cancellation_rebuttal",
                    "duplicate_charge_explanation",
                    "product_description",
                    "refund_policy_disclosure",
                    "refund_refusal_explanation",
                    "uncategorized_text",
                )
            },
            400,
            "evidence",
        ),
    ],
    ids=["unknown field", "unknown file", "long name", "long description", "over 150,000"],
)
async def test_evidence_stripe_would_refuse_changes_nothing(
    stripe_http: httpx.AsyncClient,
    subscribe: Any,
    evidence: dict[str, str],
    status: int,
    param: str,
) -> None:
    dispute = await _open_dispute(stripe_http, subscribe)

    response = await stripe_http.post(f"/v1/disputes/{dispute['id']}", data=evidence)

    assert response.status_code == status
    assert response.json()["error"]["param"] == param
    after = (await stripe_http.get(f"/v1/disputes/{dispute['id']}")).json()
    assert after["evidence_details"] == dispute["evidence_details"]
    assert after["evidence"] == dispute["evidence"]


async def test_evidence_naming_a_file_stripe_does_not_hold_is_a_404(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    dispute = await _open_dispute(stripe_http, subscribe)

    response = await stripe_http.post(
        f"/v1/disputes/{dispute['id']}", data={"evidence[receipt]": "file_missing"}
    )

    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("resource_missing", "No such file: 'file_missing'")
