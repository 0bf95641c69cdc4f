"""`finhub-billing`: serve the API, run the worker, migrate the database, and its own commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from billing import commands, consumer
from billing.config import get_settings
from billing.stripe.client import open_stripe_client
from finhub_shared.cli import ServiceCommands, service_cli
from finhub_shared.db import Database

app = service_cli(
    ServiceCommands(
        name="billing",
        app_factory="billing.main:create_app",
        settings=get_settings,
        service_dir=Path(__file__).resolve().parents[2],
        worker=consumer.run,
        queues=[subscription.queue.name for subscription in consumer.SUBSCRIPTIONS],
    )
)


@app.command("company-state")
def company_state(
    company: str = typer.Argument(help="The company's id, or the email of one of its users."),
) -> None:
    """Print a company's billing state as JSON: subscription, entitlements, dunning, history."""
    state = asyncio.run(_company_state(company))
    if state is None:
        typer.echo(f"No company {company!r}.", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(state, indent=2, default=str))


async def _company_state(reference: str) -> dict[str, object] | None:
    settings = get_settings()
    database = Database(settings.database_url.get_secret_value(), application_name="billing-cli")
    try:
        async with database.sessions() as session:
            company = await commands.find_company(session, reference)
            return await commands.company_state(session, company) if company else None
    finally:
        await database.dispose()


@app.command("check-stripe")
def check_stripe() -> None:
    """Check Stripe's setup: key mode, reachability, webhook endpoint, plan prices."""
    checks = asyncio.run(_check_stripe())
    for check in checks:
        typer.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


async def _check_stripe() -> list[commands.Check]:
    settings = get_settings()
    database = Database(settings.database_url.get_secret_value(), application_name="billing-cli")
    try:
        async with database.transaction() as session:
            lookup_keys = await commands.plan_lookup_keys(session)
        async with open_stripe_client(settings) as client:
            return await commands.check_stripe(settings, client, lookup_keys)
    finally:
        await database.dispose()
