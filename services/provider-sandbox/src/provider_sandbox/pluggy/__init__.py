"""The Pluggy stand-in of the provider sandbox."""
