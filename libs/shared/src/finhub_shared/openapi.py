"""The OpenAPI document every service publishes: every error an operation can answer is declared
with its JSON shape, and operation ids are plain names fit for generated clients."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from finhub_shared.errors import ErrorBody

_RETRY_AFTER: dict[str, Any] = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}
# Answers any operation may give, whatever its route declares.
_DATABASE_DOWN: dict[str, Any] = {
    "description": "code: database_unavailable | dependency_unavailable",
    "headers": _RETRY_AFTER,
}
_NEEDS_TOKEN: dict[str, Any] = {
    "description": "code: token_missing | token_expired | token_invalid | session_revoked"
}
_ROLE_REFUSED: dict[str, Any] = {"description": "code: forbidden_role"}
_UNKNOWN_ID: dict[str, Any] = {"description": "code: not_found"}
_BODY_TOO_LARGE: dict[str, Any] = {"description": "code: payload_too_large"}
_MALFORMED_BODY: dict[str, Any] = {"description": "code: malformed_body"}
_VALIDATION = "code: validation_error"


class ValidationProblem(BaseModel):
    """One reason the request was refused, without the input that caused it."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    """A 422: a request that does not fit the operation (code `validation_error`, with `detail`)
    or that a rule of the domain refuses (its own code, such as `weak_password`)."""

    detail: list[ValidationProblem] | None = None


def operation_id(route: APIRoute) -> str:
    """The route's function name: `log_in`, `list_payments` (unique within a service)."""
    return route.name


class DocumentedApp(FastAPI):
    """A FastAPI app whose OpenAPI document declares every error with its JSON shape."""

    def openapi(self) -> dict[str, Any]:
        if not self.openapi_schema:
            self.openapi_schema = with_typed_errors(super().openapi())
        return self.openapi_schema


def with_typed_errors(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the shared answers added to each operation and every error typed."""
    _check_unique_operation_ids(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorBody"] = ErrorBody.model_json_schema()
    schemas["ValidationProblem"] = ValidationProblem.model_json_schema()
    schemas["ValidationErrorBody"] = ValidationErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    schemas["ValidationErrorBody"].pop("$defs", None)
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            _type_errors(path, operation)
    return document


def _type_errors(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    shared: dict[str, dict[str, Any]] = {"503": _DATABASE_DOWN}
    if operation.get("security"):
        shared |= {"401": _NEEDS_TOKEN, "403": _ROLE_REFUSED}
    if "{" in path:
        shared["404"] = _UNKNOWN_ID
    if "requestBody" in operation:
        shared |= {"400": _MALFORMED_BODY, "413": _BODY_TOO_LARGE}
    for status, answer in shared.items():
        _declare(responses, status, answer)
    for status, answer in responses.items():
        if status == "422":
            answer["description"] = _merged_codes(answer.get("description", ""), _VALIDATION)
            answer["content"] = _json_of("ValidationErrorBody")
        elif status.isdigit() and int(status) >= 400:
            answer["content"] = _json_of("ErrorBody")


def _declare(responses: dict[str, Any], status: str, answer: dict[str, Any]) -> None:
    if status not in responses:
        responses[status] = dict(answer)
        return
    declared = responses[status]
    declared["description"] = _merged_codes(declared.get("description", ""), answer["description"])
    if "headers" in answer:
        declared.setdefault("headers", answer["headers"])


def _merged_codes(description: str, more: str) -> str:
    """ "code: a | b" and "code: b | c" make "code: a | b | c"."""
    codes = [*_codes_in(description), *_codes_in(more)]
    return "code: " + " | ".join(dict.fromkeys(codes))


def _codes_in(description: str) -> list[str]:
    # FastAPI's own descriptions ("Validation Error") name no code.
    if not description.startswith("code: "):
        return []
    return [code.strip() for code in description.removeprefix("code: ").split("|")]


def _json_of(schema_name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}


def _check_unique_operation_ids(document: dict[str, Any]) -> None:
    ids = Counter(
        operation.get("operationId")
        for operations in document.get("paths", {}).values()
        for operation in operations.values()
    )
    repeated = sorted(str(name) for name, count in ids.items() if count > 1)
    if repeated:
        raise RuntimeError(f"Operation ids must be unique; rename the routes: {repeated}")
