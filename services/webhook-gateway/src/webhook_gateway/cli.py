"""`finhub-gateway`: serve, serve-admin, worker, migrate, and the operator's commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from finhub_shared.cli import ServiceCommands, serve_app, service_cli
from finhub_shared.db import Database
from webhook_gateway import consumer
from webhook_gateway.admin import service as admin
from webhook_gateway.config import get_settings
from webhook_gateway.pluggy_registration import service as pluggy_registration
from webhook_gateway.webhooks import repository

app = service_cli(
    ServiceCommands(
        name="webhook-gateway",
        app_factory="webhook_gateway.main:create_app",
        settings=get_settings,
        service_dir=Path(__file__).resolve().parents[2],
        worker=consumer.run,
    )
)
pluggy_webhooks = typer.Typer(help="Our webhook registration at Pluggy.", no_args_is_help=True)
app.add_typer(pluggy_webhooks, name="pluggy-webhooks")


@app.command("serve-admin")
def serve_admin(
    host: str = typer.Option("127.0.0.1", help="Address to bind; never one the ingress routes."),
    port: int | None = typer.Option(None, help="Port; defaults to GATEWAY_ADMIN_PORT."),
) -> None:
    """Serve the admin API (/admin/*, ADMIN_TOKEN) apart from the public webhooks."""
    settings = get_settings()
    serve_app(
        "webhook_gateway.main:create_admin_app",
        settings,
        host=host,
        port=port or settings.admin_port,
    )


@app.command()
def replay(event: str = typer.Argument(help="Stored id, or the provider's event id")) -> None:
    """Publish one stored webhook event to the bus again (the worker relays it)."""
    asyncio.run(_replay(event))


async def _replay(reference: str) -> None:
    settings = get_settings()
    database = Database(settings.database_url.get_secret_value(), application_name="gateway-cli")
    try:
        async with database.transaction() as session:
            event = await repository.find(session, reference)
            if event is None:
                typer.echo(f"no stored event matches {reference}", err=True)
                raise typer.Exit(1)
            await admin.replay(session, [event])
        typer.echo(f"queued {event.source} {event.event_type} {event.event_id} for publishing")
    finally:
        await database.dispose()


@pluggy_webhooks.command("list")
def list_webhooks() -> None:
    """The webhooks registered for our Pluggy application."""
    asyncio.run(_pluggy("list"))


@pluggy_webhooks.command()
def register() -> None:
    """Register our endpoint for every event, with the secret header (idempotent)."""
    asyncio.run(_pluggy("register"))


@pluggy_webhooks.command()
def rotate() -> None:
    """Make Pluggy send the first secret of PLUGGY_WEBHOOK_SECRET from now on."""
    asyncio.run(_pluggy("register"))


async def _pluggy(action: str) -> None:
    settings = get_settings()
    async with pluggy_registration.open_pluggy(settings) as pluggy:
        if action == "register":
            hook = await pluggy_registration.register(pluggy, settings)
            typer.echo(f"registered {hook.id}: {hook.event} -> {hook.url}")
            return
        for hook in await pluggy_registration.list_webhooks(pluggy):
            ours = "  (ours)" if hook.url == pluggy_registration.our_webhook_url(settings) else ""
            state = f"disabled since {hook.disabled_at}" if hook.disabled_at else "enabled"
            typer.echo(f"{hook.id}  {hook.event:<10} {state:<10} {hook.url}{ours}")
