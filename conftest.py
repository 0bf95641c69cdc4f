"""The test run's environment: `_test` databases, the `_test` vhost, and throwaway secrets.

Tests never touch the development databases, whatever the caller's environment says.
FINHUB_TEST_NAMESPACE=name gives a run databases and a vhost of its own (`_test_name`), so two
runs on one machine (two developers' checkouts, a benchmark beside the suite) never meet.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from finhub_dev.provisioning import database_url_for_tests, test_suffix
from finhub_shared.auth import generate_signing_keypair
from finhub_shared.settings import read_variable

pytest_plugins = ["finhub_dev.testing"]

DEVELOPMENT_DEFAULTS = {
    "GATEWAY_DATABASE_URL": "postgresql://finhub_gateway:finhub_gateway@127.0.0.1:5432/finhub_gateway",
    "BILLING_DATABASE_URL": "postgresql://finhub_billing:finhub_billing@127.0.0.1:5432/finhub_billing",
    "BANKING_DATABASE_URL": "postgresql://finhub_banking:finhub_banking@127.0.0.1:5432/finhub_banking",
    "LIVE_DATABASE_URL": "postgresql://finhub_live:finhub_live@127.0.0.1:5432/finhub_live",
    "AMQP_URL": "amqp://finhub:finhub@127.0.0.1:5672/finhub",
    "POSTGRES_ADMIN_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
    # libs/shared's own tests: a scratch database of no service.
    "SHARED_DATABASE_URL": "postgresql://finhub_shared:finhub_shared@127.0.0.1:5432/finhub_shared",
}


def _configured(name: str) -> str:
    return read_variable(name) or DEVELOPMENT_DEFAULTS[name]


def _test_environment() -> dict[str, str]:
    private_pem, public_pem = generate_signing_keypair()
    amqp = urlsplit(_configured("AMQP_URL"))
    return {
        "ENVIRONMENT": "test",
        "LOG_JSON": "true",
        "POSTGRES_ADMIN_URL": _configured("POSTGRES_ADMIN_URL"),
        **{
            name: database_url_for_tests(_configured(name))
            for name in (
                "GATEWAY_DATABASE_URL",
                "BILLING_DATABASE_URL",
                "BANKING_DATABASE_URL",
                "LIVE_DATABASE_URL",
                "SHARED_DATABASE_URL",
            )
        },
        "AMQP_URL": amqp._replace(path=amqp.path + test_suffix()).geturl(),
        "JWT_PRIVATE_KEY": private_pem,
        "JWT_PUBLIC_KEY": public_pem,
        "ADMIN_TOKEN": secrets.token_urlsafe(32),
        "STRIPE_API_KEY": "sk_test_" + secrets.token_urlsafe(16),
        "STRIPE_API_BASE": "http://127.0.0.1:8010",
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
        "PLUGGY_CLIENT_ID": "test-client-id",
        "PLUGGY_CLIENT_SECRET": secrets.token_urlsafe(24),
        "PLUGGY_API_URL": "http://127.0.0.1:8010/pluggy",
        "PLUGGY_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "MFA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }


os.environ.update(_test_environment())
os.environ["TEST_AMQP_URL"] = os.environ["AMQP_URL"]
