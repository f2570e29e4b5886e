"""tlkit.fleet._sweep: one row per value, each the headline of that fleet simulated with the same seed."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from tlkit.errors import DataError
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._spec import FleetSpec
from tlkit.fleet._sweep import HEADLINE_COLUMNS, SWEEP_COLUMNS, headline, sweep, with_value

SPEC = FleetSpec(
    vms=400,
    os_mix={"ubuntu": 0.5, "windows": 0.5},
    kernel_release_every_days=5,
    rollout_waves=2,
    driver_install_rate=0.01,
    secure_boot_off_for_driver=0.5,
    infection_rate=0.002,
    mitm_rate=0.001,
    days=20,
    seed=3,
)


def test_headline_is_read_from_the_aggregates() -> None:
    result = simulate_fast(SPEC)
    h = headline(result)
    assert list(h) == list(HEADLINE_COLUMNS)
    a = result.alert_counts
    shown = a[~a["suppressed"]]
    assert h["alerts"] == shown["alerts"].sum() > 0
    assert h["alerts_per_day"] == pytest.approx(shown["alerts"].sum() / SPEC.days)
    assert h["alerts_per_1000_vm_days"] == pytest.approx(1000 * shown["alerts"].sum() / (400 * 20))
    real = shown.loc[shown["compromised"], "alerts"].sum()
    assert h["false_positive_share"] == pytest.approx(1 - real / shown["alerts"].sum())
    assert h["suppressed"] == a.loc[a["suppressed"], "alerts"].sum() > 0  # GPU VMs with Secure Boot off
    d = result.detections
    assert h["attacks"] == len(d) > 0
    assert h["detected_share"] == pytest.approx(d["detected_day"].notna().mean())
    assert h["median_days_to_detect"] == pytest.approx((d["detected_day"] - d["start_day"]).median())
    assert 0 < h["coverage"] <= 1


def test_a_lag_sweep_runs_one_fleet_per_value() -> None:
    table = sweep(SPEC, "baseline_lag_days", [0, 2, 6])
    assert list(table.columns) == list(SWEEP_COLUMNS)
    assert table["value"].tolist() == [0, 2, 6]
    for row in table.itertuples(index=False):
        alone = headline(simulate_fast(with_value(SPEC, "baseline_lag_days", row.value)))
        for column, want in alone.items():
            got = getattr(row, column)
            assert got == pytest.approx(want, nan_ok=True), (row.value, column)
    # same seed, same attacks: a later baseline only adds false positives
    assert table["attacks"].nunique() == 1
    real = table["alerts"] * (1 - table["false_positive_share"])
    assert real.round(6).nunique() == 1
    assert table["alerts"].is_monotonic_increasing
    assert table["alerts"].iloc[-1] > table["alerts"].iloc[0]


def test_with_value_sets_the_policy_that_goes_with_a_lag() -> None:
    assert with_value(SPEC, "baseline_lag_days", 0).baseline_policy == "immediate"
    lagged = with_value(SPEC, "baseline_lag_days", 4)
    assert (lagged.baseline_policy, lagged.baseline_lag_days) == ("lagged", 4)
    assert with_value(SPEC, "vms", 10).vms == 10
    assert with_value(SPEC, "vms", 10).seed == SPEC.seed


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [("no_such_field", 1, "no_such_field"), ("seed", 1, "seed"), ("infection_rate", 2.0, "infection_rate")],
)
def test_bad_sweeps_name_the_field_before_simulating(field: str, value: object, named: str) -> None:
    with pytest.raises(DataError) as e:
        sweep(SPEC, field, [0.0, value])
    assert e.value.field == named


def test_no_values_give_an_empty_table_with_its_columns() -> None:
    table = sweep(SPEC, "vms", [])
    assert table.empty
    assert dict(table.dtypes.astype(str)) == SWEEP_COLUMNS


def test_exact_and_fast_sweeps_agree_exactly() -> None:
    """Both modes give identical aggregates for the same spec and seed (design contract), so identical
    headline rows."""
    tiny = dataclasses.replace(SPEC, vms=12, days=8, infection_rate=0.02, mitm_rate=0.01)
    exact = sweep(tiny, "baseline_lag_days", [0, 2], mode="exact")
    fast = sweep(tiny, "baseline_lag_days", [0, 2])
    pd.testing.assert_frame_equal(exact, fast)
    assert exact["alerts"].sum() > 0
    with pytest.raises(DataError) as e:
        sweep(tiny, "vms", [5], mode="dask")
    assert e.value.field == "mode"
