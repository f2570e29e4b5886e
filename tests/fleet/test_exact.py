"""Exact-mode simulation: determinism, the state → scenario table, and outcomes on small fleets whose
answer follows from the pipeline (each run goes through the real boot → verify → Defender chain)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pandas.testing import assert_frame_equal

from tlkit.boot import SCENARIOS
from tlkit.errors import DataError
from tlkit.fleet._exact import (
    ATTESTATION_COLUMNS,
    EVENT_COLUMNS,
    INVENTORY_COLUMNS,
    SCENARIO_RULES,
    FleetResult,
    VmState,
    boot_scenario,
    simulate_exact,
)
from tlkit.fleet._metrics import alert_rates, alerts, attestation_coverage, false_positive_share
from tlkit.fleet._spec import OS_IMAGES, FleetSpec

_FRAMES = ("inventory", "events", "attestations", "findings")


def _spec(**changes: Any) -> FleetSpec:
    base: dict[str, Any] = {"vms": 2, "days": 3, "attest_every_hours": 24, "seed": 7}
    return FleetSpec(**(base | changes))


@pytest.fixture(scope="module")
def mixed() -> FleetResult:
    return simulate_exact(
        _spec(
            vms=4,
            os_mix={"ubuntu": 1.0, "windows": 1.0},
            secure_boot_adoption=0.5,
            kernel_release_every_days=2,
            driver_install_rate=0.2,
            infection_rate=0.2,
            seed=11,
        )
    )


# --- the table -------------------------------------------------------------------------------------
def test_every_rule_maps_every_os_image_to_a_simulator_scenario() -> None:
    known = {s.name for s in SCENARIOS}
    for rule in SCENARIO_RULES:
        assert set(rule.scenarios) == set(OS_IMAGES), rule.name
        assert set(rule.scenarios.values()) <= known, rule.name
    assert SCENARIO_RULES[-1].name == "healthy"


@pytest.mark.parametrize(
    ("state", "scenario"),
    [
        (VmState("ubuntu", True), "healthy-ubuntu-sb"),
        (VmState("windows", True), "healthy-windows-vbs"),
        (VmState("ubuntu", False), "secure-boot-off"),
        (VmState("ubuntu", True, infected=True), "bootkit"),
        (VmState("ubuntu", False, infected=True), "secure-boot-off"),
        (VmState("ubuntu", True, driver=True, update="kernel-update"), "unsigned-kernel-module"),
        (VmState("windows", True, driver=True), "hvci-blocks-driver"),
        (VmState("ubuntu", True, update="kernel-update"), "kernel-update"),
        (VmState("ubuntu", True, update="firmware-update"), "firmware-update"),
    ],
)
def test_state_picks_its_scenario(state: VmState, scenario: str) -> None:
    assert boot_scenario(state) == scenario


# --- determinism and shape ------------------------------------------------------------------------
def test_same_spec_same_frames(mixed: FleetResult) -> None:
    again = simulate_exact(mixed.spec)
    for name in _FRAMES:
        assert_frame_equal(getattr(again, name), getattr(mixed, name))
    assert again.pipeline_runs == mixed.pipeline_runs == len(mixed.attestations)


def test_frames_have_their_documented_columns(mixed: FleetResult) -> None:
    from tlkit.defender import FINDING_COLUMNS

    assert tuple(mixed.inventory.columns) == tuple(INVENTORY_COLUMNS)
    assert tuple(mixed.events.columns) == tuple(EVENT_COLUMNS)
    assert tuple(mixed.attestations.columns) == tuple(ATTESTATION_COLUMNS)
    assert tuple(mixed.findings.columns) == (*FINDING_COLUMNS, "day")
    assert len(mixed.inventory) == 4
    assert set(mixed.events.query("day == 0")["kind"]) == {"boot"}  # day 0 is the enrolment boot


def test_a_vms_draws_do_not_depend_on_the_fleet_size(mixed: FleetResult) -> None:
    small = simulate_exact(FleetSpec.from_dict(mixed.spec.to_dict() | {"vms": 1}))
    for name in ("inventory", "events", "attestations"):
        big = getattr(mixed, name)
        assert_frame_equal(getattr(small, name), big[big["vm"] == "vm-0"].reset_index(drop=True))


def test_another_seed_gives_another_fleet(mixed: FleetResult) -> None:
    other = simulate_exact(FleetSpec.from_dict(mixed.spec.to_dict() | {"seed": 12, "days": 1}))
    assert not other.inventory.equals(mixed.inventory)


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
    assert alerts(result).empty
    assert result.findings.empty  # every recommendation is healthy too
    assert attestation_coverage(result) == 1.0
    assert math.isnan(false_positive_share(result))
    rates = alert_rates(result)
    assert (rates["by"] == "os").all()
    assert (rates["alerts"] == 0).all()
    assert rates["vm_days"].sum() == result.vm_days


def test_kernel_updates_without_baseline_updates_are_all_false_positives() -> None:
    result = simulate_exact(_spec(kernel_release_every_days=1, baseline_policy="never"))
    failed = result.attestations[~result.attestations["passed"]]
    assert set(failed["day"]) == {1, 2}  # every round after the first update (day 1)
    assert set(failed["codes"]) == {"baseline-deviation"}
    assert false_positive_share(result) == 1.0
    rates = alert_rates(result)
    by_cause = rates[rates["by"] == "cause"].set_index("value")["alerts"]
    assert list(by_cause.index) == ["baseline-deviation"]
    assert by_cause.iloc[0] == len(failed)
    assert not result.events["ground_truth_compromised"].any()


def test_immediate_baseline_updates_raise_nothing_from_updates() -> None:
    result = simulate_exact(_spec(kernel_release_every_days=1, firmware_update_rate=0.5))
    assert (result.events["kind"] == "kernel-update").sum() == 4
    assert result.attestations["passed"].all()
    assert alerts(result).empty


def test_a_lagged_baseline_alerts_until_it_catches_up() -> None:
    result = simulate_exact(
        _spec(vms=1, days=4, kernel_release_every_days=1, baseline_policy="lagged", baseline_lag_days=1)
    )
    # updates on days 1-3; the day-1 update reaches the baseline on day 2, and day 2's and 3's
    # boots are the same updated kernel: only day 1 fails.
    failed = result.attestations[~result.attestations["passed"]]
    assert set(failed["day"]) == {1}
    assert set(alerts(result)["day"]) == {1}


def test_infections_are_caught_as_no_evidence_and_are_true_positives() -> None:
    result = simulate_exact(_spec(infection_rate=1.0))
    infected = result.events[result.events["day"] >= 1]
    assert infected["ground_truth_compromised"].all()
    assert set(infected.loc[infected["kind"] == "boot", "scenario"]) == {"bootkit"}
    found = alerts(result)
    assert set(found["cause"]) == {"no-evidence"}
    assert found["compromised"].all()
    assert false_positive_share(result) == 0.0


def test_unsigned_drivers_alert_as_untrusted_modules_on_healthy_vms() -> None:
    result = simulate_exact(_spec(vms=1, days=2, driver_install_rate=1.0))
    found = alerts(result)
    assert set(found["cause"]) == {"untrusted-kernel-module"}
    assert set(found["name"]) == {"Untrusted Linux kernel module"}
    assert set(found["severity"]) == {"Low"}
    assert set(found["day"]) == {1}  # installed on day 1, refused at every boot and round after
    assert false_positive_share(result) == 1.0


@pytest.mark.parametrize("adoption", ["vtpm_adoption", "extension_adoption"])
def test_vms_without_vtpm_or_extension_are_not_attested_not_failed(adoption: str) -> None:
    result = simulate_exact(
        _spec(vms=2, days=2, kernel_release_every_days=1, baseline_policy="never", **{adoption: 0.0})
    )
    assert result.attestations.empty
    assert result.pipeline_runs == 0
    assert attestation_coverage(result) == 0.0
    assert alerts(result).empty
    assert set(result.findings["kind"]) == {"recommendation"}


def test_secure_boot_off_windows_alerts_on_every_round() -> None:
    result = simulate_exact(_spec(vms=1, days=2, os_mix={"windows": 1.0}, secure_boot_adoption=0.0))
    assert set(result.attestations["scenario"]) == {"test-signing"}
    assert not result.attestations["passed"].any()
    found = alerts(result)
    assert set(found["day"]) == {0, 1}
    assert "secure-boot-disabled" in set(found["cause"])
    assert false_positive_share(result) == 1.0
    rates = alert_rates(result).set_index(["by", "value"])
    assert rates.loc[("os", "windows"), "per_1000_vm_days"] == pytest.approx(1000 * len(found) / 2)


def test_attesting_every_other_day_covers_half_the_vm_days() -> None:
    result = simulate_exact(_spec(vms=1, days=4, attest_every_hours=48))
    # the enrolment boot's round (hour 0) and the periodic round at hour 48: days 0 and 2
    assert list(result.attestations["hour"]) == [0, 48]
    assert attestation_coverage(result) == 0.5
