"""A company's dashboard: balances, cash flow, spending, recurring payments, insights."""
