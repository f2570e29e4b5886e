"""The one timing loop the benchmarks share (imported as a sibling module: they run as scripts)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_per_call(fn: Callable[[], object], n: int, repeats: int) -> float:
    """Best seconds per call of ``fn`` over ``repeats`` blocks of ``n`` back-to-back calls."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / n
