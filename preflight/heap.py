"""How often CPython's cyclic garbage collector runs while preflight records a program and analyzes it.

Both stages build a large, long-lived heap (every registration, the requests, each resource's policy views) and
allocate millions of short-lived objects on top of it. With CPython's default thresholds (700, 10, 10) the
collector rescans that whole heap again and again: at 200 clusters (3,774 resources) half of recording's and half
of analysis' CPU time was spent in full collections. `young_collections_only` keeps collecting young objects, where
almost every reference cycle dies (the SDK's futures and callbacks), every 50,000 allocations, and leaves full
collections to after the stage. Measured at 200 clusters: recording 25.2 s -> 14.7 s CPU, peak 356 -> 364 MiB;
analysis 11.8 s -> 6.4 s CPU (docs/performance.md). The collector is never turned off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_ONLY_THRESHOLDS = (50_000, 20, 1_000)


@contextmanager
def young_collections_only() -> Iterator[None]:
    """Collect young generations, rarely the whole heap, inside; the previous thresholds come back on exit."""
    before = gc.get_threshold()
    gc.set_threshold(*YOUNG_ONLY_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
