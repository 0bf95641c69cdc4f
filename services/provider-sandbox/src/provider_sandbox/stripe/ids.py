"""Stripe-style identifiers: a prefix, an underscore and random letters and digits."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """A fresh id such as `cus_NffrFeUfNV2Hib`."""
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


def random_token(length: int = 24) -> str:
    """Random letters and digits, for client secrets and invoice number prefixes."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
