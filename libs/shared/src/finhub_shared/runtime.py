"""Process-level tuning shared by every API and worker process."""

from __future__ import annotations

import gc

# Allocations between two young-generation collections (CPython's default is 700). Our request
# paths allocate a lot of short-lived objects; collecting every 700 of them costs real CPU.
YOUNG_GENERATION_THRESHOLD = 50_000


def settle_garbage_collector() -> None:
    """Call once start-up is done: move what start-up built out of the collector's sight.

    Everything imported and built so far (modules, routes, pools, models) lives as long as the
    process; frozen, it is no longer traversed by every full collection, which otherwise showed
    as 100-200 ms pauses at the tail of the gateway's latency (bench/bench_gateway.py).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 50, 100)
