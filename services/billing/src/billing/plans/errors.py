"""Errors about plans."""

from __future__ import annotations

from finhub_shared.errors import BadRequest


class InvalidPlan(BadRequest):
    code = "invalid_plan"
