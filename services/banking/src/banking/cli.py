"""`finhub-banking`: serve the API, run the worker, migrate the database, sync, list items."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Annotated

import typer

from banking import commands, consumer
from banking.config import get_settings
from finhub_shared.cli import ServiceCommands, service_cli
from finhub_shared.errors import FinhubError

app = service_cli(
    ServiceCommands(
        name="banking",
        app_factory="banking.main:create_app",
        settings=get_settings,
        service_dir=Path(__file__).resolve().parents[2],
        worker=consumer.run,
        queues=[subscription.queue.name for subscription in consumer.SUBSCRIPTIONS],
    )
)


@app.command("sync-account")
def sync_account(
    account_id: Annotated[uuid.UUID, typer.Argument(help="Banking's account id.")],
) -> None:
    """Sync one account's transactions now and print what changed."""
    try:
        report = asyncio.run(commands.sync_account_now(account_id))
    except FinhubError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(code=1) from None
    typer.echo(
        f"account {report.account_id}: {report.status}, "
        f"{report.created} new, {report.updated} updated, {report.skipped} skipped"
        + (f" ({report.error})" if report.error else "")
    )
    if report.status != "succeeded":
        raise typer.Exit(code=1)


@app.command("items")
def list_items(
    company_id: Annotated[uuid.UUID, typer.Argument(help="The company's id.")],
) -> None:
    """List a company's bank connections with their status and the action each needs."""
    found = asyncio.run(commands.company_items(company_id))
    if not found:
        typer.echo("no items")
    for item in found:
        typer.echo(
            f"{item.id}  {item.connector.name}  {item.status}/{item.execution_status}  "
            f"next: {item.next_action.action.value} - {item.next_action.message}"
        )
        for account in item.accounts:
            typer.echo(
                f"    account {account.id}  {account.name}  {account.type}  "
                f"balance {account.balance_cents / 100:.2f} {account.currency_code}"
            )
