"""Bank and credit-card accounts of the companies' items, with their balances."""
