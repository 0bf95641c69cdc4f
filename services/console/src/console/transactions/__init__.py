"""A company's transactions: search, filter, recategorise."""
