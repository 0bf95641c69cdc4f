"""Pluggy's API as every service that calls it needs it: an authenticated connection
(`finhub_pluggy.connection`) within Pluggy's rate limits (`finhub_pluggy.rate_limits`)."""
