"""FleetSpec from an inventory: composition = a groupby of the inventory, capability from check_vm,
adoption shares, overrides, notes for what was skipped or assumed, JSON round trip, fuzzed inputs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tlkit.defender._model import VmConfig
from tlkit.errors import DataError, TlkitError
from tlkit.fleet._inventory import (
    COMPOSITION_COLUMNS,
    NOTE_CODES,
    InventoryClone,
    fleet_spec_from_inventory,
)
from tlkit.fleet._spec import OS_IMAGES, FleetSpec
from tlkit.support import check_vm, parse_size
from tlkit.support._inventory import InventoryResult, load_inventory

SAMPLES = REPO / "data" / "samples"
SHAPES = ("az-vm-list.json", "resource-graph.json", "resource-graph.csv", "resource-graph-properties.csv")
MALFORMED = {143, 145, 173, 226, 235}  # the sample README's five malformed records
UBUNTU = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2"}


@pytest.fixture(scope="module")
def sample() -> InventoryResult:
    return load_inventory(SAMPLES / "az-vm-list.json")


@pytest.fixture(scope="module")
def clone(sample: InventoryResult) -> InventoryClone:
    return fleet_spec_from_inventory(sample)


def vm(name: str, size: str = "Standard_D2s_v5", *, security: str | None = None, sb: bool = True,
       vtpm: bool = True, gen: str | None = "V2", os_type: str = "Linux", location: str = "westeurope",
       image: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """A minimal ``az vm list`` record (flattened properties)."""
    rec: dict[str, Any] = {
        "id": f"/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/{name}",
        "name": name,
        "location": location,
        "hardwareProfile": {"vmSize": size},
        "storageProfile": {"imageReference": dict(image or UBUNTU), "osDisk": {"osType": os_type}},
        "type": "Microsoft.Compute/virtualMachines",
    }
    if security is not None:
        rec["securityProfile"] = {
            "securityType": security,
            "uefiSettings": {"secureBootEnabled": sb, "vTpmEnabled": vtpm},
        }
    if gen is not None:
        rec["instanceView"] = {"hyperVGeneration": gen}
    return rec


def expected_composition(frame: pd.DataFrame) -> pd.DataFrame:
    """The composition by an independent route: a row loop with tlkit.defender's capability rule
    (VmConfig.from_inventory_row: TL, else check_vm's verdict; undetermined counted not capable),
    then a pandas groupby."""
    rows = []
    for _, row in frame.iterrows():
        undetermined = row["verdict"] == "undetermined" and row["security_type"] != "TrustedLaunch"
        # undetermined: counted as not capable (the default policy); else tlkit.defender's rule
        capable = False if undetermined else VmConfig.from_inventory_row(row).trusted_launch_capable
        generation = row["generation"] if pd.notna(row["generation"]) else None
        if generation is None:
            generation = "V2" if capable else row["generation_guess"]
        if pd.isna(generation):
            continue  # skipped: generation-unknown
        rows.append(
            {
                "os": {"Windows": "windows", "Linux": "ubuntu"}[row["os_type"]],
                "family": parse_size(row["vm_size"]).series,
                "region": row["location"],
                "generation": generation if not capable else "V2",
                "capable": capable,
            }
        )
    keys = list(COMPOSITION_COLUMNS[:-1])
    grouped = pd.DataFrame(rows).groupby(keys, sort=True).size().rename("weight").reset_index()
    return grouped.astype({k: "str" for k in keys if k != "capable"} | {"capable": "bool", "weight": "int64"})


# --- composition ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHAPES)
def test_composition_counts_equal_a_groupby_of_the_inventory(name: str) -> None:
    result = load_inventory(SAMPLES / name)
    clone = fleet_spec_from_inventory(result)
    pd.testing.assert_frame_equal(clone.composition, expected_composition(result.frame))
    assert list(clone.composition.columns) == list(COMPOSITION_COLUMNS)
    spec = clone.spec
    assert [dict(r) for r in spec.composition] == [
        {**r, "weight": float(r["weight"])} for r in clone.composition.to_dict("records")
    ]
    assert all(isinstance(r["weight"], float) and r["weight"] > 0 for r in spec.composition)
    assert {r["os"] for r in spec.composition} == set(OS_IMAGES)  # the real distros are gone
    assert spec.vms == clone.vms_placed == 314
    assert clone.records_in == 320 == clone.vms_placed + len(clone.skipped)


def test_every_export_shape_gives_the_same_spec() -> None:
    specs = {name: fleet_spec_from_inventory(SAMPLES / name).spec for name in SHAPES}
    assert len(set(specs.values())) == 1, specs.keys()


def test_marginal_mixes_and_family_level(clone: InventoryClone, sample: InventoryResult) -> None:
    comp = clone.composition
    assert dict(clone.spec.os_mix) == {os: float(n) for os, n in comp.groupby("os")["weight"].sum().items()}
    assert sum(clone.spec.region_mix.values()) == clone.vms_placed
    assert set(clone.spec.generation_mix) == {"V1", "V2"}
    assert "Dsv5" in clone.spec.family_mix  # Standard_D2s_v5 and friends: the size series
    coarse = fleet_spec_from_inventory(sample, family_by="family")
    assert set(coarse.composition["family"]) == {parse_size(s).family for s in sample.frame["vm_size"]}
    assert coarse.vms_placed == clone.vms_placed


def test_inputs_result_frame_path_and_text_agree(sample: InventoryResult, clone: InventoryClone) -> None:
    text = (SAMPLES / "az-vm-list.json").read_text()
    by_frame = fleet_spec_from_inventory(sample.frame)
    for other in (
        fleet_spec_from_inventory(text),
        fleet_spec_from_inventory(str(SAMPLES / "az-vm-list.json")),
    ):
        assert other.spec == clone.spec
        assert [n.to_dict() for n in other.skipped] == [n.to_dict() for n in clone.skipped]
    assert by_frame.spec == clone.spec
    # the frame alone does not know the unreadable records: only the frame's own skips remain
    assert [n.code for n in by_frame.skipped] == ["generation-unknown"]
    assert by_frame.records_in == 315


def test_a_scaled_fleet_keeps_the_composition(clone: InventoryClone, sample: InventoryResult) -> None:
    big = fleet_spec_from_inventory(sample, vms=100_000)
    assert big.spec.vms == 100_000
    assert big.spec.composition == clone.spec.composition
    pd.testing.assert_frame_equal(big.composition, clone.composition)


# --- capability and generation -------------------------------------------------------------------


def test_capability_follows_check_vm() -> None:
    records = [
        vm("gen1", gen="V1"),
        vm("dc-size", "Standard_DC2as_v5"),
        vm("old-nc", "Standard_NC6"),
        vm("gen2-standard"),
        vm("tl", security="TrustedLaunch"),
    ]
    clone = fleet_spec_from_inventory(records)
    frame = load_inventory(records).frame
    image = {**UBUNTU, "version": "latest"}
    by_name = {}
    for rec in records:
        size, gen = rec["hardwareProfile"]["vmSize"], rec.get("instanceView", {}).get("hyperVGeneration")
        verdict = check_vm(size, image, os_type="Linux", generation=int(gen[1]) if gen else None).compatible
        by_name[rec["name"]] = (
            verdict or rec.get("securityProfile", {}).get("securityType") == "TrustedLaunch"
        )
    assert by_name == {"gen1": False, "dc-size": False, "old-nc": False, "gen2-standard": True, "tl": True}
    assert frame.set_index("name")["blockers"].to_dict()["gen1"] == "gen1"
    comp = clone.composition.set_index("family")
    assert comp.loc["DCasv5", "capable"] == by_name["dc-size"]
    assert comp.loc["NC", "capable"] == by_name["old-nc"]
    dsv5 = clone.composition[clone.composition["family"] == "Dsv5"]
    assert sorted(zip(dsv5["generation"], dsv5["capable"], dsv5["weight"], strict=True)) == [
        ("V1", False, 1),  # the Gen1 VM: not capable
        ("V2", True, 2),  # the Gen2 Standard VM and the TL VM
    ]
    assert clone.passed
    assert clone.reasons == ()


def test_undetermined_verdicts_are_listed_and_follow_the_policy() -> None:
    # Standard_D8pds_v6 (Arm64) with the generation unknown: check_vm leaves the verdict undetermined
    records = [vm("ok"), vm("arm", "Standard_D8pds_v6", gen=None, image={**UBUNTU, "sku": "server-arm64"})]
    frame = load_inventory(records).frame
    undetermined = frame[frame["verdict"] == "undetermined"]
    assert list(undetermined["name"]) == ["arm"], frame[["name", "verdict", "blockers"]]
    default = fleet_spec_from_inventory(records)
    notes = [n for n in default.assumed if n.code == "capability-undetermined"]
    assert [(n.record, n.name) for n in notes] == [(1, "arm")]
    assert "not-capable" in notes[0].detail
    assert not default.passed
    assert "capability-undetermined" in default.reasons
    assert default.composition["weight"].sum() == 2  # counted, not dropped
    assert default.spec.trusted_launch_adoption == 0.0  # one capable VM, no TL VM
    flipped = fleet_spec_from_inventory(records, undetermined="capable")
    assert flipped.composition["capable"].all()
    with pytest.raises(DataError) as err:
        fleet_spec_from_inventory(records, undetermined="error")
    assert err.value.field == "compatible"
    assert err.value.record == 1
    assert "'arm'" in str(err.value)


def test_sample_notes_name_every_skipped_and_assumed_vm(
    clone: InventoryClone, sample: InventoryResult
) -> None:
    unreadable = {n.record for n in clone.skipped if n.code == "unreadable"}
    assert unreadable == MALFORMED
    assert {n.record: n.detail for n in clone.skipped if n.code == "unreadable"}[
        143
    ] == "hardwareProfile: missing"
    lost = [n for n in clone.skipped if n.code != "unreadable"]
    assert [(n.name, n.code) for n in lost] == [("vm-ml-dev-0244", "generation-unknown")]  # managed image
    frame = sample.frame
    assert {n.name for n in clone.assumed if n.code == "capability-undetermined"} == set(
        frame[(frame["verdict"] == "undetermined") & (frame["security_type"] != "TrustedLaunch")]["name"]
    )
    assert {n.name for n in clone.assumed if n.code == "confidential-vm"} == set(
        frame[frame["security_type"] == "ConfidentialVM"]["name"]
    )
    guessed = frame[frame["generation"].isna() & (frame["verdict"] != "compatible")].dropna(
        subset=["generation_guess"]
    )
    assert {n.name for n in clone.assumed if n.code == "generation-from-sku"} == set(guessed["name"])
    assert all(n.code in NOTE_CODES for n in (*clone.skipped, *clone.assumed))
    notes = clone.notes_frame()
    assert list(notes.columns) == ["record", "name", "code", "placed", "detail"]
    assert (~notes["placed"]).sum() == len(clone.skipped)
    assert json.loads(json.dumps(clone.to_dict()))["vms_placed"] == 314


def test_a_vm_without_os_type_or_location_is_skipped_not_dropped() -> None:
    records = [vm("ok"), vm("no-os", os_type=""), vm("no-region", location="")]
    clone = fleet_spec_from_inventory(records)
    assert [(n.name, n.code) for n in clone.skipped] == [
        ("no-os", "os-type-unknown"),
        ("no-region", "region-unknown"),
    ]
    assert clone.vms_placed == 1
    assert clone.records_in == 3


def test_nothing_placeable_is_an_error() -> None:
    with pytest.raises(DataError, match="no VM of the inventory"):
        fleet_spec_from_inventory([vm("no-os", os_type="")])


# --- adoption and overrides ----------------------------------------------------------------------


def test_adoption_shares_come_from_the_inventory() -> None:
    records = [
        vm("tl1", security="TrustedLaunch"),
        vm("tl2", security="TrustedLaunch"),
        vm("tl3", security="TrustedLaunch", sb=False),
        vm("tl4", security="TrustedLaunch", sb=False, vtpm=False),
        vm("std1"),
        vm("std2", "Standard_D4s_v5", location="East US"),
        vm("gen1", gen="V1"),
        vm("cvm", "Standard_DC2as_v5", security="ConfidentialVM"),
    ]
    clone = fleet_spec_from_inventory(records)
    spec = clone.spec
    assert spec.trusted_launch_adoption == 4 / 6  # 4 TL VMs among 6 capable (gen1 and the DC size are not)
    assert spec.secure_boot_adoption == 2 / 4
    assert spec.vtpm_adoption == 3 / 4
    assert spec.extension_adoption == FleetSpec().extension_adoption  # no inventory column
    assert set(spec.region_mix) == {"westeurope", "eastus"}
    assert [n.name for n in clone.assumed] == ["cvm"]


def test_sample_adoption_matches_pandas(clone: InventoryClone, sample: InventoryResult) -> None:
    f = sample.frame
    tl = f[f["security_type"] == "TrustedLaunch"]
    capable_vms = clone.composition.loc[clone.composition["capable"], "weight"].sum()
    assert clone.spec.trusted_launch_adoption == len(tl) / capable_vms
    assert clone.spec.secure_boot_adoption == (tl["secure_boot"] == True).sum() / len(tl)  # noqa: E712
    assert clone.spec.vtpm_adoption == (tl["vtpm"] == True).sum() / len(tl)  # noqa: E712


def test_overrides_win(sample: InventoryResult) -> None:
    clone = fleet_spec_from_inventory(
        sample, trusted_launch_adoption=1.0, secure_boot_adoption=0.25, extension_adoption=0.5, days=7, seed=9
    )
    spec = clone.spec
    assert (spec.trusted_launch_adoption, spec.secure_boot_adoption, spec.extension_adoption) == (
        1.0,
        0.25,
        0.5,
    )
    assert (spec.days, spec.seed) == (7, 9)
    assert spec.vtpm_adoption == fleet_spec_from_inventory(sample).spec.vtpm_adoption  # not overridden


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"trusted_launch_adoption": 1.5}, "trusted_launch_adoption"),
        ({"secure_boot_adoption": "most"}, "secure_boot_adoption"),
        ({"days": 0}, "days"),
        ({"vms": 0}, "vms"),
        ({"vms": 2.5}, "vms"),
        ({"colour": "blue"}, "colour"),
        ({"composition": ()}, "composition"),
        ({"os_mix": {"windows": 1.0}}, "os_mix"),
        ({"region_mix": {"eastus": 1.0}}, "region_mix"),
        ({"undetermined": "maybe"}, "undetermined"),
        ({"family_by": "letters"}, "family_by"),
        ({"as_of": "2024-01"}, "as_of"),  # the inventory was already read
    ],
)
def test_a_bad_override_names_its_field(sample: InventoryResult, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(DataError) as err:
        fleet_spec_from_inventory(sample, **kwargs)
    assert err.value.field == field
    assert field in str(err.value)


def test_a_frame_missing_a_column_names_it(sample: InventoryResult) -> None:
    with pytest.raises(DataError) as err:
        fleet_spec_from_inventory(sample.frame.drop(columns=["compatible"]))
    assert err.value.field == "compatible"
    twice = pd.concat([sample.frame, sample.frame[["location"]]], axis=1)
    with pytest.raises(DataError) as err:
        fleet_spec_from_inventory(twice)
    assert err.value.field == "location"
    odd = sample.frame.astype({"generation": "object"})
    odd.loc[7, "generation"] = "V3"
    with pytest.raises(DataError) as err:
        fleet_spec_from_inventory(odd)
    assert (err.value.field, err.value.record) == ("generation", 7)
    bad = sample.frame.astype({"secure_boot": "object"})
    bad.loc[3, "secure_boot"] = "yes"
    with pytest.raises(DataError) as err:
        fleet_spec_from_inventory(bad)
    assert (err.value.field, err.value.record) == ("secure_boot", 3)


# --- round trip ----------------------------------------------------------------------------------


def test_the_spec_round_trips_through_json_with_its_composition(clone: InventoryClone) -> None:
    spec = clone.spec
    back = FleetSpec.from_json(spec.to_json())
    assert back == spec
    assert hash(back) == hash(spec)
    assert [dict(r) for r in back.composition] == [dict(r) for r in spec.composition]
    assert len(back.composition) == len(clone.composition) > 100
    assert FleetSpec.from_yaml(spec.to_yaml()) == spec


# --- fuzz ----------------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
_values = _json | st.binary(max_size=8) | st.just(float("nan")) | st.sets(st.integers(), max_size=2)
_fields = st.sampled_from(sorted(set(FleetSpec.__dataclass_fields__) | {"vms", "nonsense"}))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=st.dictionaries(_fields, _values, max_size=3))
def test_arbitrary_overrides_raise_only_tlkit_errors(
    sample: InventoryResult, overrides: dict[str, Any]
) -> None:
    try:
        clone = fleet_spec_from_inventory(sample, **overrides)
    except TlkitError:
        return
    for name, value in overrides.items():
        assert getattr(clone.spec, name) == value or name == "vms"


@st.composite
def _records(draw: st.DrawFn) -> dict[str, Any]:
    """A record near a real one: valid or odd values, and sometimes one member replaced by garbage."""
    rec = vm(
        draw(st.sampled_from(["a", "b", "c"])),
        draw(st.sampled_from(["Standard_D2s_v5", "Standard_NC6", "Standard_D8pds_v6", "Standard_X", "D"])),
        security=draw(st.sampled_from([None, "TrustedLaunch", "Standard", "ConfidentialVM", "bogus"])),
        sb=draw(st.booleans()),
        gen=draw(st.sampled_from([None, "V1", "V2", "V3"])),
        os_type=draw(st.sampled_from(["Linux", "Windows", "BeOS", ""])),
        location=draw(st.sampled_from(["eastus", "", "West Europe"])),
    )
    if draw(st.booleans()):
        rec[draw(st.sampled_from(sorted(rec)))] = draw(_json)
    return rec


@settings(max_examples=150)
@given(inventory=st.lists(_records(), max_size=5) | _json | st.binary(max_size=64) | st.text(max_size=64))
def test_garbage_inventories_raise_only_tlkit_errors(inventory: Any) -> None:
    try:
        clone = fleet_spec_from_inventory(inventory)
    except TlkitError:
        return
    assert clone.records_in == clone.vms_placed + len(clone.skipped)
    assert clone.spec.vms == clone.vms_placed


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    column=st.sampled_from(
        ["record", "name", "vm_size", "os_type", "location", "generation", "compatible", "tl_status"]
    ),
    row=st.integers(0, 314),
    value=_values,
)
def test_garbage_frame_cells_raise_only_tlkit_errors(
    sample: InventoryResult, column: str, row: int, value: Any
) -> None:
    frame = sample.frame.astype({column: "object"})
    frame.at[row, column] = copy.deepcopy(value)
    try:
        clone = fleet_spec_from_inventory(frame)
    except TlkitError:
        return
    assert clone.records_in == clone.vms_placed + len(clone.skipped) == 315


def test_inconsistent_and_incomplete_trusted_launch_records_are_noted() -> None:
    flagless = vm("no-flags", security="TrustedLaunch")
    del flagless["securityProfile"]["uefiSettings"]
    records = [
        vm("tl-v1", security="TrustedLaunch", gen="V1"),
        flagless,
        vm("tl-ok", security="TrustedLaunch"),
    ]
    clone = fleet_spec_from_inventory(records)
    assert [(n.name, n.code, n.detail) for n in clone.assumed] == [
        ("tl-v1", "generation-inconsistent", "recorded V1 -> V2"),
        ("no-flags", "uefi-setting-unknown", "secure_boot=None, vtpm=None"),
    ]
    assert clone.composition.to_dict("records") == [
        {
            "os": "ubuntu",
            "family": "Dsv5",
            "region": "westeurope",
            "generation": "V2",
            "capable": True,
            "weight": 3,
        }
    ]
    assert clone.spec.secure_boot_adoption == 2 / 3  # the missing flag counts as off
    assert clone.spec.trusted_launch_adoption == 1.0
