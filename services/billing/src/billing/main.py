"""Billing's HTTP API: app factory."""

from __future__ import annotations

from fastapi import FastAPI

from billing.config import get_settings
from finhub_shared.app import create_service_app


def create_app() -> FastAPI:
    """The billing API (uvicorn factory)."""
    settings = get_settings()
    return create_service_app(
        service="billing",
        title="Finance Hub billing",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
    )
