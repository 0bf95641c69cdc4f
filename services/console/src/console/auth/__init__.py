"""Signing up and logging in (billing's accounts), and the operator's admin token."""
