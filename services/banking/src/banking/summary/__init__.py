"""The dashboard: balances, income and spending, categories, merchants, recurring payments."""
