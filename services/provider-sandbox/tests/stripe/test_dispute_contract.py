"""The dispute evidence calls billing makes (a file upload, a dispute update) are answered in the
shapes Stripe documents, checked as test_contract checks the others."""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from .conftest import Subscribe
from .test_contract import TIMESTAMP_OR_NULL, _answers, _enum, _object

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]

# The file upload guide: an upload's purpose, size and type (pdf, jpg, png for dispute evidence).
FILE = _object(
    "file",
    ["purpose", "size", "type", "filename", "created"],
    purpose={"type": "string"},
    size={"type": "integer"},
    type=_enum("pdf", "jpg", "png"),
)
# §2.5: a dispute's statuses, and the evidence_details billing reads.
DISPUTE = _object(
    "dispute",
    ["status", "amount", "currency", "reason", "evidence", "evidence_details", "created"],
    status=_enum(
        "warning_needs_response",
        "warning_under_review",
        "warning_closed",
        "needs_response",
        "under_review",
        "won",
        "lost",
    ),
    evidence={"type": "object"},
    evidence_details={
        "type": "object",
        "required": ["due_by", "has_evidence", "submission_count"],
        "properties": {
            "due_by": TIMESTAMP_OR_NULL,
            "has_evidence": {"type": "boolean"},
            "submission_count": {"type": "integer"},
        },
    },
)
CALLS = {
    "/v1/files": {"post": _answers(FILE)},
    "/v1/disputes/{id}": {"post": _answers(DISPUTE)},
}


@cache
def _schema() -> OpenApiSchema:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Dispute evidence billing gives", "version": "2026-10-28.endive"},
        "paths": CALLS,
    }
    schema: OpenApiSchema = schemathesis.openapi.from_dict(document)
    return schema


async def _checked(
    http: httpx.AsyncClient, operation: str, status: int = 200, /, **kwargs: Any
) -> Json:
    path = kwargs.pop("path", operation)
    response = await http.post(path, **kwargs)
    assert response.status_code == status, f"POST {path}: {response.text}"
    response.request.read()  # a multipart upload's body is a stream the check reads again
    _schema()[operation]["POST"].validate_response(response)
    body: Json = response.json()
    return body


async def test_a_file_then_a_draft_then_a_submission(
    stripe_http: httpx.AsyncClient, subscribe: Subscribe
) -> None:
    paid = await subscribe()
    charges = (await stripe_http.get("/v1/charges", params={"customer": paid["customer"]})).json()
    opened = await stripe_http.post(
        "/_sandbox/stripe/disputes", json={"charge": charges["data"][0]["id"]}
    )
    dispute = f"/v1/disputes/{opened.json()['id']}"
    upload = await _checked(
        stripe_http,
        "/v1/files",
        data={"purpose": "dispute_evidence"},
        files={"file": ("receipt.pdf", b"%PDF-1.4 receipt", "application/octet-stream")},
    )
    draft = {"evidence[receipt]": upload["id"], "submit": "false"}
    await _checked(stripe_http, "/v1/disputes/{id}", path=dispute, data=draft)
    submission = {"evidence[customer_name]": "Ana", "submit": "true"}
    await _checked(stripe_http, "/v1/disputes/{id}", path=dispute, data=submission)
    await _checked(stripe_http, "/v1/disputes/{id}", 400, path=dispute, data={"submit": "true"})
    await _checked(
        stripe_http,
        "/v1/files",
        400,
        data={"purpose": "dispute_evidence"},
        files={"file": ("notes.txt", b"plain text", "text/plain")},
    )
