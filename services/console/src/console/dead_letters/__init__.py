"""Each consumer queue's dead letters, through the gateway's admin API."""
