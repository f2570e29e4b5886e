"""Fast mode: determinism, block-aligned parts that combine into the whole, and outcomes whose answer
follows from the pipeline's outcome table."""

from __future__ import annotations

from typing import Any

import pytest
from pandas.testing import assert_frame_equal

from tlkit.errors import DataError
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._process import BLOCK, INVENTORY_COLUMNS
from tlkit.fleet._result import (
    AGGREGATE_COLUMNS,
    ATTESTATION_COLUMNS,
    DETECTION_COLUMNS,
    EVENT_COLUMNS,
    FleetResult,
    combine,
)
from tlkit.fleet._spec import FleetSpec

AGGREGATES = (*AGGREGATE_COLUMNS, "detections")

BUSY: dict[str, Any] = {
    "os_mix": {"ubuntu": 1.0, "windows": 1.0}, "family_mix": {"Dsv5": 2.0, "NCv3": 1.0},
    "secure_boot_adoption": 0.9, "extension_adoption": 0.9,
    "kernel_release_every_days": 3, "rollout_waves": 2,
    "firmware_update_rate": 0.01, "dbx_update_rate": 0.01, "driver_install_rate": 0.01,
    "secure_boot_off_for_driver": 0.5, "infection_rate": 0.005, "mitm_rate": 0.005,
    "extension_outage_rate": 0.01, "extension_outage_days": 2, "baseline_policy": "lagged",
    "baseline_lag_days": 1, "days": 8, "seed": 9,
}  # fmt: skip


def _spec(**changes: Any) -> FleetSpec:
    return FleetSpec.from_dict(BUSY | changes)


def _same(a: FleetResult, b: FleetResult) -> None:
    assert_frame_equal(a.inventory, b.inventory)
    for name in AGGREGATES:
        assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


@pytest.fixture(scope="module")
def busy() -> FleetResult:
    return simulate_fast(_spec(vms=500))


def test_same_spec_same_tables(busy: FleetResult) -> None:
    _same(simulate_fast(busy.spec), busy)
    assert busy.mode == "fast"
    assert busy.pipeline_runs == 0


def test_tables_have_their_columns_and_dtypes(busy: FleetResult) -> None:
    assert dict(busy.inventory.dtypes.astype(str)) == dict(INVENTORY_COLUMNS)
    for name, (columns, _) in AGGREGATE_COLUMNS.items():
        frame = getattr(busy, name)
        assert list(frame.columns) == list(columns), name
        assert len(frame) > 0, name
        keys = [c for c in columns if c not in AGGREGATE_COLUMNS[name][1]]
        assert frame[keys].equals(frame.sort_values(keys)[keys].reset_index(drop=True)), name
    assert list(busy.detections.columns) == list(DETECTION_COLUMNS)
    assert list(busy.events.columns) == list(EVENT_COLUMNS)
    assert busy.events.empty
    assert list(busy.attestations.columns) == list(ATTESTATION_COLUMNS)
    assert busy.attestations.empty
    assert busy.findings.empty


def test_every_event_kind_happens_and_counts_are_consistent(busy: FleetResult) -> None:
    kinds = set(busy.event_counts["kind"])
    assert kinds == {
        "boot", "kernel-update", "firmware-update", "dbx-update", "driver-install", "secure-boot-off",
        "infection", "mitm", "extension-outage",
    }  # fmt: skip
    boots = busy.event_counts.query("kind == 'boot' and day == 0")["events"].sum()
    assert boots == 500
    attested = busy.inventory.query("vtpm and extension")
    vm_days = busy.round_counts.groupby("day")["vm_days"].sum()
    assert (vm_days.iloc[1:] == len(attested)).all()  # attested daily: every attested VM, every day
    attacks = busy.detections.groupby("attack").size()
    events = busy.event_counts.groupby("kind")["events"].sum()
    assert attacks["infection"] == events["infection"]
    assert attacks["mitm"] == events["mitm"]


def test_mitm_days_are_caught_the_same_day(busy: FleetResult) -> None:
    mitm = busy.detections[busy.detections["attack"] == "mitm"]
    assert len(mitm) > 0
    assert (mitm["detected_day"] == mitm["start_day"]).all()  # ak-untrusted on the day's rounds


