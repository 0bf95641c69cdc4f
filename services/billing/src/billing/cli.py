"""`finhub-billing`: serve the API, run the worker, migrate the database, and its own commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from billing import commands, consumer
from billing.config import get_settings
from billing.plans import stripe_setup
from billing.plans.errors import StripeSetupFailed
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


@app.command("deletion-status")
def deletion_status(
    company: str = typer.Argument(help="The company's id, or a user's email until it is erased."),
) -> None:
    """Print a company's deletion as JSON: what Stripe, billing, banking and the gateway have
    erased, and when it completed."""
    state = asyncio.run(_deletion_status(company))
    if state is None:
        typer.echo(f"No deletion of company {company!r}.", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(state, indent=2, default=str))


async def _deletion_status(reference: str) -> dict[str, object] | None:
    settings = get_settings()
    database = Database(settings.database_url.get_secret_value(), application_name="billing-cli")
    try:
        async with database.sessions() as session:
            company = await commands.find_company(session, reference)
            return await commands.deletion_state(session, company) if company else None
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


@app.command("stripe-setup")
def stripe_setup_command(
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="Where Stripe sends webhooks (default: the gateway's, /webhooks/stripe)."
        ),
    ] = None,
    secret_file: Annotated[
        Path | None,
        typer.Option(help="Write a new endpoint's signing secret here (mode 600), not on screen."),
    ] = None,
) -> None:
    """Create or update Stripe's plan products and prices and the webhook endpoint; a second run
    changes nothing."""
    settings = get_settings()
    report = stripe_setup.SetupReport()
    url = webhook_url or stripe_setup.gateway_webhook_url(settings)
    try:
        asyncio.run(_stripe_setup(url, report))
    except StripeSetupFailed as failure:
        _print_changes(report)
        typer.echo(f"Stripe setup stopped: {failure.message}", err=True)
        typer.echo("Nothing is duplicated by running it again once the cause is fixed.", err=True)
        raise typer.Exit(1) from None
    _print_changes(report)
    typer.echo(
        f"{report.writes} changes made." if report.writes else "Stripe already matches: no change."
    )
    if report.signing_secret is not None:
        _hand_over_secret(report.signing_secret, secret_file)


async def _stripe_setup(webhook_url: str, report: stripe_setup.SetupReport) -> None:
    settings = get_settings()
    database = Database(settings.database_url.get_secret_value(), application_name="billing-cli")
    try:
        # Read, then call Stripe with no transaction open.
        async with database.transaction() as session:
            plans = await stripe_setup.plan_products(session)
        async with open_stripe_client(settings) as client:
            await stripe_setup.set_up_stripe(client, plans, webhook_url, report)
    finally:
        await database.dispose()


def _print_changes(report: stripe_setup.SetupReport) -> None:
    rows = [("WHAT", "NAME", "RESULT", "DETAIL")] + [
        (change.kind, change.name, change.result, change.detail) for change in report.changes
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for *cells, detail in rows:
        typer.echo(
            "  ".join([*(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)), detail])
        )


def _hand_over_secret(secret: str, secret_file: Path | None) -> None:
    """Stripe shows a new endpoint's signing secret once: to the operator, never to the logs."""
    if secret_file is not None:
        secret_file.touch(mode=0o600)
        secret_file.chmod(0o600)
        secret_file.write_text(secret + "\n", encoding="utf-8")
        where = f"is in {secret_file}"
    else:
        where = f"is {secret}"
    typer.echo(
        f"\nThe new endpoint's signing secret {where} (Stripe shows it only once).\n"
        "Put it first in the gateway's STRIPE_WEBHOOK_SECRET (.env, or the gateway's environment; "
        "keep an older secret after it, comma-separated, while an older endpoint still delivers), "
        "then restart the gateway (`make restart P=gateway` under `make run`)."
    )
