"""The shared random process: sparse draws, blocks, the state → scenario rules, the daily walk."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

from tlkit.fleet._process import (
    OS_NAMES,
    SCENARIO_RULES,
    UPDATE_KINDS,
    BlockProcess,
    VmStates,
    _resolve,
    bernoulli_cells,
    block_ranges,
    key_space,
    periodic_rounds,
    rule_of,
    vm_names,
)
from tlkit.fleet._spec import OS_IMAGES, FleetSpec


def _block(spec: FleetSpec, stop: int | None = None) -> BlockProcess:
    return BlockProcess(spec, 0, 0, spec.vms if stop is None else stop, key_space())


# --- draws ------------------------------------------------------------------------------------------
def test_bernoulli_cells_edges_and_prefix() -> None:
    rng = np.random.default_rng
    assert bernoulli_cells(rng(1), 0.0, 100).size == 0
    assert list(bernoulli_cells(rng(1), 1.0, 5)) == [0, 1, 2, 3, 4]
    big, small = bernoulli_cells(rng(1), 0.01, 10**6), bernoulli_cells(rng(1), 0.01, 10**4)
    assert list(big[big < 10**4]) == list(small)  # the successes below an index do not depend on cells
    assert np.all(np.diff(big) > 0)
    # 10^6 trials at 1 %: 10,000 expected, sd ~99.5; five sd either side
    assert abs(big.size - 10_000) < 500


def test_block_ranges_cover_the_fleet_in_whole_blocks() -> None:
    assert block_ranges(70_000) == [(0, 0, 65_536), (1, 65_536, 70_000)]
    assert block_ranges(70_000, (65_536, 70_000)) == [(1, 65_536, 70_000)]
    assert block_ranges(3) == [(0, 0, 3)]


def test_vm_names_are_zero_padded() -> None:
    assert list(vm_names(np.array([0, 7, 42]), 4)) == ["vm-0000", "vm-0007", "vm-0042"]


def test_periodic_rounds_per_day() -> None:
    assert list(periodic_rounds(FleetSpec(days=3, attest_every_hours=24))) == [0, 1, 1]
    assert list(periodic_rounds(FleetSpec(days=2, attest_every_hours=8))) == [2, 3]
    assert list(periodic_rounds(FleetSpec(days=4, attest_every_hours=48))) == [0, 0, 1, 0]


# --- rules ------------------------------------------------------------------------------------------
def _states(**values: Any) -> VmStates:
    base = {"os": 0, "secure_boot": True, "infected": False, "driver": False, "update": 0} | values
    return VmStates(*(np.array([base[k]]) for k in ("os", "secure_boot", "infected", "driver", "update")))


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({}, "healthy"),
        ({"secure_boot": False}, "secure-boot-off"),
        ({"infected": True}, "bootkit-refused"),
        ({"infected": True, "secure_boot": False}, "secure-boot-off"),
        ({"driver": True, "update": 1}, "driver-install"),
        ({"update": 1}, "kernel-update"),
        ({"update": 2}, "firmware-update"),
        ({"update": 3}, "dbx-update"),
    ],
)
def test_state_picks_its_rule(values: dict[str, Any], rule: str) -> None:
    assert SCENARIO_RULES[int(rule_of(_states(**values))[0])].name == rule


def test_rules_resolve_to_scenarios_the_simulator_has_for_that_os() -> None:
    from tlkit.boot import SCENARIOS

    registry = {s.name: s.baseline for s in SCENARIOS}
    space = key_space()
    for r, rule in enumerate(SCENARIO_RULES):
        for o, os in enumerate(OS_NAMES):
            name = space.scenarios[space.rule_scenario[r, o]]
            assert name in registry
            assert rule.any_os or registry[name] == OS_IMAGES[os]
    kernel = next(r for r in SCENARIO_RULES if r.name == "kernel-update")
    assert _resolve(kernel, "ubuntu", registry) == "kernel-update"


def test_a_missing_scenario_falls_back_to_the_healthy_boot_and_a_new_one_switches_on() -> None:
    dbx = next(r for r in SCENARIO_RULES if r.name == "dbx-update")
    assert _resolve(dbx, "ubuntu", {"healthy-ubuntu-sb": "healthy-ubuntu-sb"}) == "healthy-ubuntu-sb"
    with_dbx = {"dbx-update": "healthy-ubuntu-sb"}
    assert _resolve(dbx, "ubuntu", with_dbx) == "dbx-update"
    assert _resolve(dbx, "windows", with_dbx) == "healthy-windows-vbs"  # an Ubuntu boot is not Windows'


def test_keys_round_trip() -> None:
    space = key_space()
    key = space.encode(1, 2, 5, 2)
    assert space.decode(int(key)) == ("windows", space.scenarios[2], 5, "mitm")
    assert 0 <= int(key) < space.size


# --- the block --------------------------------------------------------------------------------------
_MIXED = FleetSpec(
    vms=300, days=12, os_mix={"ubuntu": 1.0, "windows": 1.0}, family_mix={"D": 1.0, "N": 1.0},
    generation_mix={"V1": 1.0, "V2": 3.0}, trusted_launch_adoption=0.9, secure_boot_adoption=0.8,
    kernel_release_every_days=3, rollout_waves=2, wave_spacing_days=1, driver_install_rate=0.05,
    secure_boot_off_for_driver=0.5, infection_rate=0.01, mitm_rate=0.01, extension_outage_rate=0.02, seed=4,
)  # fmt: skip


def test_same_seed_same_inventory_and_a_vms_draws_do_not_depend_on_the_fleet_size() -> None:
    whole = _block(_MIXED).inventory()
    assert_frame_equal(_block(_MIXED).inventory(), whole)
    part = _block(_MIXED, stop=50).inventory()
    assert_frame_equal(part, whole.iloc[:50])


def test_only_capable_vms_get_trusted_launch_and_standard_vms_nothing() -> None:
    inv = _block(_MIXED).inventory()
    assert not inv.loc[inv["generation"] == "V1", "trusted_launch"].any()
    standard = inv[~inv["trusted_launch"]]
    assert not standard[["secure_boot", "vtpm", "extension"]].any().any()
    assert 0 < inv["trusted_launch"].mean() < 1


def _walk(spec: FleetSpec) -> Any:
    return _block(spec).days()  # a day's arrays are valid until the next day: use them in the loop


def test_kernel_releases_roll_out_by_wave() -> None:
    spec = FleetSpec(vms=40, days=10, kernel_release_every_days=3, rollout_waves=2, wave_spacing_days=1)
    block = _block(spec)
    wave = block.wave
    for d in block.days():
        updated = set(d.events.get("kernel-update", np.zeros(0, int)).tolist())
        expected = {v for v in range(40) if (d.day - wave[v]) >= 3 and (d.day - wave[v]) % 3 == 0}
        assert updated == expected, d.day
    assert {0, 1} == set(wave.tolist())


def test_rounds_are_the_periodic_ones_plus_a_boot_round() -> None:
    for d in _walk(_MIXED):
        booted = np.isin(d.attested, d.events.get("boot", []))
        assert np.array_equal(d.rounds, periodic_rounds(_MIXED)[d.day] + booted)
        assert np.array_equal(d.booted, booted)


def test_infections_and_mitm_days_are_ground_truth() -> None:
    infected: set[int] = set()
    for d in _walk(_MIXED):
        infected |= set(d.events.get("infection", np.zeros(0, int)).tolist())
        truth = infected | set(d.events.get("mitm", np.zeros(0, int)).tolist())
        assert set(np.flatnonzero(d.compromised).tolist()) == truth


def test_baseline_bits_follow_the_policy() -> None:
    spec = FleetSpec(
        vms=3, days=8, kernel_release_every_days=3, baseline_policy="lagged", baseline_lag_days=2
    )
    space = key_space()
    bits = {d.day: {space.decode(int(k))[2] for k in d.key} for d in _walk(spec)}
    kernel = 1 << UPDATE_KINDS.index("kernel-update")
    # release 1 on day 3 is in the baseline from day 5; release 2 on day 6 clears it until day 8
    assert bits == {0: {0}, 1: {0}, 2: {0}, 3: {0}, 4: {0}, 5: {kernel}, 6: {0}, 7: {0}}


def test_a_composition_replaces_the_mixes_and_its_capable_flag_decides() -> None:
    rows = [
        {"os": "windows", "family": "NCv3", "region": "westeurope", "generation": "V2", "capable": False,
         "weight": 1.0},
        {"os": "ubuntu", "family": "Dsv5", "region": "eastus", "generation": "V2", "capable": True,
         "weight": 3.0},
    ]  # fmt: skip
    inv = _block(FleetSpec(vms=400, composition=tuple(rows), os_mix={"windows": 1.0})).inventory()
    pairs = set(zip(inv["os"].astype(str), inv["family"].astype(str), inv["region"].astype(str), strict=True))
    assert pairs == {("windows", "NCv3", "westeurope"), ("ubuntu", "Dsv5", "eastus")}
    assert not inv.loc[inv["family"] == "NCv3", "trusted_launch"].any()  # a V2 VM the matrix says cannot
    assert inv.loc[inv["family"] == "Dsv5", "trusted_launch"].all()
    assert 0.65 < (inv["os"] == "ubuntu").mean() < 0.85  # weight 3 of 4
