"""File uploads: `POST /v1/files` (multipart, served by Stripe on files.stripe.com) and reads.

Each purpose takes the types and sizes Stripe's file upload guide lists; the type is read from
the file's first bytes, as Stripe does, since clients send every file as octet-stream.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from provider_sandbox.stripe.api import Call, State, StripeCall, require_api_key
from provider_sandbox.stripe.errors import invalid_param, parameter_missing
from provider_sandbox.stripe.forms import Params, optional_str
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.invoices import DAY_SECONDS
from provider_sandbox.stripe.state import RequestInfo, StripeObject

router = APIRouter(dependencies=[Depends(require_api_key)])

MB = 1024 * 1024
# Stripe's guide: the purposes the sandbox takes, their types and largest size, and how long
# the file is kept (dispute evidence: nine months).
PURPOSES: dict[str, tuple[frozenset[str], int, int | None]] = {
    "dispute_evidence": (frozenset({"pdf", "jpg", "png"}), 5 * MB, 270 * DAY_SECONDS),
    "customer_signature": (frozenset({"jpg", "png"}), 4 * MB, 7 * DAY_SECONDS),
    "identity_document": (frozenset({"pdf", "jpg", "png"}), 16 * MB, None),
}
# The largest upload body: the largest file any purpose takes, and the multipart around it.
MAX_BODY_BYTES = 17 * MB
_SIGNATURES = ((b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"))


def file_type(content: bytes) -> str | None:
    """The type Stripe names a file's content by (`pdf`, `png`, `jpg`), or None if unknown."""
    return next((name for magic, name in _SIGNATURES if content.startswith(magic)), None)


@router.post("/v1/files")
async def create_file(request: Request, state: State) -> JSONResponse:
    """Store a multipart upload for a purpose; 400 for a purpose, type or size Stripe refuses."""
    form = await request.form()
    part = form.get("file")
    params: Params = {key: value for key, value in form.items() if isinstance(value, str)}
    info = RequestInfo(id=new_id("req", 14), idempotency_key=request.headers.get("idempotency-key"))
    call = StripeCall(state=state, params=params, request=info)
    purpose = optional_str(params, "purpose")
    if purpose is None:
        raise parameter_missing("purpose")
    if purpose not in PURPOSES:
        raise invalid_param("purpose", f"Invalid purpose: {purpose}")
    if not isinstance(part, UploadFile):
        raise parameter_missing("file")
    content = await part.read()
    types, max_size, keep_seconds = PURPOSES[purpose]
    kind = file_type(content)
    if kind not in types:
        allowed = ", ".join(sorted(types))
        raise invalid_param(
            "file",
            f"Invalid file: must be one of the following types for purpose {purpose}: {allowed}.",
        )
    if len(content) > max_size:
        raise invalid_param(
            "file",
            f"File size exceeds the {max_size // MB}MB limit for purpose {purpose}.",
        )
    now = call.state.now()
    file_id = new_id("file")
    stored = call.state.add(
        {
            "id": file_id,
            "object": "file",
            "created": now,
            "expires_at": now + keep_seconds if keep_seconds else None,
            "filename": part.filename or "blob",
            "links": {"object": "list", "data": [], "has_more": False, "url": "/v1/file_links"},
            "purpose": purpose,
            "size": len(content),
            "title": None,
            "type": kind,
            "url": f"{call.state.public_url}/v1/files/{file_id}/contents",
        }
    )
    state.file_contents[file_id] = content
    return call.respond(stored)


@router.get("/v1/files")
async def list_files(call: Call) -> JSONResponse:
    """Files newest first, optionally of one `purpose`."""
    files: list[StripeObject] = call.state.of_type("file")
    purpose = call.params.get("purpose")
    if purpose:
        files = [each for each in files if each["purpose"] == purpose]
    return call.respond_list(files, "/v1/files")


@router.get("/v1/files/{file_id}")
async def retrieve_file(file_id: str, call: Call) -> JSONResponse:
    """One file's description."""
    return call.respond(call.state.get(file_id, "file"))


@router.get("/v1/files/{file_id}/contents")
async def file_contents(file_id: str, state: State) -> Response:
    """The bytes of a file, as uploaded."""
    stored = state.get(file_id, "file")
    media_type = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}
    return Response(state.file_contents[file_id], media_type=media_type.get(stored["type"]))
