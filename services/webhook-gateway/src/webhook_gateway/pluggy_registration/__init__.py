"""Our webhook registered at Pluggy (`POST /webhooks`, event `all`, with the secret header)."""
