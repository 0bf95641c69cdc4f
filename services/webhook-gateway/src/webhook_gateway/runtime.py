"""What the gateway's worker jobs need: the settings and the worker's database, built once in
`consumer.run` and handed to each job by `run_worker`."""

from __future__ import annotations

from dataclasses import dataclass

from finhub_shared.db import Database
from webhook_gateway.config import GatewaySettings


@dataclass(frozen=True)
class Runtime:
    settings: GatewaySettings
    database: Database
