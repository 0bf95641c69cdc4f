"""Create each service's PostgreSQL role and database (development, CI and tests)."""

from __future__ import annotations

import asyncio
import os
from urllib.parse import unquote, urlsplit

import asyncpg
import typer
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from finhub_shared.db import asyncpg_dsn


class ProvisioningSettings(BaseSettings):
    """The admin connection and the database of each service."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    postgres_admin_url: SecretStr = Field(
        SecretStr("postgresql://postgres@127.0.0.1:5432/postgres"),
        validation_alias="POSTGRES_ADMIN_URL",
    )
    gateway_database_url: SecretStr = Field(validation_alias="GATEWAY_DATABASE_URL")
    billing_database_url: SecretStr = Field(validation_alias="BILLING_DATABASE_URL")
    banking_database_url: SecretStr = Field(validation_alias="BANKING_DATABASE_URL")
    # A default, so that a .env written before the live service existed still provisions it.
    live_database_url: SecretStr = Field(
        SecretStr("postgresql://finhub_live:finhub_live@127.0.0.1:5432/finhub_live"),
        validation_alias="LIVE_DATABASE_URL",
    )

    def service_urls(self) -> list[str]:
        """Every service's database URL."""
        return [
            url.get_secret_value()
            for url in (
                self.gateway_database_url,
                self.billing_database_url,
                self.banking_database_url,
                self.live_database_url,
            )
        ]


def test_suffix() -> str:
    """What the test run's databases and vhost add to their names: `_test`, or
    `_test_<name>` with FINHUB_TEST_NAMESPACE=<name> (two runs on one machine never meet)."""
    namespace = os.environ.get("FINHUB_TEST_NAMESPACE", "")
    return f"_test_{namespace}" if namespace else "_test"


def database_url_for_tests(url: str) -> str:
    """The URL of the test run's twin of a database."""
    parts = urlsplit(url)
    return parts._replace(path=parts.path + test_suffix()).geturl()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def ensure_database(admin_url: str, database_url: str) -> None:
    """Create the role and the database that `database_url` names, if they do not exist yet."""
    parts = urlsplit(asyncpg_dsn(database_url))
    role, password = unquote(parts.username or ""), unquote(parts.password or "")
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            literal = await admin.fetchval("SELECT quote_literal($1)", password)
            await admin.execute(f"CREATE ROLE {_quote(role)} LOGIN PASSWORD {literal}")
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f"CREATE DATABASE {_quote(name)} OWNER {_quote(role)}")
    finally:
        await admin.close()


app = typer.Typer(help="Create Finance Hub's PostgreSQL roles and databases.")


@app.command()
def databases(
    with_test: bool = typer.Option(False, "--with-test", help="Also the _test databases."),
) -> None:
    """Create the role and database of every service (idempotent)."""
    settings = ProvisioningSettings()
    admin_url = settings.postgres_admin_url.get_secret_value()
    urls = settings.service_urls()
    if with_test:
        urls += [database_url_for_tests(url) for url in urls]
    for url in urls:
        asyncio.run(ensure_database(admin_url, url))
        typer.echo(f"database ready: {urlsplit(url).path.lstrip('/')}")
