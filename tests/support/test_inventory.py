"""Inventory import: every export shape, normalisation rules, malformed records, the sample fleet."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scripts import make_sample_inventory
from tests.conftest import REPO
from tlkit.errors import DataError
from tlkit.support import image_generation
from tlkit.support._inventory import (
    INVENTORY_COLUMNS,
    InventoryResult,
    _is_text,
    load_inventory,
    normalise_security_type,
)

SAMPLES = REPO / "data" / "samples"
SHAPES = {
    "az-vm-list.json": "az-vm-list",
    "resource-graph.json": "resource-graph",
    "resource-graph.csv": "resource-graph-projected",
    "resource-graph-properties.csv": "resource-graph",
}
# Columns that only some shapes carry, or that record the source itself.
SOURCE_COLUMNS = ["source_format", "security_type_raw", "image_version", "power_state"]
MALFORMED = {
    143: "vm-ml-test-0143",
    145: "vm-etl-prod-0145",
    173: "vm-dc-prod-0173",
    226: "vm-avd-prod-0226",
    235: None,
}


@pytest.fixture(scope="module")
def results() -> dict[str, InventoryResult]:
    return {name: load_inventory(SAMPLES / name, disks=SAMPLES / "disks.json") for name in SHAPES}


def vm(**over: Any) -> dict[str, Any]:
    """A minimal az-vm-list record (flattened properties) with overrides."""
    rec: dict[str, Any] = {
        "id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1",
        "name": "vm1",
        "location": "westeurope",
        "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
        "storageProfile": {
            "imageReference": {
                "publisher": "Canonical",
                "offer": "0001-com-ubuntu-server-jammy",
                "sku": "22_04-lts-gen2",
                "version": "latest",
            },
            "osDisk": {
                "osType": "Linux",
                "managedDisk": {
                    "id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/disks/d1"
                },
            },
        },
        "resourceGroup": "rg1",
        "type": "Microsoft.Compute/virtualMachines",
    }
    rec.update(over)
    return rec


def one(rec: dict[str, Any], **kw: Any) -> pd.Series:
    res = load_inventory([rec], **kw)
    assert not res.errors, res.errors
    return res.frame.iloc[0]


# --- shapes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), SHAPES.items())
def test_each_sample_shape_parses(results: dict[str, InventoryResult], name: str, fmt: str) -> None:
    res = results[name]
    assert res.source == name
    assert res.source_format == fmt
    assert res.records_in == 320
    assert list(res.frame.columns) == list(INVENTORY_COLUMNS)
    assert res.records_in == len(res.frame) + len(res.errors)
    assert len(res.frame) == 315
    assert not res.passed
    assert not bool(res)
    assert res.reasons == tuple(f"malformed-record:{i}" for i in sorted(MALFORMED))


def test_three_shapes_describe_the_same_fleet(results: dict[str, InventoryResult]) -> None:
    base = results["az-vm-list.json"].frame.drop(columns=SOURCE_COLUMNS)
    assert base["name"].is_unique
    for name in SHAPES:
        other = results[name].frame.drop(columns=SOURCE_COLUMNS)
        pd.testing.assert_frame_equal(other, base, obj=name)
        assert [(e.index, e.name) for e in results[name].errors] == sorted(MALFORMED.items())


def test_malformed_records_are_reported_with_index_and_reason(results: dict[str, InventoryResult]) -> None:
    errs = results["az-vm-list.json"].errors_frame()
    assert list(errs.columns) == ["index", "name", "field", "reason"]
    got = {int(r.index): (r.field, r.reason) for r in errs.itertuples()}
    assert got[143] == ("hardwareProfile", "missing")
    assert got[145] == ("hardwareProfile.vmSize", "expected a string, got int 64")
    assert got[226] == ("hardwareProfile.vmSize", "null")
    assert got[235] == ("name", "record has neither name nor id")
    assert got[173][0] == "hardwareProfile.vmSize"  # the garbage size name, rejected by the size parser
    csv_errs = {e.index: e for e in results["resource-graph.csv"].errors}
    assert (csv_errs[143].field, csv_errs[143].reason) == ("vmSize", "empty")
    assert csv_errs[145].field == "vmSize"  # "64" as text: not a size name


def test_sample_counts(results: dict[str, InventoryResult]) -> None:
    f = results["az-vm-list.json"].frame
    assert f["tl_status"].value_counts().to_dict() == {
        "TL-full": 120,
        "Gen1": 72,
        "Gen2-Standard": 59,
        "Unknown-gen": 28,
        "TL-partial": 28,
        "CVM": 8,
    }
    assert f["generation_source"].value_counts().to_dict() == {
        "instance-view": 195,
        "os-disk": 63,
        "security-type": 29,
        "unknown": 28,
    }
    s = results["az-vm-list.json"].summary()
    # 3 VMs of sizes no TL-2026 row covers are undetermined, not refused (issue 7 §5)
    assert (s.compatible, s.not_compatible, s.undetermined) == (189, 104, 22)
    assert dict(s.generation_guessed) == {"V1": 13, "V2": 15}
    assert int(f["stale_image_reference"].sum()) == 5
    assert set(f["security_type_raw"]) == {
        "<absent>",
        "<null>",
        "Standard",
        "TrustedLaunch",
        "ConfidentialVM",
    }
    assert set(f["image_kind"]) == {"marketplace", "gallery", "managed-image"}


def test_samples_are_reproducible_byte_for_byte(tmp_path: Path) -> None:
    assert make_sample_inventory.main(["--seed", "7", "--count", "320", "--out", str(tmp_path)]) == 0
    for name in [*SHAPES, "disks.json"]:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
    other = make_sample_inventory.render(8, 320)
    assert other["az-vm-list.json"] != (SAMPLES / "az-vm-list.json").read_text()


# --- containers and detection ------------------------------------------------------------------------


def arm(rec: dict[str, Any]) -> dict[str, Any]:
    """The ARM (un-flattened) form of an az record."""
    envelope = {"id", "name", "location", "type", "tags", "identity"}
    out = {k: v for k, v in rec.items() if k in envelope}
    out["properties"] = {k: v for k, v in rec.items() if k not in envelope | {"resourceGroup"}}
    return out


@pytest.mark.parametrize(
    ("obj", "fmt"),
    [
        ([vm()], "az-vm-list"),
        (vm(), "az-vm-list"),
        (arm(vm()), "arm"),
        ([arm(vm())], "arm"),
        ({"value": [arm(vm())], "nextLink": None}, "arm"),
        (
            {"data": [arm(vm()) | {"resourceGroup": "rg1", "subscriptionId": "s1"}], "count": 1},
            "resource-graph",
        ),
        (
            {"data": [{"id": vm()["id"], "name": "vm1", "vmSize": "Standard_D2s_v5", "gen": "V2"}]},
            "resource-graph-projected",
        ),
    ],
    ids=["az-list", "az-single", "arm-single", "arm-list", "arm-rest-value", "arg-data", "arg-projected"],
)
def test_containers(obj: Any, fmt: str) -> None:
    res = load_inventory(obj, check=False)
    assert res.source_format == fmt
    assert res.records_in == 1
    assert len(res.frame) == 1
    row = res.frame.iloc[0]
    assert (row["name"], row["resource_group"], row["subscription_id"], row["vm_size"]) == (
        "vm1",
        "rg1",
        "s1",
        "Standard_D2s_v5",
    )


def test_json_text_and_bytes_are_accepted() -> None:
    text = json.dumps([vm()])
    assert len(load_inventory(text, check=False).frame) == 1
    assert len(load_inventory(text.encode(), check=False).frame) == 1


def test_arm_instance_view_and_resource_graph_extended() -> None:
    a = arm(vm())
    a["properties"]["instanceView"] = {"hyperVGeneration": "V1"}
    assert one(a, check=False)["generation"] == "V1"
    g = arm(vm()) | {"resourceGroup": "rg1"}
    g["properties"]["extended"] = {
        "instanceView": {"hyperVGeneration": "V2", "powerState": {"code": "PowerState/deallocated"}}
    }
    row = one(g, check=False)
    assert (row["generation"], row["generation_source"], row["power_state"]) == (
        "V2",
        "instance-view",
        "deallocated",
    )


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty file"),
        (b"\xc3\x28garbage", "not UTF-8"),
        (b"\xff\xfe\x00\xd8", "not UTF-16"),
        (b'{"hello": "world"}', "neither a VM resource"),
        (b"[1, 2, 3]", "no record looks like a VM"),
        (b'[{"foo": 1}]', "no record looks like a VM"),
        (b"{not json", "not valid JSON"),
        (b"a,b,c\n1,2,3\n", "neither a 'vmSize' nor a 'properties' column"),
        (b'id,name\n"unterminated', "neither a 'vmSize'"),
        (b'"just a string"', "expected a JSON list or object"),
    ],
)
def test_unusable_file_raises_data_error_naming_it(tmp_path: Path, content: bytes, why: str) -> None:
    p = tmp_path / ("export.csv" if content[:1] in {b"a", b"i"} else "export.json")
    p.write_bytes(content)
    with pytest.raises(DataError, match=p.name) as ei:
        load_inventory(p, check=False)
    assert why in str(ei.value)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.json: cannot read"):
        load_inventory(tmp_path / "nope.json")


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    """Directories, devices and FIFOs are refused up front (a FIFO or /dev/zero would block or fill
    memory); the message names the path and what it is."""
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    cases = [
        (tmp_path, f"{tmp_path.name}: cannot read: is a directory"),
        (".", ".: cannot read: is a directory"),
        ("/dev/null", "null: cannot read: not a regular file"),
        (fifo, "pipe.json: cannot read: not a regular file"),
        (tmp_path / "nope.csv", "nope.csv: cannot read: no such file"),
    ]
    for source, message in cases:
        with pytest.raises(DataError) as ei:
            load_inventory(source, check=False)
        assert ei.value.message == message
        with pytest.raises(DataError) as ei:
            load_inventory([], disks=source, check=False)
        assert ei.value.message == f"unusable disk export: {message}"


@pytest.mark.parametrize(
    ("text", "is_text"),
    [
        ("[]", True),
        ("  {}", True),
        ("a,b\n1,2", True),
        ("vmSize\r", True),
        ("export.json", False),
        (".", False),
        ("", False),
        ('"just a string"', False),
    ],
)
def test_str_source_is_text_or_path_by_shape_only(text: str, is_text: bool) -> None:
    assert _is_text(text) is is_text


def test_empty_list_is_an_empty_inventory() -> None:
    res = load_inventory([], check=False)
    assert res.records_in == 0
    assert res.frame.empty
    assert res.passed


def test_non_vm_resources_and_non_objects_are_reported() -> None:
    disk = {
        "id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/disks/d1",
        "name": "d1",
        "type": "Microsoft.Compute/disks",
        "properties": {"hyperVGeneration": "V2"},
    }
    res = load_inventory([arm(vm()), disk, "oops", None], check=False)
    assert res.records_in == 4
    assert len(res.frame) == 1
    assert [(e.index, e.name, e.field) for e in res.errors] == [
        (1, "d1", "type"),
        (2, None, "<record>"),
        (3, None, "<record>"),
    ]
    assert "not a virtual machine" in res.errors[0].reason


# --- normalisation rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "want", "raw"),
    [
        (None, "Standard", "<absent>"),
        ({}, "Standard", "<absent>"),
        ({"securityType": None, "uefiSettings": None}, "Standard", "<null>"),
        ({"securityType": "Standard"}, "Standard", "Standard"),
        ({"securityType": ""}, "Standard", ""),
        ({"securityType": "standard"}, "Standard", "standard"),
        (
            {
                "securityType": "TrustedLaunch",
                "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
            },
            "TrustedLaunch",
            "TrustedLaunch",
        ),
        ({"securityType": "trustedLaunch"}, "TrustedLaunch", "trustedLaunch"),
        ({"securityType": "ConfidentialVM"}, "ConfidentialVM", "ConfidentialVM"),
    ],
)
def test_security_type_normalisation(profile: dict[str, Any] | None, want: str, raw: str) -> None:
    rec = vm() if profile is None else vm(securityProfile=profile)
    row = one(rec, check=False)
    assert (row["security_type"], row["security_type_raw"]) == (want, raw)


def test_security_type_function() -> None:
    assert normalise_security_type(None) == ("Standard", "<null>")
    assert normalise_security_type("Standard") == ("Standard", "Standard")
    with pytest.raises(DataError, match="unknown securityType 'SuperSecure'"):
        normalise_security_type("SuperSecure")
    with pytest.raises(DataError, match="must be a string"):
        normalise_security_type(3)


def test_unknown_security_type_is_a_record_error() -> None:
    res = load_inventory([vm(securityProfile={"securityType": "SuperSecure"})], check=False)
    assert [(e.field, e.reason) for e in res.errors] == [
        ("securityProfile.securityType", "unknown securityType 'SuperSecure'")
    ]


@pytest.mark.parametrize(
    ("sb", "vt", "status"),
    [
        (True, True, "TL-full"),
        (False, True, "TL-partial"),
        (True, False, "TL-partial"),
        (None, None, "TL-partial"),
    ],
)
def test_tl_status(sb: bool | None, vt: bool | None, status: str) -> None:
    rec = vm(
        securityProfile={
            "securityType": "TrustedLaunch",
            "uefiSettings": {"secureBootEnabled": sb, "vTpmEnabled": vt},
        }
    )
    assert one(rec, check=False)["tl_status"] == status


@pytest.mark.parametrize(
    ("publisher", "offer", "sku", "gen"),
    [
        ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts", "V1"),
        ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "V2"),
        ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-arm64", "V2"),
        ("Canonical", "ubuntu-24_04-lts", "server", "V2"),
        ("Canonical", "ubuntu-24_04-lts", "server-gen1", "V1"),
        ("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter", "V1"),
        ("MicrosoftWindowsServer", "WindowsServer", "2016-datacenter-gensecond", "V2"),
        ("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-g2", "V2"),
        ("MicrosoftWindowsServer", "WindowsServer", "2025-datacenter-azure-edition", "V2"),
        ("Canonical", "0001-com-ubuntu-confidential-vm-jammy", "22_04-lts-cvm", "V2"),
        ("MicrosoftWindowsDesktop", "windows-11", "win11-23h2-avd", "V2"),
        ("SUSE", "sles-15-sp5", "gen1", "V1"),
        ("RedHat", "RHEL", "94_gen2", "V2"),
        (None, None, None, None),
    ],
)
def test_generation_from_image_sku(
    publisher: str | None, offer: str | None, sku: str | None, gen: str | None
) -> None:
    image = {"publisher": publisher, "offer": offer, "sku": sku, "version": "latest"} if sku else None
    row = one(with_image(image), check=False)
    # facts 7.1: never the generation from the SKU alone; the guess is kept apart with its rule.
    assert pd.isna(row["generation"])
    assert (row["generation_source"], row["tl_status"]) == ("unknown", "Unknown-gen")
    assert (None if pd.isna(row["generation_guess"]) else row["generation_guess"]) == gen
    basis = row["generation_guess_basis"]
    assert pd.isna(basis) if gen is None else basis.split(":")[0] in ("naming-convention", "heuristic")


def test_sku_generation_is_image_generation() -> None:
    """The importer has no SKU rules of its own: every generation_guess is image_generation's."""
    f = load_inventory(SAMPLES / "az-vm-list.json", check=False).frame
    sku_rows = f[f["generation_guess"].notna()]
    assert len(sku_rows) > 0
    assert (f["generation_source"] != "image-sku").all()
    for _, row in sku_rows.iterrows():
        urn = f"{row['image_publisher']}:{row['image_offer']}:{row['image_sku']}"
        assert row["generation_guess"] == f"V{image_generation(urn).generation}"