def test_block_aligned_parts_combine_into_the_whole() -> None:
    spec = FleetSpec.from_dict(BUSY | {"vms": BLOCK + 300, "days": 3})
    whole = simulate_fast(spec)
    parts = [simulate_fast(spec, vm_range=(BLOCK, BLOCK + 300)), simulate_fast(spec, vm_range=(0, BLOCK))]
    _same(combine(parts), whole)
    assert list(parts[0].inventory["vm"].iloc[:1]) == [f"vm-{BLOCK:05d}"]


@pytest.mark.parametrize("vm_range", [(0, 10**9), (5, 10), (3, 3), (0, 7.5), "0-10", (1, BLOCK)])
def test_a_bad_vm_range_is_named(vm_range: Any) -> None:
    with pytest.raises(DataError) as err:
        simulate_fast(FleetSpec(vms=BLOCK + 10), vm_range=vm_range)
    assert err.value.field == "vm_range"


def test_rejects_what_is_not_a_spec() -> None:
    with pytest.raises(DataError) as err:
        simulate_fast({"vms": 2})  # type: ignore[arg-type]
    assert err.value.field == "spec"


def test_combine_refuses_mixed_or_overlapping_parts(busy: FleetResult) -> None:
    with pytest.raises(DataError):
        combine([])
    with pytest.raises(DataError, match="overlap"):
        combine([busy, busy])
    other = simulate_fast(_spec(vms=5, seed=1))
    with pytest.raises(DataError, match="another spec"):
        combine([busy, other])


def test_progress_bar_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(vms=20)
    _same(simulate_fast(spec, progress=True), simulate_fast(spec))
    assert "fleet (fast)" in capsys.readouterr().err


# --- outcomes ---------------------------------------------------------------------------------------
def test_a_quiet_fully_adopted_fleet_passes_everything() -> None:
    result = simulate_fast(FleetSpec(vms=50, days=5, os_mix={"ubuntu": 1.0, "windows": 1.0}))
    assert result.round_counts["passed"].all()
    assert result.round_counts["vm_days"].sum() == 50 * 5
    assert result.alert_counts.empty
    assert result.recommendation_counts.empty
    assert result.detections.empty


def test_kernel_updates_never_added_to_the_baseline_fail_every_round_after() -> None:
    result = simulate_fast(FleetSpec(vms=10, days=4, kernel_release_every_days=1, baseline_policy="never"))
    failed = result.round_counts[~result.round_counts["passed"]]
    assert set(failed["day"]) == {1, 2, 3}
    assert set(failed["codes"]) == {"baseline-deviation"}
    assert set(result.alert_counts["cause"]) == {"baseline-deviation"}
    assert not result.alert_counts["compromised"].any()


def test_immediate_baseline_updates_raise_nothing() -> None:
    spec = FleetSpec(
        vms=10, days=4, kernel_release_every_days=1, firmware_update_rate=0.5, dbx_update_rate=0.5
    )
    result = simulate_fast(spec)
    assert result.round_counts["passed"].all()
    assert result.alert_counts.empty


def test_secure_boot_off_by_design_is_suppressed_but_counted() -> None:
    spec = FleetSpec(vms=20, days=3, driver_install_rate=1.0, secure_boot_off_for_driver=1.0)
    result = simulate_fast(spec)
    alerts = result.alert_counts
    suppressed = alerts[alerts["suppressed"]]
    # Secure Boot reported off, and PCR 7's SecureBoot variable deviating: the Secure Boot state alone
    assert set(suppressed["cause"]) == {"secure-boot-disabled", "baseline-deviation"}
    off = result.round_counts.query("scenario == 'secure-boot-off'")
    assert set(off["day"]) == {1, 2}
    assert off["rounds"].sum() == 20 * 2 * 2  # a boot and a periodic round
    assert suppressed["alerts"].sum() == 2 * off["rounds"].sum()  # two alerts a round, both hidden
    assert alerts["suppressed"].all()
