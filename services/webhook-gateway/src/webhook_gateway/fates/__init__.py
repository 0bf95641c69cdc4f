"""What became of each stored event on each queue that consumes it, from the outcomes consumers
report on the bus (`bus.outcome`): handled, retrying, dead-lettered, ignored, replayed, dropped."""