GEN1_IMAGE = {
    "publisher": "MicrosoftWindowsServer",
    "offer": "WindowsServer",
    "sku": "2019-Datacenter",
    "version": "latest",
}
TL_ON = {"securityType": "TrustedLaunch", "uefiSettings": {"secureBootEnabled": False, "vTpmEnabled": True}}
DISK = "/subscriptions/s1/resourcegroups/rg1/providers/microsoft.compute/disks/d1"


def with_image(image: dict[str, Any] | None, **over: Any) -> dict[str, Any]:
    rec = vm(**over)
    rec["storageProfile"] = copy.deepcopy(rec["storageProfile"])
    if image is None:
        del rec["storageProfile"]["imageReference"]
    else:
        rec["storageProfile"]["imageReference"] = image
    return rec


@pytest.mark.parametrize(
    ("rec", "disks", "gen", "source", "stale"),
    [
        (vm(instanceView={"hyperVGeneration": "V1"}), {DISK: "V2"}, "V1", "instance-view", False),
        (vm(), {DISK: "V1"}, "V1", "os-disk", False),
        (vm(securityProfile=TL_ON), None, "V2", "security-type", False),
        (vm(), None, None, "unknown", False),
        (with_image(GEN1_IMAGE), None, None, "unknown", False),
        (with_image(None), None, None, "unknown", False),
        (
            with_image(
                {
                    "id": "/subscriptions/s1/resourceGroups/img/providers/Microsoft.Compute/galleries/g/"
                    "images/i/versions/1.0.0"
                }
            ),
            None,
            None,
            "unknown",
            False,
        ),
        # Gen1 -> TL upgrade: the imageReference still names the Gen1 SKU (GEN1 known issue).
        (with_image(GEN1_IMAGE, securityProfile=TL_ON), None, "V2", "security-type", True),
        (with_image(GEN1_IMAGE, instanceView={"hyperVGeneration": "V2"}), None, "V2", "instance-view", True),
        (with_image(GEN1_IMAGE), {DISK: "V2"}, "V2", "os-disk", True),
    ],
    ids=[
        "view-beats-disk",
        "disk",
        "security-type",
        "sku-gen2",
        "sku-gen1",
        "no-image",
        "gallery",
        "stale-tl",
        "stale-view",
        "stale-disk",
    ],
)
def test_generation_source_rules(
    rec: dict[str, Any], disks: dict[str, str] | None, gen: str | None, source: str, stale: bool
) -> None:
    row = one(rec, disks=disks, check=False)
    assert (None if pd.isna(row["generation"]) else row["generation"], row["generation_source"]) == (
        gen,
        source,
    )
    assert bool(row["stale_image_reference"]) is stale


