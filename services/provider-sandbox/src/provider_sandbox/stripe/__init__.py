"""The Stripe stand-in of the provider sandbox."""
