"""Each company's plan limits, copied from billing's `entitlements.changed` snapshots."""
