"""`finhub-gateway`: serve, serve-admin, worker, migrate, and the operator's commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from finhub_shared.cli import ServiceCommands, serve_app, service_cli
from webhook_gateway import commands, consumer
from webhook_gateway.config import get_settings
from webhook_gateway.pluggy_registration import service as pluggy_registration

app = service_cli(
    ServiceCommands(
        name="webhook-gateway",
        app_factory="webhook_gateway.main:create_app",
        settings=get_settings,
        service_dir=Path(__file__).resolve().parents[2],
        worker=consumer.run,
        queues=[subscription.queue.name for subscription in consumer.SUBSCRIPTIONS],
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
    stored = asyncio.run(commands.replay(get_settings(), event))
    if stored is None:
        typer.echo(f"no stored event matches {event}", err=True)
        raise typer.Exit(1)
    typer.echo(f"queued {stored.source} {stored.event_type} {stored.event_id} for publishing")


@pluggy_webhooks.command("list")
def list_webhooks() -> None:
    """The webhooks registered for our Pluggy application."""
    settings = get_settings()
    ours = pluggy_registration.our_webhook_url(settings)
    for hook in asyncio.run(commands.pluggy_webhooks(settings)):
        mark = "  (ours)" if hook.url == ours else ""
        state = f"disabled since {hook.disabled_at}" if hook.disabled_at else "enabled"
        typer.echo(f"{hook.id}  {hook.event:<10} {state:<10} {hook.url}{mark}")


@pluggy_webhooks.command()
def register() -> None:
    """Register our endpoint for every event, with the secret header (idempotent)."""
    _register()


@pluggy_webhooks.command()
def rotate() -> None:
    """Make Pluggy send the first secret of PLUGGY_WEBHOOK_SECRET from now on."""
    _register()


def _register() -> None:
    hook = asyncio.run(commands.register_pluggy_webhook(get_settings()))
    typer.echo(f"registered {hook.id}: {hook.event} -> {hook.url}")
