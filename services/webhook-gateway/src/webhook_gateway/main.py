"""Webhook gateway's HTTP API: app factory."""

from __future__ import annotations

from fastapi import FastAPI

from finhub_shared.app import create_service_app
from webhook_gateway.config import get_settings


def create_app() -> FastAPI:
    """The webhook gateway API (uvicorn factory)."""
    settings = get_settings()
    return create_service_app(
        service="webhook-gateway",
        title="Finance Hub webhook gateway",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        ready_needs_broker=False,
    )
