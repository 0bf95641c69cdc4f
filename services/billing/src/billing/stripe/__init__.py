"""Stripe's API: the client, and the typed shapes of its events and answers (`payloads`)."""
