"""Fleet simulation speed: exact mode's attestation rounds per second against the bare pipeline,
measured in the same run.

What one round is: in :func:`tlkit.fleet.simulate_exact`, one attestation of one VM (the boot
scenario's evidence over a fresh nonce with :func:`tlkit.boot.scenario_evidence`, loaded with
:meth:`tlkit.attest.Evidence.from_files`, verified with :func:`tlkit.attest.verify` against the VM's
baseline and AK), plus the simulation's share of drawing events, updating baselines, building the
tables and :func:`tlkit.defender.assess`. The workload: ``--vms`` VMs over ``--days`` days, half
Ubuntu and half Windows, 80 % Secure Boot, attested daily and after every boot, with kernel updates,
driver installs and infections (see ``SPEC``).

Reference measured in the same run, in interleaved blocks: the bare pipeline, one round of the
healthy Ubuntu boot (evidence over a fresh nonce, load, verify) outside any simulation. Printed: the
rounds per second of each (best block), and the median per-round ratio simulation / bare (1.0: the
simulation costs nothing beyond the pipeline). The first simulation in a process also pays the
boot simulator's one-off key generation; a warm-up run takes it before timing, and its time is
printed apart.

The fast mode at 1M VMs, its scaling and Dask are measured by ``bench_fleet_fast.py``; one dashboard
update by ``bench_fleet_dashboard.py``.

Run: ``.venv/bin/python benchmarks/bench_fleet.py [--vms 20] [--days 5] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from _timing import interleaved, median_ratio

from tlkit.attest import Baseline, Evidence, TrustAnchors, verify
from tlkit.boot import run_scenario, scenario_evidence
from tlkit.fleet import FleetSpec, simulate_exact
from tlkit.tpm import load_public_key

SPEC = {
    "os_mix": {"ubuntu": 1.0, "windows": 1.0},
    "secure_boot_adoption": 0.8,
    "kernel_release_every_days": 2,
    "rollout_waves": 2,
    "driver_install_rate": 0.02,
    "infection_rate": 0.01,
    "baseline_policy": "lagged",
    "baseline_lag_days": 2,
    "attest_every_hours": 24,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--vms", type=int, default=20)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    simulate_exact(FleetSpec.from_dict(SPEC | {"vms": 4, "days": 2, "driver_install_rate": 1.0}))
    print(f"warm-up (the simulator's one-off key generation): {time.perf_counter() - t0:.1f} s")

    spec = FleetSpec.from_dict(SPEC | {"vms": args.vms, "days": args.days})
    rounds = simulate_exact(spec).pipeline_runs
    boot = run_scenario("healthy-ubuntu-sb", 0)
    baseline = Baseline.from_log(boot.log, name="healthy")
    anchors = TrustAnchors(trusted_aks=(load_public_key(boot.vtpm.ak_pem),))
    at = datetime(2026, 1, 1, tzinfo=UTC)
    counter = iter(range(10**9))

    def bare(_: tuple[object, ...]) -> object:
        nonce = next(counter).to_bytes(20, "big")
        files = scenario_evidence("healthy-ubuntu-sb", 0, nonce)
        return verify(Evidence.from_files(files), nonce, baseline, anchors=anchors, at=at)

    def fleet(_: tuple[object, ...]) -> object:
        return simulate_exact(spec)

    best, per_round = interleaved(
        {"simulation": fleet, "bare": bare},
        {"simulation": lambda: [()], "bare": lambda: [()] * rounds},
        args.repeats,
    )
    # per-call times: the simulation's call is a whole run of `rounds` rounds
    for r in per_round:
        r["simulation"] /= rounds
    sim_rate = max(1.0 / r["simulation"] for r in per_round)
    print(f"exact mode: {args.vms} VMs x {args.days} days = {rounds} attestation rounds per run")
    print(f"  simulation: {sim_rate:.1f} rounds/s (best of {args.repeats})")
    print(f"  bare pipeline (evidence + load + verify): {best['bare']:.1f} rounds/s")
    print(
        f"  ratio simulation / bare per round (median): {median_ratio(per_round, 'bare', 'simulation'):.2f}"
    )


if __name__ == "__main__":
    main()
