"""Metrics read only the aggregates: rates per 1,000 VM-days over the right population, false
positives, time to detect, coverage and suppression."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tlkit.errors import DataError
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._metrics import (
    alert_rates,
    attestation_coverage,
    false_positive_share,
    suppressed_counts,
    time_to_detect,
)
from tlkit.fleet._result import FleetResult
from tlkit.fleet._spec import FleetSpec

_BASE: dict[str, Any] = {
    "vms": 400, "days": 6, "seed": 3, "os_mix": {"ubuntu": 1.0, "windows": 1.0},
    "family_mix": {"D": 1.0, "N": 1.0, "E": 1.0}, "secure_boot_adoption": 0.8,
    "infection_rate": 0.01, "mitm_rate": 0.01, "driver_install_rate": 0.05, "secure_boot_off_for_driver": 1.0,
}  # fmt: skip


@pytest.fixture(scope="module")
def fleet() -> FleetResult:
    return simulate_fast(FleetSpec.from_dict(_BASE))


def _total(result: FleetResult) -> int:
    a = result.alert_counts
    return int(a.loc[~a["suppressed"], "alerts"].sum())


@pytest.mark.parametrize("by", ["os", "family"])
def test_rates_by_a_population_use_its_vm_days(fleet: FleetResult, by: str) -> None:
    rates = alert_rates(fleet, by)
    sizes = fleet.inventory[by].astype(str).value_counts()
    assert dict(zip(rates[by], rates["vm_days"], strict=True)) == {k: v * 6 for k, v in sizes.items()}
    assert rates["alerts"].sum() == _total(fleet)
    row = rates.iloc[0]
    assert row["per_1000_vm_days"] == pytest.approx(1000 * row["alerts"] / row["vm_days"])


def test_rates_by_day_use_the_fleet_per_day(fleet: FleetResult) -> None:
    rates = alert_rates(fleet, "day")
    assert list(rates["day"]) == list(range(6))
    assert set(rates["vm_days"]) == {400}


def test_rates_by_cause_use_every_vm_day_and_mixed_groupings_the_population(fleet: FleetResult) -> None:
    by_cause = alert_rates(fleet, "cause")
    assert set(by_cause["vm_days"]) == {400 * 6}
    assert by_cause["alerts"].sum() == _total(fleet)
    mixed = alert_rates(fleet, ("os", "cause"))
    sizes = fleet.inventory["os"].astype(str).value_counts()
    assert all(v == sizes[os] * 6 for os, v in zip(mixed["os"], mixed["vm_days"], strict=True))
    assert (
        alert_rates(fleet, "cause", include_suppressed=True)["alerts"].sum()
        == fleet.alert_counts["alerts"].sum()
    )


@pytest.mark.parametrize("by", ["region", (), ("os", "colour")])
def test_an_unknown_grouping_is_named(fleet: FleetResult, by: Any) -> None:
    with pytest.raises(DataError) as err:
        alert_rates(fleet, by)
    assert err.value.field == "by"


def test_false_positive_share_is_the_uncompromised_alerts_share(fleet: FleetResult) -> None:
    a = fleet.alert_counts[~fleet.alert_counts["suppressed"]]
    expected = a.loc[~a["compromised"], "alerts"].sum() / a["alerts"].sum()
    assert false_positive_share(fleet) == pytest.approx(expected)
    assert 0 < false_positive_share(fleet) < 1


def test_time_to_detect_per_attack(fleet: FleetResult) -> None:
    ttd = time_to_detect(fleet).set_index("attack")
    assert ttd.loc["mitm", "detected_share"] == 1.0  # every attested VM's rounds that day say ak-untrusted
    assert ttd.loc["mitm", "median_days"] == 0.0
    assert ttd.loc["infection", "attacks"] == (fleet.detections["attack"] == "infection").sum() > 0
    blind = simulate_fast(FleetSpec.from_dict(_BASE | {"trusted_launch_adoption": 0.0}))
    row = time_to_detect(blind).set_index("attack").loc["infection"]
    assert row["detected"] == 0
    assert row["detected_share"] == 0.0
    assert math.isnan(row["median_days"])


def test_coverage_is_attested_vm_days(fleet: FleetResult) -> None:
    attested = len(fleet.inventory.query("vtpm and extension"))
    assert attestation_coverage(fleet) == attested * 6 / (400 * 6)
    none = simulate_fast(FleetSpec.from_dict(_BASE | {"extension_adoption": 0.0}))
    assert attestation_coverage(none) == 0.0
    assert math.isnan(false_positive_share(none))


def test_suppressed_counts_say_what_the_by_design_rule_hid(fleet: FleetResult) -> None:
    counts = suppressed_counts(fleet).set_index("cause")
    assert counts.loc["secure-boot-disabled", "suppressed"] > 0
    assert (
        counts["suppressed"].sum() == fleet.alert_counts.loc[fleet.alert_counts["suppressed"], "alerts"].sum()
    )
    assert (counts["suppressed_share"] <= 1).all()