def test_disk_export_shapes() -> None:
    disk = {"id": DISK.upper(), "hyperVGeneration": "V1", "type": "Microsoft.Compute/disks"}
    assert one(vm(), disks=[disk], check=False)["generation_source"] == "os-disk"
    assert (
        one(vm(), disks={"value": [{"id": DISK, "properties": {"hyperVGeneration": "V1"}}]}, check=False)[
            "generation"
        ]
        == "V1"
    )


def test_image_kinds() -> None:
    gallery = with_image(
        {
            "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/"
            "images/i/versions/1.2.3",
            "exactVersion": "1.2.3",
        }
    )
    managed = with_image({"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/gold"})
    shared = with_image({"sharedGalleryImageId": "/SharedGalleries/abc-123/Images/img/Versions/1.0.0"})
    community = with_image(
        {"communityGalleryImageId": "/CommunityGalleries/pub-1/Images/img/Versions/latest"}
    )
    partial = with_image({"publisher": "Canonical"})
    recs = [vm(), gallery, managed, with_image(None), shared, community, partial]
    got = load_inventory(recs).frame
    assert list(got["image_kind"]) == [
        "marketplace",
        "gallery",
        "managed-image",
        "none",
        "shared-gallery",
        "community-gallery",
        "other",
    ]
    assert got["image_version"].iloc[1] == "1.2.3"
    # Images check_vm can't identify are a note, never a record error; a managed image is a blocker.
    assert list(got["blockers"]) == ["", "", "managed-image", "", "", "", ""]
    assert list(got["os"].fillna("<NA>")) == [
        "Ubuntu Server 22.04",
        "gallery image (OS unknown)",
        "managed image (OS unknown)",
        "<NA>",
        "shared gallery image (OS unknown)",
        "community gallery image (OS unknown)",
        "<NA>",
    ]
    # Shared and community gallery images are checked like any gallery image: SecurityType unknown.
    unknown_type = "Gallery image SecurityType not given"
    assert [unknown_type in n for n in got["notes"]] == [False, True, False, False, True, True, False]


