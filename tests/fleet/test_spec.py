"""FleetSpec: validation naming the field, JSON and YAML round trips, fuzzed loading."""

from __future__ import annotations

import contextlib
import math
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tlkit.errors import DataError, MissingComponentError, TlkitError
from tlkit.fleet._spec import BASELINE_POLICIES, GENERATIONS, OS_IMAGES, FleetSpec

_ROW: dict[str, Any] = {
    "os": "ubuntu", "family": "Dsv5", "region": "eastus", "generation": "V2", "capable": True, "weight": 1.0,
}  # fmt: skip


def test_os_images_are_the_simulators_healthy_boots() -> None:
    from tlkit.boot import SCENARIOS

    assert dict(OS_IMAGES) == {"ubuntu": "healthy-ubuntu-sb", "windows": "healthy-windows-vbs"}
    assert set(OS_IMAGES.values()) <= {s.name for s in SCENARIOS}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vms": 0}, "vms"),
        ({"vms": True}, "vms"),
        ({"vms": 2.5}, "vms"),
        ({"days": 0}, "days"),
        ({"attest_every_hours": 0}, "attest_every_hours"),
        ({"seed": -1}, "seed"),
        ({"os_mix": {"debian": 1.0}}, "os_mix"),
        ({"os_mix": {"ubuntu": 0.0}}, "os_mix"),
        ({"os_mix": {"ubuntu": -1.0, "windows": 2.0}}, "os_mix"),
        ({"os_mix": {}}, "os_mix"),
        ({"os_mix": ["ubuntu"]}, "os_mix"),
        ({"family_mix": {"": 1.0}}, "family_mix"),
        ({"family_mix": {"Dsv5": math.nan}}, "family_mix"),
        ({"secure_boot_adoption": 1.5}, "secure_boot_adoption"),
        ({"vtpm_adoption": -0.1}, "vtpm_adoption"),
        ({"extension_adoption": "all"}, "extension_adoption"),
        ({"firmware_update_rate": math.inf}, "firmware_update_rate"),
        ({"infection_rate": 2}, "infection_rate"),
        ({"kernel_update_rate": 0.1}, "kernel_update_rate"),  # removed: rollout waves replace it
        ({"region_mix": {"": 1.0}}, "region_mix"),
        ({"generation_mix": {"V3": 1.0}}, "generation_mix"),
        ({"generation_mix": {"V1": 0.0}}, "generation_mix"),
        ({"composition": "ubuntu"}, "composition"),
        ({"composition": [{"os": "ubuntu"}]}, "composition"),
        ({"composition": [dict(_ROW, os="debian")]}, "composition"),
        ({"composition": [dict(_ROW, generation="V9")]}, "composition"),
        ({"composition": [dict(_ROW, capable="yes")]}, "composition"),
        ({"composition": [dict(_ROW, weight=0.0)]}, "composition"),
        ({"composition": [dict(_ROW, family="")]}, "composition"),
        ({"trusted_launch_adoption": 1.01}, "trusted_launch_adoption"),
        ({"kernel_release_every_days": -1}, "kernel_release_every_days"),
        ({"kernel_release_every_days": 1.5}, "kernel_release_every_days"),
        ({"rollout_waves": 0}, "rollout_waves"),
        ({"wave_spacing_days": -1}, "wave_spacing_days"),
        ({"dbx_update_rate": -0.5}, "dbx_update_rate"),
        ({"secure_boot_off_for_driver": 1.5}, "secure_boot_off_for_driver"),
        ({"mitm_rate": "often"}, "mitm_rate"),
        ({"extension_outage_rate": math.nan}, "extension_outage_rate"),
        ({"extension_outage_days": 0}, "extension_outage_days"),
        ({"baseline_policy": "sometimes"}, "baseline_policy"),
        ({"baseline_lag_days": 3}, "baseline_lag_days"),
        ({"baseline_policy": "lagged", "baseline_lag_days": -1}, "baseline_lag_days"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_value_names_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(DataError) as err:
        FleetSpec.from_dict(changes)
    assert err.value.field == field
    assert field in str(err.value)


def test_defaults_are_a_valid_spec_and_mixes_are_read_only() -> None:
    spec = FleetSpec()
    assert spec.baseline_policy in BASELINE_POLICIES
    with pytest.raises(TypeError):
        spec.os_mix["windows"] = 1.0  # type: ignore[index]
    assert hash(spec) == hash(FleetSpec.from_json(spec.to_json()))
    assert len({spec, FleetSpec(), FleetSpec(seed=1)}) == 2


_mix = st.dictionaries(
    st.text(min_size=1, max_size=8), st.floats(0.01, 100, allow_nan=False), min_size=1, max_size=4
)
_unit = st.floats(0.0, 1.0, allow_nan=False)
_names = st.text(min_size=1, max_size=8)
_rows = st.fixed_dictionaries(
    {
        "os": st.sampled_from(sorted(OS_IMAGES)),
        "family": _names,
        "region": _names,
        "generation": st.sampled_from(GENERATIONS),
        "capable": st.booleans(),
        "weight": st.floats(0.01, 100),
    }
)


@st.composite
def specs(draw: st.DrawFn) -> FleetSpec:
    policy = draw(st.sampled_from(BASELINE_POLICIES))
    return FleetSpec(
        vms=draw(st.integers(1, 10**6)),
        os_mix=draw(st.dictionaries(st.sampled_from(sorted(OS_IMAGES)), st.floats(0.01, 10), min_size=1)),
        family_mix=draw(_mix),
        region_mix=draw(_mix),
        generation_mix=draw(st.dictionaries(st.sampled_from(GENERATIONS), st.floats(0.01, 10), min_size=1)),
        composition=tuple(draw(st.lists(_rows, max_size=4))),
        trusted_launch_adoption=draw(_unit),
        secure_boot_adoption=draw(_unit),
        vtpm_adoption=draw(_unit),
        extension_adoption=draw(_unit),
        kernel_release_every_days=draw(st.integers(0, 30)),
        rollout_waves=draw(st.integers(1, 8)),
        wave_spacing_days=draw(st.integers(0, 7)),
        firmware_update_rate=draw(_unit),
        dbx_update_rate=draw(_unit),
        driver_install_rate=draw(_unit),
        secure_boot_off_for_driver=draw(_unit),
        infection_rate=draw(_unit),
        mitm_rate=draw(_unit),
        extension_outage_rate=draw(_unit),
        extension_outage_days=draw(st.integers(1, 10)),
        baseline_policy=policy,
        baseline_lag_days=draw(st.integers(0, 60)) if policy == "lagged" else 0,
        days=draw(st.integers(1, 365)),
        attest_every_hours=draw(st.integers(1, 72)),
        seed=draw(st.integers(0, 2**63)),
    )


@given(specs())
def test_json_round_trip(spec: FleetSpec) -> None:
    again = FleetSpec.from_json(spec.to_json())
    assert again == spec
    assert again.to_dict() == spec.to_dict()


@given(specs())
def test_yaml_round_trip(spec: FleetSpec) -> None:
    pytest.importorskip("yaml")
    assert FleetSpec.from_yaml(spec.to_yaml()) == spec


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_fields = sorted(FleetSpec().to_dict())


@given(st.dictionaries(st.sampled_from(_fields) | st.text(max_size=6), _json, max_size=6) | _json)
def test_from_dict_fuzz_only_raises_tlkit_errors(data: Any) -> None:
    try:
        spec = FleetSpec.from_dict(data)
    except TlkitError:
        return
    assert FleetSpec.from_json(spec.to_json()) == spec


@given(st.binary(max_size=60) | st.text(max_size=60))
def test_from_json_and_yaml_fuzz_only_raise_tlkit_errors(text: bytes | str) -> None:
    for load in (FleetSpec.from_json, FleetSpec.from_yaml):
        with contextlib.suppress(TlkitError):
            load(text)


def test_yaml_without_pyyaml_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # None in sys.modules: the import fails
    with pytest.raises(MissingComponentError) as err:
        FleetSpec().to_yaml()
    assert err.value.component == "pyyaml"
    with pytest.raises(MissingComponentError):
        FleetSpec.from_yaml("vms: 3")


def test_the_composition_is_read_only_and_round_trips_as_a_list() -> None:
    spec = FleetSpec(composition=[_ROW, dict(_ROW, generation="V1", capable=False, weight=2)])  # type: ignore[arg-type]
    assert isinstance(spec.composition, tuple)
    with pytest.raises(TypeError):
        spec.composition[0]["os"] = "windows"  # type: ignore[index]
    assert spec.to_dict()["composition"][1] == dict(_ROW, generation="V1", capable=False, weight=2)
    assert FleetSpec.from_json(spec.to_json()) == spec
    assert hash(FleetSpec.from_json(spec.to_json())) == hash(spec)


def test_a_bad_composition_row_is_named_by_index() -> None:
    with pytest.raises(DataError) as err:
        FleetSpec(composition=(_ROW, dict(_ROW, weight=-1.0)))
    assert err.value.record == 1
    assert "composition[1].weight" in str(err.value)


def test_json_that_is_not_json_is_a_data_error() -> None:
    with pytest.raises(DataError, match="not valid JSON"):
        FleetSpec.from_json("{vms: 3")
