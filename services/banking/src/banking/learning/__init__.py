"""Categories that learn: a per-company model of the categories people chose, its suggestions."""
