"""What the live worker's handlers and jobs need: the settings and the worker's database, built
once in `consumer.run` and handed to each by `run_worker`."""

from __future__ import annotations

from dataclasses import dataclass

from finhub_shared.db import Database
from live.config import LiveSettings


@dataclass(frozen=True)
class Runtime:
    settings: LiveSettings
    database: Database
