"""Exact-mode simulation: determinism, row tables, and outcomes on small fleets whose answer follows
from the pipeline (each round goes through the real boot → verify → Defender chain)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pandas.testing import assert_frame_equal

from tlkit.errors import DataError
from tlkit.fleet._exact import simulate_exact
from tlkit.fleet._metrics import alert_rates, attestation_coverage, false_positive_share, time_to_detect
from tlkit.fleet._process import INVENTORY_COLUMNS
from tlkit.fleet._result import ATTESTATION_COLUMNS, EVENT_COLUMNS, FleetResult, finding_columns
from tlkit.fleet._spec import FleetSpec

_FRAMES = (
    "inventory", "events", "attestations", "findings", "event_counts", "round_counts", "alert_counts",
    "detections", "recommendation_counts",
)  # fmt: skip


def _spec(**changes: Any) -> FleetSpec:
    base: dict[str, Any] = {"vms": 2, "days": 3, "attest_every_hours": 24, "seed": 7}
    return FleetSpec(**(base | changes))


def _alerts(result: FleetResult) -> Any:
    f = result.findings
    return f[(f["kind"] == "alert") & ~f["suppressed"]]


@pytest.fixture(scope="module")
def mixed() -> FleetResult:
    return simulate_exact(
        _spec(
            vms=4, os_mix={"ubuntu": 1.0, "windows": 1.0}, secure_boot_adoption=0.5,
            kernel_release_every_days=2, driver_install_rate=0.2, infection_rate=0.2, seed=11,
        )
    )  # fmt: skip


# --- determinism and shape ------------------------------------------------------------------------
def test_same_spec_same_frames(mixed: FleetResult) -> None:
    again = simulate_exact(mixed.spec)
    for name in _FRAMES:
        assert_frame_equal(getattr(again, name), getattr(mixed, name), obj=name)
    assert again.pipeline_runs == mixed.pipeline_runs == len(mixed.attestations) > 0
    assert mixed.mode == "exact"


def test_frames_have_their_documented_columns(mixed: FleetResult) -> None:
    assert dict(mixed.inventory.dtypes.astype(str)) == dict(INVENTORY_COLUMNS)
    assert tuple(mixed.events.columns) == tuple(EVENT_COLUMNS)
    assert tuple(mixed.attestations.columns) == tuple(ATTESTATION_COLUMNS)
    assert tuple(mixed.findings.columns) == tuple(finding_columns())
    assert len(mixed.inventory) == 4
    assert set(mixed.events.query("day == 0")["kind"]) == {"boot"}  # day 0 is the enrolment boot


def test_aggregates_are_the_row_tables_summed(mixed: FleetResult) -> None:
    assert mixed.round_counts["rounds"].sum() == len(mixed.attestations)
    assert mixed.event_counts["events"].sum() == len(mixed.events)
    alerts = mixed.findings[mixed.findings["kind"] == "alert"]
    assert mixed.alert_counts["alerts"].sum() == len(alerts)


def test_boot_rows_name_the_scenario_the_attestation_saw(mixed: FleetResult) -> None:
    boots = mixed.events[mixed.events["kind"] == "boot"][["vm", "day", "scenario"]]
    after = mixed.attestations[mixed.attestations["trigger"] == "boot"][["vm", "day", "scenario"]]
    attested = mixed.inventory.query("vtpm and extension")["vm"]
    expected = boots[boots["vm"].isin(attested)].reset_index(drop=True)
    assert_frame_equal(after.reset_index(drop=True), expected)


def test_rejects_what_is_not_a_spec() -> None:
    with pytest.raises(DataError) as err:
        simulate_exact({"vms": 2})  # type: ignore[arg-type]
    assert err.value.field == "spec"


def test_progress_bar_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(vms=1, days=1)
    quiet, shown = simulate_exact(spec), simulate_exact(spec, progress=True)
    assert_frame_equal(quiet.attestations, shown.attestations)
    assert "fleet (exact)" in capsys.readouterr().err


# --- outcomes ---------------------------------------------------------------------------------------
def test_a_quiet_fully_adopted_fleet_raises_nothing_and_is_fully_covered() -> None:
    result = simulate_exact(_spec(os_mix={"ubuntu": 1.0, "windows": 1.0}, vms=3))
    assert result.attestations["passed"].all()
    assert result.findings.empty  # every recommendation is healthy too
    assert attestation_coverage(result) == 1.0
    assert math.isnan(false_positive_share(result))
    rates = alert_rates(result, "os")
    assert (rates["alerts"] == 0).all()
    assert rates["vm_days"].sum() == result.vm_days


def test_kernel_updates_without_baseline_updates_are_all_false_positives() -> None:
    result = simulate_exact(_spec(kernel_release_every_days=1, baseline_policy="never"))
    failed = result.attestations[~result.attestations["passed"]]
    assert set(failed["day"]) == {1, 2}  # every round after the first update (day 1)
    assert set(failed["codes"]) == {"baseline-deviation"}
    assert false_positive_share(result) == 1.0
    by_cause = alert_rates(result, "cause").set_index("cause")["alerts"]
    assert list(by_cause.index) == ["baseline-deviation"]
    assert by_cause.iloc[0] == len(failed)
    assert not result.events["ground_truth_compromised"].any()


def test_immediate_baseline_updates_raise_nothing_from_updates() -> None:
    result = simulate_exact(_spec(kernel_release_every_days=1, firmware_update_rate=0.5, dbx_update_rate=0.5))
    assert (result.events["kind"] == "kernel-update").sum() == 4
    assert result.attestations["passed"].all()
    assert _alerts(result).empty


def test_a_lagged_baseline_alerts_until_it_catches_up() -> None:
    result = simulate_exact(
        _spec(vms=1, days=5, kernel_release_every_days=2, baseline_policy="lagged", baseline_lag_days=1)
    )
    # releases on days 2 and 4, each in the baseline a day later
    failed = result.attestations[~result.attestations["passed"]]
    assert set(failed["day"]) == {2, 4}
    assert set(_alerts(result)["day"]) == {2, 4}


def test_infections_are_caught_as_no_evidence_and_are_true_positives() -> None:
    result = simulate_exact(_spec(infection_rate=1.0))
    infected = result.events[result.events["day"] >= 1]
    assert infected["ground_truth_compromised"].all()
    assert set(infected.loc[infected["kind"] == "boot", "scenario"]) == {"bootkit"}
    assert set(result.alert_counts["cause"]) == {"no-evidence"}
    assert result.alert_counts["compromised"].all()
    assert false_positive_share(result) == 0.0
    ttd = time_to_detect(result).set_index("attack")
    assert ttd.loc["infection", "detected_share"] == 1.0
    assert ttd.loc["infection", "median_days"] == 0.0


def test_unsigned_drivers_alert_as_untrusted_modules_on_healthy_vms() -> None:
    result = simulate_exact(_spec(vms=1, days=2, driver_install_rate=1.0))
    found = _alerts(result)
    assert set(found["name"]) == {"Untrusted Linux kernel module"}
    assert set(found["severity"]) == {"Low"}
    assert set(found["day"]) == {1}  # installed on day 1, refused at every boot and round after
    assert false_positive_share(result) == 1.0


def test_a_mitm_day_is_an_untrusted_ak_and_a_compromise() -> None:
    result = simulate_exact(_spec(vms=1, days=2, mitm_rate=1.0))
    day1 = result.attestations[result.attestations["day"] == 1]
    assert set(day1["codes"]) == {"ak-untrusted"}
    assert result.alert_counts["compromised"].all()
    assert list(result.detections["detected_day"]) == [1.0]


def test_an_extension_outage_is_no_evidence_and_no_compromise() -> None:
    result = simulate_exact(_spec(vms=1, days=3, extension_outage_rate=1.0, extension_outage_days=1))
    failed = result.attestations[~result.attestations["passed"]]
    assert set(failed["codes"]) == {"no-evidence"}
    assert set(failed["day"]) == {1, 2}
    assert not result.alert_counts["compromised"].any()


def test_secure_boot_off_for_a_driver_is_suppressed_by_design() -> None:
    result = simulate_exact(_spec(vms=1, days=2, driver_install_rate=1.0, secure_boot_off_for_driver=1.0))
    assert set(result.events["kind"]) == {"boot", "driver-install", "secure-boot-off"}
    alerts = result.findings[result.findings["kind"] == "alert"]
    hidden = alerts[alerts["suppressed"]]
    assert set(hidden["suppressed_by"]) == {"secure-boot-off-by-design"}
    # Secure Boot reported off, and PCR 7's SecureBoot variable deviating: the Secure Boot state alone
    assert set(result.alert_counts.loc[result.alert_counts["suppressed"], "cause"]) == {
        "secure-boot-disabled",
        "baseline-deviation",
    }
    assert result.alert_counts["suppressed"].all()


@pytest.mark.parametrize("adoption", ["vtpm_adoption", "extension_adoption", "trusted_launch_adoption"])
def test_vms_without_vtpm_or_extension_are_not_attested_not_failed(adoption: str) -> None:
    result = simulate_exact(
        _spec(vms=2, days=2, kernel_release_every_days=1, baseline_policy="never", **{adoption: 0.0})
    )
    assert result.attestations.empty
    assert result.pipeline_runs == 0
    assert attestation_coverage(result) == 0.0
    assert result.alert_counts.empty
    assert set(result.findings["kind"]) == {"recommendation"}
    assert result.recommendation_counts["vms"].sum() >= 2


def test_secure_boot_off_windows_alerts_on_every_round() -> None:
    result = simulate_exact(_spec(vms=1, days=2, os_mix={"windows": 1.0}, secure_boot_adoption=0.0))
    assert set(result.attestations["scenario"]) == {"test-signing"}
    assert not result.attestations["passed"].any()
    found = _alerts(result)
    assert set(found["day"]) == {0, 1}
    assert "secure-boot-disabled" in set(result.alert_counts["cause"])
    assert false_positive_share(result) == 1.0
    rates = alert_rates(result, "os").set_index("os")
    assert rates.loc["windows", "per_1000_vm_days"] == pytest.approx(1000 * len(found) / 2)


def test_attesting_every_other_day_covers_half_the_vm_days() -> None:
    result = simulate_exact(_spec(vms=1, days=4, attest_every_hours=48))
    # the enrolment boot's round (hour 0) and the periodic round at hour 48: days 0 and 2
    assert list(result.attestations["hour"]) == [0, 48]
    assert attestation_coverage(result) == 0.5
