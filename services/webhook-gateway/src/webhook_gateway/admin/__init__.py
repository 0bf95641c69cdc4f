"""Operator endpoints: inspect stored webhook events and replay them to the bus."""
