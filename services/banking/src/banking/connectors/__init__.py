"""Pluggy's connectors (one per institution) and their health as Pluggy last reported it."""
