"""The audit log: connections, PIX payments, rules and categories, and data deletions."""
