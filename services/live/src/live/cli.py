"""`finhub-live`: serve, worker, migrate, and the dead letters of its queue."""

from __future__ import annotations

from pathlib import Path

from finhub_shared.cli import ServiceCommands, service_cli
from live import consumer
from live.config import get_settings

app = service_cli(
    ServiceCommands(
        name="live",
        app_factory="live.main:create_app",
        settings=get_settings,
        service_dir=Path(__file__).resolve().parents[2],
        worker=consumer.run,
        queues=[subscription.queue.name for subscription in consumer.SUBSCRIPTIONS],
        # Open streams never end by themselves: on a stop they are cut after this, their places
        # freed, and their clients resume on another replica with Last-Event-ID.
        shutdown_grace_seconds=5,
    )
)