@pytest.mark.parametrize(
    ("rec", "field", "reason"),
    [
        ({k: v for k, v in vm().items() if k != "hardwareProfile"}, "hardwareProfile", "missing"),
        (vm(hardwareProfile=None), "hardwareProfile", "null"),
        (vm(hardwareProfile=[1]), "hardwareProfile", "expected an object, got list"),
        (vm(hardwareProfile={}), "hardwareProfile.vmSize", "missing"),
        (vm(hardwareProfile={"vmSize": 4}), "hardwareProfile.vmSize", "expected a string, got int 4"),
        (vm(storageProfile="x"), "storageProfile", "expected an object, got str"),
        (
            vm(
                securityProfile={
                    "securityType": "TrustedLaunch",
                    "uefiSettings": {"secureBootEnabled": "maybe"},
                }
            ),
            "securityProfile.uefiSettings.secureBootEnabled",
            "expected a boolean, got str 'maybe'",
        ),
        (
            vm(instanceView={"hyperVGeneration": "V3"}),
            "instanceView.hyperVGeneration",
            "expected V1 or V2, got 'V3'",
        ),
        (vm(name=7), "name", "expected a string, got int 7"),
    ],
)
def test_record_defects(rec: dict[str, Any], field: str, reason: str) -> None:
    res = load_inventory([vm(name="ok"), rec], check=False)
    assert res.records_in == 2
    assert len(res.frame) == 1
    assert [(e.index, e.field, e.reason) for e in res.errors] == [(1, field, reason)]


