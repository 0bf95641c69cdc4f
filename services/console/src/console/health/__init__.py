"""Health at a glance: each process's readiness and what its /metrics tells operators."""
