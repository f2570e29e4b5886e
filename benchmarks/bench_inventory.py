"""Inventory import throughput on a generated 10k-VM fleet, in every export shape.

Run: ``.venv/bin/python benchmarks/bench_inventory.py [--count 10000] [--seed 11]``

Prints rows/s for :func:`tlkit.support.load_inventory` (import + compatibility columns, memoised per
size, image and as_of) per shape, and the ratio to a reference measured in the same run: parsing
the same file with the standard library alone (``json.load`` / ``csv.DictReader``) plus building a
plain ``pandas.DataFrame`` from the records, i.e. the cost of reading without normalising.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from tlkit.support import load_inventory

REPO = Path(__file__).resolve().parent.parent


def _best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def _reference(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        obj = json.loads(text)
        rows = obj["data"] if isinstance(obj, dict) else obj
    pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from scripts.make_sample_inventory import render

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name, text in render(args.seed, args.count).items():
            (out / name).write_text(text, encoding="utf-8")
        print(f"fleet: {args.count} VMs, seed {args.seed}; best of {args.repeat}")
        print(f"{'shape':<32}{'rows':>7}{'errors':>8}{'seconds':>9}{'rows/s':>10}{'ref s':>9}{'ratio':>7}")
        for name in (
            "az-vm-list.json",
            "resource-graph.json",
            "resource-graph.csv",
            "resource-graph-properties.csv",
        ):
            path = out / name
            res = load_inventory(path, disks=out / "disks.json")
            t = _best(lambda p=path: load_inventory(p, disks=out / "disks.json"), args.repeat)
            ref = _best(lambda p=path: _reference(p), args.repeat)
            print(
                f"{name:<32}{len(res.frame):>7}{len(res.errors):>8}{t:>9.3f}{len(res.frame) / t:>10.0f}"
                f"{ref:>9.3f}{t / ref:>7.1f}"
            )
            assert res.records_in == len(res.frame) + len(res.errors) == args.count
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
