"""Transactions counted per company and calendar month, against the plan's monthly limit."""
