"""Pluggy's API: the client and the typed shapes of its answers."""

from banking.pluggy.client import BACKGROUND_RETRY, INTERACTIVE_RETRY, PluggyClient

__all__ = ["BACKGROUND_RETRY", "INTERACTIVE_RETRY", "PluggyClient"]
