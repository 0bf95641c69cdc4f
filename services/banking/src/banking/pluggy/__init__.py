"""Pluggy's API: the client and the typed shapes of its answers."""

from banking.pluggy.client import PluggyClient, api_retry, client_for, worker_retry

__all__ = ["PluggyClient", "api_retry", "client_for", "worker_retry"]
