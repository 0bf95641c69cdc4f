"""`finhub-sandbox`: serve the Stripe and Pluggy stand-in."""

from __future__ import annotations

from finhub_shared.cli import ServiceCommands, service_cli
from provider_sandbox.config import get_settings

app = service_cli(
    ServiceCommands(
        name="provider-sandbox",
        app_factory="provider_sandbox.main:create_app",
        settings=get_settings,
    )
)
