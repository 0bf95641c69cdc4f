"""Transactions of the companies' accounts: listing, corrections of their category."""