def test_summary(results: dict[str, InventoryResult]) -> None:
    res = results["az-vm-list.json"]
    s = res.summary(top=3)
    assert (s.records_in, s.rows, s.malformed) == (320, 315, 5)
    assert sum(s.by_tl_status.values()) == 315
    assert list(s.by_tl_status) == ["TL-full", "TL-partial", "CVM", "Gen2-Standard", "Gen1", "Unknown-gen"]
    assert s.stale_image_references == 5
    assert len(s.top_blockers) <= 3
    assert 0.0 < s.compatible_share < 1.0
    assert s.compatible == int(res.frame["compatible"].sum())
    text = s.to_text()
    assert "records: 320 = 315 VMs + 5 malformed" in text
    d = s.to_dict()
    assert json.loads(json.dumps(d)) == d


def test_dataframe_source() -> None:
    df = pd.read_csv(SAMPLES / "resource-graph.csv", dtype=str, keep_default_na=False)
    res = load_inventory(df.head(20), check=False)
    assert res.source == "<DataFrame>"
    assert res.records_in == 20


def test_arm_rest_shape_of_the_sample_fleet(results: dict[str, InventoryResult]) -> None:
    az = json.loads((SAMPLES / "az-vm-list.json").read_text())
    envelope = {"id", "name", "type", "location", "tags", "identity"}
    value = [
        {
            **{k: v for k, v in r.items() if k in envelope},
            "properties": {k: v for k, v in r.items() if k not in envelope | {"resourceGroup", "powerState"}},
        }
        for r in az
    ]
    res = load_inventory({"value": value, "nextLink": None}, disks=SAMPLES / "disks.json")
    assert res.source_format == "arm"
    base = results["az-vm-list.json"]
    pd.testing.assert_frame_equal(
        res.frame.drop(columns=SOURCE_COLUMNS), base.frame.drop(columns=SOURCE_COLUMNS)
    )
    assert [(e.index, e.field) for e in res.errors] == [
        (e.index, "properties." + e.field) for e in base.errors if e.field != "name"
    ] + [(235, "name")]


