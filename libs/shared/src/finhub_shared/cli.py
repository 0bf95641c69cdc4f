"""The command-line tool every service has: `serve`, `worker`, `migrate`, plus its own commands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
import uvicorn
from alembic import command
from alembic.config import Config

from finhub_shared.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceCommands:
    """How to start one service: its ASGI app factory, its port, its worker and its migrations."""

    name: str
    app_factory: str
    settings: Callable[[], ServiceSettings]
    service_dir: Path | None = None
    worker: Callable[[], Coroutine[Any, Any, None]] | None = None


def alembic_config(service_dir: Path, database_url: str | None = None) -> Config:
    """The Alembic configuration of a service, optionally aimed at another database."""
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def service_cli(commands: ServiceCommands) -> typer.Typer:
    """A Typer app with the standard commands of `commands`; a service may add its own."""
    app = typer.Typer(help=f"Finance Hub {commands.name}", no_args_is_help=True)

    @app.callback()
    def main() -> None:
        """Keep every command a subcommand, even for a service that has only `serve`."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to bind (0.0.0.0 in a container)."),
        port: int | None = typer.Option(None, help="Port; defaults to the service's *_PORT."),
        reload: bool = typer.Option(False, help="Restart on code changes (development)."),
    ) -> None:
        """Serve the HTTP API."""
        settings = commands.settings()  # refuses to start here, in one line, if a secret is missing
        uvicorn.run(
            commands.app_factory,
            factory=True,
            host=host,
            port=port or settings.port,
            reload=reload,
            log_config=None,
            access_log=False,
            proxy_headers=True,
        )

    if commands.worker is not None:
        worker = commands.worker

        @app.command("worker")
        def run_worker() -> None:
            """Run the bus consumers, the outbox relay and the scheduled jobs."""
            asyncio.run(worker())

    if commands.service_dir is not None:
        service_dir = commands.service_dir

        @app.command()
        def migrate(revision: str = typer.Argument("head")) -> None:
            """Apply the database migrations up to `revision`."""
            command.upgrade(alembic_config(service_dir), revision)

    return app
