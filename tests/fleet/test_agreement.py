"""Exact and fast mode agree: identically for the same spec and seed (they walk the same process and
the fast mode's outcome table is the pipeline's answer), and statistically across seeds and sizes."""

from __future__ import annotations

from typing import Any

import pytest
from pandas.testing import assert_frame_equal

from tlkit.fleet._exact import simulate_exact
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._io import summary
from tlkit.fleet._process import EVENT_KINDS
from tlkit.fleet._result import AGGREGATE_COLUMNS, FleetResult
from tlkit.fleet._spec import FleetSpec

#: Every event kind, both OS images, Gen1 and Standard VMs, Secure Boot off, a lagged baseline.
EVERYTHING: dict[str, Any] = {
    "vms": 24, "days": 5, "seed": 9,
    "os_mix": {"ubuntu": 1.0, "windows": 1.0}, "family_mix": {"Dsv5": 2.0, "NCv3": 1.0},
    "generation_mix": {"V1": 1.0, "V2": 4.0}, "trusted_launch_adoption": 0.9,
    "secure_boot_adoption": 0.7, "extension_adoption": 0.8,
    "kernel_release_every_days": 2, "rollout_waves": 2,
    "firmware_update_rate": 0.1, "dbx_update_rate": 0.1, "driver_install_rate": 0.1,
    "secure_boot_off_for_driver": 0.5, "infection_rate": 0.05, "mitm_rate": 0.05,
    "extension_outage_rate": 0.1, "extension_outage_days": 2,
    "baseline_policy": "lagged", "baseline_lag_days": 1,
}  # fmt: skip


@pytest.fixture(scope="module")
def both() -> tuple[FleetResult, FleetResult]:
    spec = FleetSpec.from_dict(EVERYTHING)
    return simulate_exact(spec), simulate_fast(spec)


def test_the_spec_exercises_every_event_kind_and_both_images(both: tuple[FleetResult, FleetResult]) -> None:
    exact, _ = both
    assert set(exact.event_counts["kind"]) == set(EVENT_KINDS)
    assert set(exact.round_counts["os"]) == {"ubuntu", "windows"}
    assert exact.alert_counts["suppressed"].any()
    assert exact.alert_counts["compromised"].any()
    assert (~exact.alert_counts["compromised"]).any()
    assert not exact.inventory["trusted_launch"].all()


@pytest.mark.parametrize("table", ["inventory", *AGGREGATE_COLUMNS, "detections"])
def test_same_spec_and_seed_give_equal_tables(both: tuple[FleetResult, FleetResult], table: str) -> None:
    exact, fast = both
    assert len(getattr(exact, table)) > 0
    assert_frame_equal(getattr(exact, table), getattr(fast, table), check_exact=True, obj=table)


def test_equal_tables_with_days_without_periodic_rounds() -> None:
    spec = FleetSpec.from_dict(EVERYTHING | {"vms": 10, "days": 4, "attest_every_hours": 36, "seed": 2})
    exact, fast = simulate_exact(spec), simulate_fast(spec)
    assert set(exact.attestations["trigger"]) == {"boot", "periodic"}
    for table in ("inventory", *AGGREGATE_COLUMNS, "detections"):
        assert_frame_equal(getattr(exact, table), getattr(fast, table), check_exact=True, obj=table)


def test_same_summary_but_for_mode_and_runs(both: tuple[FleetResult, FleetResult]) -> None:
    exact, fast = both
    a, b = summary(exact), summary(fast)
    assert (a.pop("mode"), b.pop("mode")) == ("exact", "fast")
    assert a.pop("pipeline_runs") == exact.round_counts["rounds"].sum() > 0
    assert b.pop("pipeline_runs") == 0
    assert a == b


# --- statistical agreement ---------------------------------------------------------------------------
#: Alerts from rare, independent, one-day events only (a man-in-the-middle day, a one-day extension
#: outage): each raises one alert on one VM-day, so per cause the alert count is a Poisson count
#: whose mean is the rate times the VM-days.
RARE: dict[str, Any] = {
    "os_mix": {"ubuntu": 1.0, "windows": 1.0}, "days": 10, "mitm_rate": 0.05,
    "extension_outage_rate": 0.05, "extension_outage_days": 1,
}  # fmt: skip
ALPHA = 0.01  # family-wise, Bonferroni over the causes compared


def _per_cause(result: FleetResult) -> dict[str, int]:
    counts = result.alert_counts.groupby("cause")["alerts"].sum()
    return {str(k): int(v) for k, v in counts.items()}


def _p_value(x1: int, exposure1: int, x2: int, exposure2: int) -> float:
    from scipy.stats import binomtest

    return float(binomtest(x1, x1 + x2, exposure1 / (exposure1 + exposure2)).pvalue)


def test_alert_rates_per_cause_agree_across_seeds_and_fleet_sizes() -> None:
    """Exact mode at seed 21 (60 VMs) against fast mode at seed 22 (20,000 VMs): per alert cause, the
    conditional binomial test of two Poisson rates, at a family-wise alpha of 0.01 (Bonferroni).

    Why this test: the two counts are rare events observed over different exposures (VM-days), so each
    is Poisson with mean rate x exposure. Conditional on their sum n, the exact mode's count is
    Binomial(n, E1 / (E1 + E2)) when the rates are equal: the unknown common rate drops out, the test
    is exact for small counts (no normal approximation; the exact run sees a few dozen alerts), and
    the different exposures enter only through E1 / (E1 + E2). Alerts from persistent states
    (an infection, Secure Boot off) come in clusters on one VM, are over-dispersed and would break
    the Poisson assumption: the spec has none (those are checked by the equal-tables tests above).
    """
    exact = simulate_exact(FleetSpec.from_dict(RARE | {"vms": 60, "seed": 21}))
    fast = simulate_fast(FleetSpec.from_dict(RARE | {"vms": 20_000, "seed": 22}))
    a, b = _per_cause(exact), _per_cause(fast)
    assert set(a) == set(b) == {"ak-untrusted", "no-evidence"}
    assert min(a.values()) >= 20  # enough to say something (see the last assertion)
    for cause in a:
        p = _p_value(a[cause], exact.vm_days, b[cause], fast.vm_days)
        assert p > ALPHA / len(a), (cause, a[cause], b[cause], p)
        # and the test has teeth: the same exact count against twice the fast mode's rate is rejected
        assert _p_value(a[cause], exact.vm_days, 2 * b[cause], fast.vm_days) < ALPHA / len(a)
