"""`finhub-banking`: serve the API, run the worker, migrate the database."""

from __future__ import annotations

from pathlib import Path

from banking import consumer
from banking.config import get_settings
from finhub_shared.cli import ServiceCommands, service_cli

app = service_cli(
    ServiceCommands(
        name="banking",
        app_factory="banking.main:create_app",
        settings=get_settings,
        service_dir=Path(__file__).resolve().parents[2],
        worker=consumer.run,
    )
)