def test_deeply_nested_json_is_a_data_error_not_recursion() -> None:
    with pytest.raises(DataError, match="nested too deeply"):
        load_inventory("[" * 5000, check=False)
    csv_text = "id,name,properties\n/x/vm1,vm1," + '"' + "[" * 5000 + '"\n'
    res = load_inventory(csv_text, check=False)
    assert [(e.index, e.field, e.reason) for e in res.errors] == [
        (0, "properties", "not usable JSON: nested too deeply")
    ]


def test_csv_rows_with_the_wrong_field_count_are_reported() -> None:
    text = (
        "name,vmSize,securityType,gen\n"
        "ok,Standard_D2s_v5,TrustedLaunch,V2\n"
        "short,Standard_D2s_v5\n"
        "long,Standard_D2s_v5,Standard,V2,extra\n"
        "nullsec,Standard_D2s_v5,null,V2\n"
    )
    res = load_inventory(text, check=False)
    assert [(e.index, e.name, e.field, e.reason) for e in res.errors] == [
        (1, "short", "<row>", "CSV row has 2 fields, the header has 4"),
        (2, "long", "<row>", "CSV row has 5 fields, the header has 4"),
    ]
    assert list(res.frame["name"]) == ["ok", "nullsec"]
    null_row = res.frame.iloc[1]
    assert (null_row["security_type"], null_row["security_type_raw"]) == ("Standard", "<null>")


