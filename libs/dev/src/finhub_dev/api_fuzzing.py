"""Drive a service's own OpenAPI document with schemathesis, in-process: each operation gets
generated requests, valid and invalid, and every answer must be below 500, a status the document
declares for it, and of the declared JSON shape; an invalid request must be refused with a 4xx."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Bounded so that the three services' documents are driven within a few minutes on two cores;
# derandomised so that CI is not red one run in fifty (raise max_examples locally to hunt).
FUZZ_SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
_EVERY_ANSWER: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
_MODES = st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE])

Operation = APIOperation[Any, Any, Any, Any]


def operations_of(app: FastAPI) -> list[Operation]:
    """Every operation of the app's OpenAPI document."""
    document = schemathesis.openapi.from_dict(app.openapi())
    operations = []
    for result in document.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return operations


def operation_label(operation: Operation) -> str:
    """`POST /api/auth/login`, to name a parametrised test."""
    return f"{operation.method.upper()} {operation.path}"


def requests_for(
    operation: Operation, headers: dict[str, str]
) -> st.SearchStrategy[Case[Operation]]:
    """Valid and invalid requests to `operation`, each sent with `headers` (a caller's token)."""
    return _MODES.flatmap(lambda mode: operation.as_strategy(generation_mode=mode, headers=headers))


async def check_answer(client: httpx.AsyncClient, case: Case[Operation]) -> None:
    """Send `case` through `client` and fail, with schemathesis's report, on any broken check."""
    request = case.as_transport_kwargs(base_url=str(client.base_url))
    response = await client.request(**_as_httpx(request))
    checks = list(_EVERY_ANSWER)
    if case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE:
        checks.append(negative_data_rejection)
    case.validate_response(response, checks=checks)


def _as_httpx(request: dict[str, Any]) -> dict[str, Any]:
    # schemathesis serialises for `requests`; httpx names a raw body `content`.
    converted: dict[str, Any] = {
        key: request[key] for key in ("method", "url", "headers", "params") if key in request
    }
    if request.get("cookies"):
        cookies = "; ".join(f"{name}={value}" for name, value in request["cookies"].items())
        converted["headers"] = {**converted.get("headers", {}), "Cookie": cookies}
    if "json" in request:
        converted["json"] = request["json"]
    if "data" in request:
        data = request["data"]
        converted["content" if isinstance(data, bytes | str) else "data"] = data
    return converted


def is_stream(operation: Operation) -> bool:
    """Whether the operation answers an endless event stream, which a request cannot wait out."""
    answers = operation.definition.raw.get("responses", {}).values()
    return any("text/event-stream" in answer.get("content", {}) for answer in answers)
