"""OpenAPI documentation of the errors a route may answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finhub_shared.errors import FinhubError


class ErrorBody(BaseModel):
    """Every error answer: a stable machine-readable `code` and a human `message`."""

    code: str
    message: str


def errors(*error_types: type[FinhubError]) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route: each status with the codes it may carry."""
    by_status: dict[int, list[str]] = {}
    for error_type in error_types:
        by_status.setdefault(error_type.status_code, []).append(error_type.code)
    return {
        status: {"model": ErrorBody, "description": "code: " + " | ".join(sorted(set(codes)))}
        for status, codes in sorted(by_status.items())
    }
