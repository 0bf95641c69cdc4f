"""`make health`: ask each running service's /readyz and print one line per service.

Exits non-zero when any service is not ready, so scripts can wait on it.
"""

from __future__ import annotations

import sys

import httpx

from finhub_shared.settings import read_variable

SERVICES = [
    ("webhook-gateway", "GATEWAY_PORT", 8000),
    ("gateway-admin", "GATEWAY_ADMIN_PORT", 8003),
    ("billing", "BILLING_PORT", 8001),
    ("banking", "BANKING_PORT", 8002),
    ("live", "LIVE_PORT", 8004),
    ("provider-sandbox", "SANDBOX_PORT", 8010),
    ("console", "CONSOLE_PORT", 8080),
]


def readiness(port: int) -> tuple[str, str]:
    """The status and the per-check detail that /readyz reports on `port`."""
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    except httpx.HTTPError as error:
        return "down", type(error).__name__
    checks = response.json().get("checks", {})
    detail = ", ".join(f"{name}: {outcome}" for name, outcome in checks.items()) or "-"
    return ("ready" if response.status_code == 200 else "not ready"), detail


def main() -> int:
    print(f"{'service':<18} {'port':>5}  {'status':<10} checks")
    all_ready = True
    for name, variable, default_port in SERVICES:
        port = int(read_variable(variable) or default_port)
        status, detail = readiness(port)
        all_ready = all_ready and status == "ready"
        print(f"{name:<18} {port:>5}  {status:<10} {detail}")
    return 0 if all_ready else 1


if __name__ == "__main__":
    sys.exit(main())
