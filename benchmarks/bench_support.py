"""Per-VM cost of the support queries on a 10k-VM synthetic fleet.

Run: ``.venv/bin/python benchmarks/bench_support.py [--count 10000] [--seed 7]``

The fleet draws sizes from the 306 real names in ``tests/support/data/size_names.csv`` and images
from a few common Marketplace URNs (seeded). Printed per step: µs per VM and the ratio to a
reference measured in the same run: one plain ``dict`` lookup per VM (the floor of any per-VM
table query in Python).

Steps: ``parse_size`` cold (caches cleared) and warm (memoized), ``size_status`` cold and warm,
and ``check_vm`` cold and warm (memoized on canonical arguments; the first pass computes each of the
~5.5k distinct size/image/snapshot combinations once).
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections.abc import Callable
from pathlib import Path

from tlkit.support import _matrix, _sizes, check_vm, parse_size, size_status

REPO = Path(__file__).resolve().parent.parent
IMAGES = (
    "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
    "Canonical:ubuntu-24_04-lts:server:latest",
    "MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest",
    "MicrosoftWindowsServer:WindowsServer:2019-Datacenter:latest",
    "RedHat:RHEL:9-lvm-gen2:9.4.2024081415",
    "SUSE:sles-15-sp5:gen2:latest",
)
SNAPSHOTS = ("2023-04", "2025-04", "2026-07")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with (REPO / "tests" / "support" / "data" / "size_names.csv").open(encoding="utf-8") as f:
        names = [r["size"] for r in csv.DictReader(f)]
    fleet = [(rng.choice(names), rng.choice(IMAGES), rng.choice(SNAPSHOTS)) for _ in range(args.count)]
    table = {n: i for i, n in enumerate(names)}

    reference = timed(lambda: [table.get(s) for s, _, _ in fleet])

    def clear() -> None:
        _sizes._parse_cached.cache_clear()
        _matrix._status_cached.cache_clear()

    clear()
    parse_cold = timed(lambda: [parse_size(s) for s, _, _ in fleet])
    parse_warm = timed(lambda: [parse_size(s) for s, _, _ in fleet])
    clear()
    status_cold = timed(lambda: [size_status(s, a) for s, _, a in fleet])
    status_warm = timed(lambda: [size_status(s, a) for s, _, a in fleet])
    check_cold = timed(lambda: [check_vm(s, i, as_of=a) for s, i, a in fleet])
    check_warm = timed(lambda: [check_vm(s, i, as_of=a) for s, i, a in fleet])

    n = len(fleet)
    print(
        f"fleet: {n} VMs, {len(set(names))} distinct sizes, {len(IMAGES)} images, {len(SNAPSHOTS)} snapshots"
    )
    print(f"{'step':<22}{'us/VM':>10}{'x reference':>14}")
    for label, t in (
        ("reference dict.get", reference),
        ("parse_size cold", parse_cold),
        ("parse_size warm", parse_warm),
        ("size_status cold", status_cold),
        ("size_status warm", status_warm),
        ("check_vm cold", check_cold),
        ("check_vm warm", check_warm),
    ):
        print(f"{label:<22}{t / n * 1e6:>10.2f}{t / reference:>14.1f}")


if __name__ == "__main__":
    main()