def test_utf16_export_with_bom_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([vm()]), encoding="utf-16")
    res = load_inventory(path, check=False)
    assert (len(res.frame), res.errors) == (1, ())


def test_empty_string_source_says_empty() -> None:
    with pytest.raises(DataError, match="empty source: neither export text nor a file path"):
        load_inventory("")


def test_tl_record_with_gen1_instance_view_is_flagged_inconsistent() -> None:
    row = one(vm(securityProfile=TL_ON, instanceView={"hyperVGeneration": "V1"}))
    assert row["notes"].startswith("inconsistent record: securityType TrustedLaunch with hyperVGeneration V1")


def test_summary_counts_undetermined_and_the_guessed_generation_split_apart() -> None:
    gallery = {"id": "/subscriptions/s1/resourceGroups/img/providers/Microsoft.Compute/galleries/g/images/i"}
    recs = [
        vm(name="a", securityProfile=TL_ON),
        with_image(gallery, name="b"),
        with_image(GEN1_IMAGE, name="c"),
    ]
    res = load_inventory(recs, as_of="2026-07")
    f = res.frame.set_index("name")
    assert f.loc["b", "verdict"] == "undetermined"
    assert pd.isna(f.loc["b", "compatible"])
    assert f.loc["b", "undetermined"] == "generation-unknown; image-undetermined"
    s = res.summary()
    assert (s.compatible, s.not_compatible, s.undetermined) == (1, 1, 1)
    assert dict(s.generation_guessed) == {"V1": 1, "none": 1}
    text = s.to_text()
    assert "undetermined (nothing blocks, something unchecked): 1" in text
    assert "generation unknown, image-SKU guess (heuristic): V1 1, none 1" in text
    # check_vm still labels its own SKU heuristic for that row.
    assert "inferred from the image SKU name ('2019-Datacenter')" in f.loc["c", "notes"]


def test_bom_prefixed_text_is_export_text() -> None:
    assert load_inventory("\ufeff[]").records_in == 0
