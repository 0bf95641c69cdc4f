"""Write `.env` from `.env.example` on first use, with a fresh development secret per placeholder.

An existing `.env` keeps every value it has, so secrets stay stable across runs; a setting that
`.env.example` gained since (a new service's database URL...) is appended to it, and a default
that `.env.example` retired because it no longer works is replaced by the current one.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from finhub_shared.auth import generate_signing_keypair

# Defaults .env.example once shipped that lead nowhere now: Stripe sent users back to a front end
# on localhost:3000 that never existed; the web console's pages took its place.
RETIRED_DEFAULTS = {
    "BILLING_CHECKOUT_SUCCESS_URL": (
        "http://localhost:3000/billing/success?session_id={CHECKOUT_SESSION_ID}"
    ),
    "BILLING_CHECKOUT_CANCEL_URL": "http://localhost:3000/billing/cancelled",
    "BILLING_PORTAL_RETURN_URL": "http://localhost:3000/settings/billing",
}


def fresh_secrets() -> dict[str, str]:
    """A development value for every secret that .env.example leaves as a placeholder."""
    private_pem, public_pem = generate_signing_keypair()
    return {
        "JWT_PRIVATE_KEY": _one_line(private_pem),
        "JWT_PUBLIC_KEY": _one_line(public_pem),
        "ADMIN_TOKEN": secrets.token_urlsafe(32),
        "CONSOLE_SECRET_KEY": secrets.token_urlsafe(32),
        "STRIPE_API_KEY": "sk_test_" + secrets.token_urlsafe(24),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(32),
        "PLUGGY_CLIENT_SECRET": secrets.token_urlsafe(32),
        "PLUGGY_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "MFA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }


def _one_line(pem: str) -> str:
    return '"' + pem.strip().replace("\n", "\\n") + '"'


def render(example: str, values: dict[str, str]) -> str:
    """The example file with each placeholder variable replaced by its fresh value."""
    lines = []
    for line in example.splitlines():
        name, _, value = line.partition("=")
        if name in values and "change-me" in value:
            line = f"{name}={values[name]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def missing_settings(example: str, current: str, values: dict[str, str]) -> list[str]:
    """The lines of settings `.env.example` has and `current` lacks, as `render` writes them."""
    present = {line.partition("=")[0] for line in current.splitlines()}
    return [
        line
        for line in render(example, values).splitlines()
        if "=" in line and not line.startswith("#") and line.partition("=")[0] not in present
    ]


def without_retired_defaults(example: str, current: str) -> tuple[str, list[str]]:
    """`current` with each retired default it still holds set to the example's value, and the
    names of those settings; a value of the developer's own stays."""
    examples = dict(
        line.split("=", 1) for line in example.splitlines() if "=" in line and line[0] != "#"
    )
    lines, replaced = [], []
    for line in current.splitlines():
        name, _, value = line.partition("=")
        if name in examples and RETIRED_DEFAULTS.get(name) == value:
            line = f"{name}={examples[name]}"
            replaced.append(name)
        lines.append(line)
    return "\n".join(lines) + "\n", replaced


def main(root: Path) -> None:
    target = root / ".env"
    example = (root / ".env.example").read_text()
    if not target.exists():
        target.write_text(render(example, fresh_secrets()))
        target.chmod(0o600)
        print(f"wrote {target} with fresh development secrets")
        return
    current = target.read_text()
    updated, replaced = without_retired_defaults(example, current)
    if replaced:
        target.write_text(updated)
        print(f"updated in {target} from .env.example: {', '.join(replaced)}")
    added = missing_settings(example, updated, fresh_secrets())
    if added:
        target.write_text(updated + "\n".join(added) + "\n")
        names = ", ".join(line.partition("=")[0] for line in added)
        print(f"added to {target} from .env.example: {names}")
    target.touch()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
