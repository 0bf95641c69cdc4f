"""The command-line tool every service has: `serve`, `worker`, `migrate`, plus its own commands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
import uvicorn
from alembic import command
from alembic.config import Config

from finhub_shared.bus import dead_letters
from finhub_shared.bus.topology import dead_letter_queue_name
from finhub_shared.logging import redact_text
from finhub_shared.settings import ServiceSettings
from finhub_shared.supervision import exit_status


@dataclass(frozen=True)
class ServiceCommands:
    """How to start one service: its ASGI app factory, its port, its worker and its migrations."""

    name: str
    app_factory: str
    settings: Callable[[], ServiceSettings]
    service_dir: Path | None = None
    worker: Callable[[], Coroutine[Any, Any, None]] | None = None
    queues: Sequence[str] = ()
    # Responses still open this long after a stop signal are cut short (streams that never end
    # by themselves); None waits for every one.
    shutdown_grace_seconds: int | None = None


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
        serve_app(
            commands.app_factory,
            settings,
            host=host,
            port=port or settings.port,
            reload=reload,
            shutdown_grace_seconds=commands.shutdown_grace_seconds,
        )

    if commands.worker is not None:
        worker = commands.worker

        @app.command("worker")
        def run_worker() -> None:
            """Run the bus consumers, the outbox relay and the scheduled jobs."""
            asyncio.run(worker())
            _exit_if_a_task_ended()

    if commands.service_dir is not None:
        service_dir = commands.service_dir

        @app.command()
        def migrate(revision: str = typer.Argument("head")) -> None:
            """Apply the database migrations up to `revision`."""
            command.upgrade(alembic_config(service_dir), revision)

    if commands.queues:
        app.add_typer(_dead_letter_cli(commands), name="dlq")
    return app


def serve_app(
    app_factory: str,
    settings: ServiceSettings,
    *,
    host: str,
    port: int,
    reload: bool = False,
    shutdown_grace_seconds: int | None = None,
) -> None:
    """Serve one ASGI app factory (`package.module:function`) until stopped."""
    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        reload=reload,
        log_config=None,
        access_log=False,
        # The client's address and scheme from X-Forwarded-* only when the ingress sends them.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=shutdown_grace_seconds,
    )
    _exit_if_a_task_ended()


def _dead_letter_cli(commands: ServiceCommands) -> typer.Typer:
    """`dlq list|show|replay|drop`: the messages parked after every retry failed."""
    dlq = typer.Typer(help="Dead-letter queues of this service's consumers.", no_args_is_help=True)
    queue_argument = typer.Argument(help=f"One of: {', '.join(commands.queues)}")

    def amqp_url() -> str:
        return commands.settings().amqp_url.get_secret_value()

    def checked(queue: str) -> str:
        if queue not in commands.queues:
            raise typer.BadParameter(f"{queue} is not one of {', '.join(commands.queues)}")
        return queue

    @dlq.command("list")
    def list_queues() -> None:
        """How many messages each dead-letter queue holds."""
        counts = asyncio.run(dead_letters.list_dead_letter_queues(amqp_url(), commands.queues))
        for queue in commands.queues:
            name = dead_letter_queue_name(queue)
            typer.echo(f"{name:<40} {counts.get(name, 0):>8}")

    @dlq.command()
    def show(queue: str = queue_argument, limit: int = typer.Option(10, min=1)) -> None:
        """The first parked messages, left in place."""
        name = dead_letter_queue_name(checked(queue))
        for letter in asyncio.run(dead_letters.peek(amqp_url(), name, limit)):
            body = letter.body[:300].decode(errors="replace")
            # Letters parked by older code, or by hand, may still carry a secret: the same
            # redaction as the logs applies to what an operator's terminal shows.
            typer.echo(
                redact_text(
                    f"{letter.message_id}  attempts={letter.attempts}  reason={letter.reason}"
                    f"  last_error={letter.last_error}\n    {body}"
                )
            )

    @dlq.command("replay")
    def replay_letters(
        queue: str = queue_argument,
        message_id: str | None = typer.Option(None, help="Only this message."),
        limit: int | None = typer.Option(None, min=1),
    ) -> None:
        """Send parked messages back to their queue for a fresh round of attempts."""
        checked(queue)
        moved = asyncio.run(
            dead_letters.replay(
                amqp_url(),
                dead_letter_queue_name(queue),
                queue,
                message_id=message_id,
                limit=limit,
            )
        )
        typer.echo(f"replayed {moved} message(s) to {queue}")

    @dlq.command()
    def drop(
        queue: str = queue_argument,
        message_id: str | None = typer.Option(None, help="Only this message."),
        yes: bool = typer.Option(False, "--yes", help="Really delete them."),
    ) -> None:
        """Delete parked messages for good."""
        name = dead_letter_queue_name(checked(queue))
        if not yes:
            raise typer.BadParameter("dropping deletes messages for good: add --yes")
        dropped = asyncio.run(dead_letters.drop(amqp_url(), name, message_id=message_id))
        typer.echo(f"dropped {dropped} message(s) from {name}")

    return dlq


def _exit_if_a_task_ended() -> None:
    """A process that stopped because one of its tasks ended exits non-zero, to be restarted."""
    if status := exit_status():
        raise SystemExit(status)
