"""`finhub-gateway`: serve the API, run the worker, migrate the database."""

from __future__ import annotations

from pathlib import Path

from finhub_shared.cli import ServiceCommands, service_cli
from webhook_gateway import consumer
from webhook_gateway.config import get_settings

app = service_cli(
    ServiceCommands(
        name="webhook-gateway",
        app_factory="webhook_gateway.main:create_app",
        settings=get_settings,
        service_dir=Path(__file__).resolve().parents[2],
        worker=consumer.run,
    )
)
