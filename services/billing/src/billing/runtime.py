"""What billing's handlers and jobs need besides a session: the settings, the worker's database
and the Stripe client, built once in `consumer.run` and handed to each of them by `run_worker`."""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from billing.config import BillingSettings
from finhub_shared.db import Database


@dataclass(frozen=True)
class Runtime:
    settings: BillingSettings
    database: Database
    stripe: stripe.StripeClient
