"""`finhub-console serve`: the web console on CONSOLE_PORT (8080)."""

from __future__ import annotations

import typer

from console.config import get_settings
from finhub_shared.cli import serve_app

app = typer.Typer(help="Finance Hub's web console.", no_args_is_help=True)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
) -> None:
    """Serve the console (http://127.0.0.1:8080 by default)."""
    settings = get_settings()
    serve_app("console.main:create_app", settings, host=host, port=settings.port, reload=reload)


@app.callback()
def main() -> None:
    """Finance Hub's web console."""
