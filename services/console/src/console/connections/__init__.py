"""Connecting a bank: banking's connect token, the bank log-in, MFA, live progress."""
