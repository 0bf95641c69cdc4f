"""Webhooks received from Stripe and Pluggy: verified, stored byte for byte, queued for the bus."""
