"""Fleet dashboard speed: one slider change at 100k VMs (re-simulate, headline, figure) against the fast
simulation alone, measured in the same run.

What one update is: in :class:`tlkit.widgets.fleet_dashboard.FleetDashboard`, a slider's new value ->
:func:`~tlkit.widgets.fleet_dashboard.dashboard_spec` -> :func:`~tlkit.widgets.fleet_dashboard.dashboard_view`
(:func:`tlkit.fleet.simulate_fast` and the headline metrics) -> the figure drawn to PNG into the
``Image`` widget. The workload: the dashboard's base fleet at ``--vms`` VMs over its horizon, the
baseline-lag slider moved back and forth (each change is a new fleet: nothing is cached).

Reference measured in the same run, in interleaved blocks: :func:`tlkit.fleet.simulate_fast` of the
same specs alone. Printed: the best seconds per update, the best seconds per simulation, the figure's
share, and the median ratio update / simulation. The first simulation in a process builds the outcome
table with the real pipeline; a warm-up update takes it before timing, and its time is printed apart.

Run: ``.venv/bin/python benchmarks/bench_fleet_dashboard.py [--vms 100000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

from _timing import interleaved, median_ratio

from tlkit.fleet import simulate_fast
from tlkit.viz.fleet import dashboard_figure
from tlkit.widgets.fleet_dashboard import BASE_SPEC, FleetDashboard, _png, dashboard_spec


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    app = FleetDashboard()
    app.sliders["vms"].value = args.vms
    warm = time.perf_counter() - t0
    lag = app.sliders["baseline_lag_days"]
    values = [lag.value + 1, lag.value]

    def update(x: tuple[object, ...]) -> None:
        lag.value = x[0]

    def simulate(x: tuple[object, ...]) -> None:
        simulate_fast(dashboard_spec(BASE_SPEC, {**app.values(), "baseline_lag_days": x[0]}))

    best, rounds = interleaved(
        {"update": update, "simulate": simulate},
        {"update": lambda: [(v,) for v in values], "simulate": lambda: [(v,) for v in values]},
        args.repeats,
    )
    t1 = time.perf_counter()
    _png(dashboard_figure(app.view.result))
    figure = time.perf_counter() - t1
    days = app.view.spec.days
    print(f"fleet dashboard, {args.vms:,} VMs x {days} days (load average {os.getloadavg()[0]:.1f}):")
    print(f"  warm-up (outcome table from the real pipeline, first fleet): {warm:.1f} s")
    print(f"  one slider update:          {1 / best['update']:.3f} s (best of {args.repeats} blocks)")
    print(f"  simulate_fast alone:        {1 / best['simulate']:.3f} s")
    print(f"  the figure to PNG (once):   {figure:.3f} s")
    ratio = median_ratio(rounds, "simulate", "update")  # rate(simulate) / rate(update) = time ratio
    print(f"  ratio update / simulation:  {ratio:.2f} (median over blocks)")


if __name__ == "__main__":
    main()
