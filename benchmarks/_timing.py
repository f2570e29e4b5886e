"""The one timing loop the benchmarks share (imported as a sibling module: they run as scripts)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence


def best_per_call(fn: Callable[[], object], n: int, repeats: int) -> float:
    """Best seconds per call of ``fn`` over ``repeats`` blocks of ``n`` back-to-back calls."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / n


def interleaved(
    fns: dict[str, Callable[[tuple[object, ...]], object]],
    args: dict[str, Callable[[], Sequence[tuple[object, ...]]]],
    repeats: int,
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Best rate per variant, and every round's per-call times (to pair variants round by round).

    Each round times one block of every variant back to back, in a rotating order; ``args[name]()``
    builds a block's fresh arguments (one tuple per call) before its timer starts.
    """
    names = list(fns)
    rounds: list[dict[str, float]] = []
    for i in range(repeats):
        times: dict[str, float] = {}
        for name in names[i % len(names) :] + names[: i % len(names)]:
            fn, xs = fns[name], args[name]()
            t0 = time.perf_counter()
            for x in xs:
                fn(x)
            times[name] = (time.perf_counter() - t0) / len(xs)
        rounds.append(times)
    best = {name: 1.0 / min(r[name] for r in rounds) for name in names}
    return best, rounds


def median_ratio(rounds: list[dict[str, float]], name: str, ref: str) -> float:
    """The median over rounds of rate(name) / rate(ref)."""
    return statistics.median(r[ref] / r[name] for r in rounds)
