"""Fast-mode fleet simulation at scale: 1M VMs x 90 days against one uniform draw per VM-day, the
scaling exponent from 10k to 1M VMs, peak memory, and Dask's overhead, measured in the same run.

What one run is: :func:`tlkit.fleet.simulate_fast` of ``SPEC`` (half Ubuntu, half Windows, three size
families, two regions, 90 % Secure Boot, 80 % extension, a kernel release every 14 days in four waves,
every event rate non-zero, a baseline lagged by 2 days, daily attestation) at ``--vms`` VMs over
``--days`` days: drawing every event, the per-VM-day state machine, every attestation round's verdict
and Defender findings looked up in the outcome table, and the aggregate tables. The outcome table is
built once per process by the real pipeline (a warm-up run, timed apart; most of it is the boot
simulator's key generation).

References measured in the same run:

1. the floor: one ``numpy`` uniform draw per VM-day (``Generator.random(vms)`` once per day), the
   least any per-VM-day simulation draws. Printed: seconds of each, their ratio (issue 10: fast
   mode <= 20 s at 1M x 90 days on 2 cores);
2. the scaling exponent: the slope of log(seconds) against log(VMs) over 10k, 100k and 1M VMs
   (target <= 1.1);
3. peak memory: the peak of allocations traced by ``tracemalloc`` during one run (numpy and pandas
   buffers included), and the process's peak resident set (target <= 4 GB);
4. Dask: :func:`tlkit.fleet.simulate` on a ``LocalCluster`` of two single-threaded worker processes
   (started and warmed before timing: a warm cluster, as a user's cluster is), one task per block,
   against the plain in-process run; the tables are checked equal.

Timing: best of ``--repeats`` runs (the machine is shared; the best run is the least disturbed).

Run: ``.venv/bin/python benchmarks/bench_fleet_fast.py [--vms 1000000] [--days 90] [--repeats 2]
[--no-dask]``
"""

from __future__ import annotations

import argparse
import math
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tlkit.fleet import FleetSpec, simulate, simulate_fast

SPEC = {
    "os_mix": {"ubuntu": 1.0, "windows": 1.0},
    "family_mix": {"Dsv5": 3.0, "Esv5": 1.0, "NCasT4v3": 0.5},
    "region_mix": {"eastus": 2.0, "westeurope": 1.0},
    "secure_boot_adoption": 0.9,
    "extension_adoption": 0.8,
    "kernel_release_every_days": 14,
    "rollout_waves": 4,
    "wave_spacing_days": 2,
    "firmware_update_rate": 0.002,
    "dbx_update_rate": 0.001,
    "driver_install_rate": 0.001,
    "secure_boot_off_for_driver": 0.3,
    "infection_rate": 0.0001,
    "mitm_rate": 0.00005,
    "extension_outage_rate": 0.001,
    "extension_outage_days": 2,
    "baseline_policy": "lagged",
    "baseline_lag_days": 2,
    "attest_every_hours": 24,
}


def best_seconds(fn: Callable[[], Any], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def floor(vms: int, days: int) -> None:
    rng = np.random.default_rng(0)
    for _ in range(days):
        rng.random(vms)


def peak_traced(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def dask_overhead(spec: FleetSpec, plain: float, repeats: int) -> None:
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as c,
        distributed.Client(c) as client,
    ):
        t0 = time.perf_counter()
        simulate(FleetSpec.from_dict(SPEC | {"vms": 1000, "days": 2}), dask=client)
        warm = time.perf_counter() - t0
        print(f"dask: cluster warm-up (workers import tlkit, adopt the outcome table): {warm:.1f} s")
        results: list[Any] = []
        t = best_seconds(lambda: results.append(simulate(spec, dask=client)), repeats)
    same = results[-1].alert_counts.equals(simulate_fast(spec).alert_counts)
    print(f"dask (LocalCluster, 2 workers, {-(-spec.vms // 65536)} tasks): {t:.2f} s; plain {plain:.2f} s; "
          f"overhead ratio dask / plain {t / plain:.2f} (tables equal: {same})")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--vms", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask measurement")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    simulate_fast(FleetSpec.from_dict(SPEC | {"vms": 20_000, "days": 30}))
    warm = time.perf_counter() - t0
    print(f"warm-up (the outcome table from the real pipeline, once per process): {warm:.1f} s")

    spec = FleetSpec.from_dict(SPEC | {"vms": args.vms, "days": args.days})
    fast = best_seconds(lambda: simulate_fast(spec), args.repeats)
    draws = best_seconds(lambda: floor(args.vms, args.days), args.repeats)
    print(f"fast mode, {args.vms:,} VMs x {args.days} days: {fast:.2f} s (target <= 20 s)")
    print(f"  floor, one uniform draw per VM-day: {draws:.2f} s; ratio fast / floor {fast / draws:.1f}")

    sizes = [n for n in (10_000, 100_000, 1_000_000) if n <= args.vms]
    if len(sizes) >= 2:
        specs = [FleetSpec.from_dict(SPEC | {"vms": n, "days": args.days}) for n in sizes]
        times = [
            best_seconds(lambda s=s: simulate_fast(s), 3 if s.vms < 1_000_000 else args.repeats)
            for s in specs
        ]
        slope = float(np.polyfit(np.log(sizes), np.log(times), 1)[0])
        shown = ", ".join(f"{n:,}: {t:.2f} s" for n, t in zip(sizes, times, strict=True))
        print(f"  scaling ({shown}): exponent {slope:.2f} (target <= 1.1)")

    traced = peak_traced(lambda: simulate_fast(spec))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"  peak memory: {traced / 2**30:.2f} GiB traced allocations in one run; "
          f"process peak RSS {rss / 2**30:.2f} GiB (target <= 4 GB)")  # fmt: skip

    if not args.no_dask:
        dask_overhead(spec, fast, args.repeats)


if __name__ == "__main__":
    main()
