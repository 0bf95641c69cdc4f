"""The sandbox's test settings: Pluggy's quick webhook retries a few milliseconds apart."""

from __future__ import annotations

import os

os.environ["SANDBOX_PLUGGY_WEBHOOK_RETRY_SECONDS"] = "0.01"
