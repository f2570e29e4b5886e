"""check_vm: blockers with remediations, notes, JSON shape."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tlkit.errors import DataError
from tlkit.support import (
    Blocker,
    CompatibilityReport,
    MarketplaceImage,
    check_vm,
    feature_key,
    os_status,
    region_status,
    unsupported_features,
)

JAMMY = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest"
GALLERY = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/def"
MANAGED = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/img"


def codes(r: CompatibilityReport) -> tuple[str, ...]:
    return tuple(b.code for b in r.blockers)


def test_compatible_vm() -> None:
    r = check_vm("Standard_D4s_v5", JAMMY, as_of="2025-04")
    assert r.compatible
    assert r
    assert (r.size_status, r.os_supported, r.generation, r.snapshot) == ("supported", True, 2, "2025-04")
    assert r.blockers == ()
    assert any("naming heuristic" in n for n in r.notes)


def test_every_blocker_has_a_remediation_and_source() -> None:
    r = check_vm(
        "Standard_D2_v3",
        "MicrosoftWindowsServer:WindowsServer:2016-Datacenter:latest",
        generation=1,
        features=["ultra disk"],
        region="chinanorth3",
        as_of="2023-11",
    )
    assert not r.compatible
    assert codes(r) == ("size-not-supported", "gen1", "feature-not-supported", "region-not-supported")
    for b in r.blockers:
        assert isinstance(b, Blocker)
        assert b.message
        assert b.remediation
        assert b.source.startswith("TL-2023b: ")
    size_b, gen_b = r.blockers[0], r.blockers[1]
    assert "Dv3-series" not in size_b.message  # 2023-11 spells it "Dv3"
    assert "'Dv3'" in size_b.message
    assert "Resize to an equivalent supported size family" in size_b.remediation
    assert "D-family" not in size_b.remediation  # 2023-11 lists series, not families
    assert "Dsv3" in size_b.remediation
    # TL-2023b documents no Gen1 upgrade (GEN1 is 03/2026): redeploy, and no upgrade notes.
    assert gen_b.message == "The image/VM is Generation 1; Trusted Launch requires Generation 2"
    assert gen_b.remediation.startswith("Redeploy as a new Trusted Launch VM from a Gen2 image")
    assert not any("imageReference keeps naming the Gen1 image" in n for n in r.notes)


def test_gen1_upgrade_remediation_follows_the_documented_upgrade() -> None:
    ws2016 = "MicrosoftWindowsServer:WindowsServer:2016-Datacenter:latest"
    new = check_vm("Standard_D2s_v5", ws2016, generation=1, as_of="2026-07").blockers[0]
    assert "Windows Server 2016 can't be upgraded in place" in new.message
    assert new.remediation.startswith("Redeploy on a Gen2 Trusted Launch image")
    r = check_vm("Standard_D2s_v5", JAMMY.replace("-gen2", ""), generation=1, as_of="2026-07")
    assert "upgrade the Gen1 VM to Gen2 with Trusted Launch" in r.blockers[0].remediation
    assert any("Secure Boot is NOT on by default" in n for n in r.notes)
    for as_of in ("2021-02", "2023-04", "2023-11"):
        old = check_vm("Standard_D2s_v5", JAMMY.replace("-gen2", ""), generation=1, as_of=as_of)
        gen1 = next(b for b in old.blockers if b.code == "gen1")
        assert gen1.remediation.startswith("Redeploy as a new Trusted Launch VM"), as_of
        assert "11/29/2024" in gen1.remediation  # says when the first upgrade was documented
        assert not any("Gen1 -> Gen2+TL upgrade" in n for n in old.notes), as_of
    # The Gen1 -> TL upgrade preview (trusted-launch-existing-vm-gen-1.md, 11/29/2024) precedes 2025-04.
    for as_of in ("2025-04", "2025-04b"):
        old = check_vm("Standard_D2s_v5", JAMMY.replace("-gen2", ""), generation=1, as_of=as_of)
        gen1 = next(b for b in old.blockers if b.code == "gen1")
        assert "Gen1ToTLMigrationPreview" in gen1.remediation, as_of
        assert "11/29/2024" in gen1.source, as_of
        assert "03/2026" not in gen1.remediation + gen1.source, as_of
    # The preview already excluded Windows Server 2016.
    old_ws = check_vm("Standard_D2s_v5", ws2016, generation=1, as_of="2025-04").blockers[0]
    assert "Windows Server 2016 can't be upgraded in place" in old_ws.message


def test_gen1_upgrade_path_for_eligible_os() -> None:
    r = check_vm(
        "Standard_D4s_v5", "Canonical:0001-com-ubuntu-server-jammy:22_04-lts:latest", generation="V1"
    )
    assert codes(r) == ("gen1",)
    assert "upgrade the Gen1 VM to Gen2 with Trusted Launch" in r.blockers[0].remediation


def test_managed_image_remediation() -> None:
    r = check_vm("Standard_D4s_v5", MANAGED, os="RHEL 9.4", generation=2)
    assert codes(r) == ("managed-image",)
    assert r.blockers[0].remediation == "Use Azure Compute Gallery instead of a managed image"


@pytest.mark.parametrize(
    ("security_type", "compatible"),
    [
        ("TrustedLaunchSupported", True),
        ("TrustedLaunch", True),
        ("TrustedLaunchAndConfidentialVmSupported", True),
        ("ConfidentialVMSupported", False),
        (None, True),
    ],
)
def test_gallery_security_type(security_type: str | None, compatible: bool) -> None:
    image: dict[str, object] = {"id": GALLERY, "hyperVGeneration": "V2", "os": "Ubuntu 22.04"}
    if security_type is not None:
        image["features"] = [{"name": "SecurityType", "value": security_type}]
    r = check_vm("Standard_D4s_v5", image, as_of="2026-07")
    assert r.compatible is compatible
    if not compatible:
        assert codes(r) == ("gallery-image-not-tl",)
    if security_type is None:
        assert any("SecurityType not given" in n for n in r.notes)


@pytest.mark.parametrize(
    "key",
    [
        ("sharedGalleryImageId", "/SharedGalleries/abc-123/Images/img/Versions/1.0.0"),
        ("communityGalleryImageId", "/CommunityGalleries/pub-1/Images/img/Versions/latest"),
    ],
)
def test_shared_and_community_gallery_images_are_gallery_images(key: tuple[str, str]) -> None:
    base = {key[0]: key[1], "hyperVGeneration": "V2", "os": "Ubuntu 22.04"}
    ok = check_vm("Standard_D4s_v5", {**base, "securityType": "TrustedLaunchSupported"}, as_of="2026-07")
    assert (ok.compatible, ok.os_detail.os.display if ok.os_detail else None) == (True, "Ubuntu Server 22.04")
    cvm_only = check_vm(
        "Standard_D4s_v5", {**base, "securityType": "ConfidentialVMSupported"}, as_of="2026-07"
    )
    assert codes(cvm_only) == ("gallery-image-not-tl",)
    preview = check_vm(
        "Standard_D4s_v4", {**base, "os": "Ubuntu 20.04", "securityType": "TrustedLaunch"}, as_of="2021-02"
    )
    assert codes(preview) == ("feature-not-supported",)
    bare = check_vm("Standard_D4s_v5", key[1], generation=2, as_of="2026-07")
    assert bare.os_detail is not None
    assert bare.os_detail.os.display == (
        "shared gallery image (OS unknown)"
        if key[0].startswith("shared")
        else "community gallery image (OS unknown)"
    )


@pytest.mark.parametrize(
    ("sku", "generation", "blockers"),
    [
        ("2019-Datacenter", 1, ("gen1",)),
        ("2019-datacenter-gensecond", 2, ()),
        ("2022-datacenter-azure-edition", 2, ()),
    ],
)
def test_generation_from_sku_rules(sku: str, generation: int, blockers: tuple[str, ...]) -> None:
    r = check_vm("Standard_D4s_v5", f"MicrosoftWindowsServer:WindowsServer:{sku}:latest", as_of="2026-07")
    assert (r.generation, codes(r)) == (generation, blockers)
    assert f"Generation {generation} inferred from the image SKU name ('{sku}')" in " | ".join(r.notes)
    assert check_vm(
        "Standard_D4s_v5", f"MicrosoftWindowsServer:WindowsServer:{sku}:latest", generation=2, as_of="2026-07"
    ).compatible


def test_gallery_absent_security_type_is_a_blocker() -> None:
    image = {"id": GALLERY, "hyperVGeneration": "V2", "os": "Ubuntu 22.04", "features": []}
    r = check_vm("Standard_D4s_v5", image, as_of="2026-07")
    assert codes(r) == ("gallery-image-not-tl",)
    assert "'absent'" in r.blockers[0].message


def test_gallery_not_supported_in_the_2021_preview() -> None:
    image = {"id": GALLERY, "securityType": "TrustedLaunch", "hyperVGeneration": 2, "os": "Ubuntu 20.04"}
    r = check_vm("Standard_D4s_v4", image, as_of="2021-02")
    assert codes(r) == ("feature-not-supported",)
    assert "Shared Image Gallery" in r.blockers[0].message


def test_marketplace_security_type_without_tl() -> None:
    img = {
        "publisher": "Canonical",
        "offer": "0001-com-ubuntu-server-jammy",
        "sku": "22_04-lts-gen2",
        "features": [{"name": "SecurityType", "value": "ConfidentialVmSupported"}],
    }
    assert codes(check_vm("Standard_D4s_v5", img)) == ("image-not-tl",)


def test_os_not_supported_and_unknown() -> None:
    r = check_vm("Standard_D4s_v5", os="Ubuntu 16.04", generation=2, as_of="2025-04")
    assert codes(r) == ("os-not-supported",)
    assert "18.04, 20.04, 22.04, 23.04, 23.10" in r.blockers[0].remediation
    u = check_vm("Standard_D4s_v5", os="FreeBSD 14", generation=2)
    assert u.compatible is None
    assert (u.verdict, u.undetermined, u.blockers) == ("undetermined", ("image-undetermined",), ())
    assert not u
    assert u.os_supported is None
    assert any("not a distro tlkit knows" in n for n in u.notes)


def test_size_statuses_become_blockers() -> None:
    assert codes(check_vm("Standard_M128ms", JAMMY)) == ("size-not-supported",)
    assert codes(check_vm("Standard_D4pds_v5", JAMMY, as_of="2025-04")) == (
        "size-currently-not-supported",
        "architecture-mismatch",
    )
    # An unknown size is undetermined (compatible None), never refused, and says why.
    unknown = check_vm("Standard_H16r", JAMMY)
    assert (unknown.compatible, codes(unknown), unknown.reasons) == (None, (), ("size-unknown",))
    assert "size-unknown" in unknown.undetermined
    (note,) = [n for n in unknown.notes if n.startswith("VM size Standard_H16r")]
    assert "no TL-2026 row covers family H / series Hr" in note
    assert "TrustedLaunchDisabled" in note


@pytest.mark.parametrize("size", ["Standard_DC4s_v2", "Standard_DC8s_v3", "Standard_DC8ds_v3"])
def test_sgx_dc_sizes_are_undetermined_not_refused(size: str) -> None:
    r = check_vm(size, os="Ubuntu 22.04", generation=2, as_of="2026-07")
    assert r.size_status == "unknown"
    assert r.compatible is None
    assert r.to_dict()["compatible"] is None
    assert r.reasons == ("size-unknown",)


def test_gpu_notes() -> None:
    r = check_vm("Standard_NC24ads_A100_v4", os="Ubuntu 22.04", generation=2)
    assert r.compatible
    assert any("GRID driver needs Secure Boot disabled on Linux" in n for n in r.notes)


def test_features_per_os_family() -> None:
    lin = check_vm(
        "Standard_D4s_v5", os="Ubuntu 22.04", generation=2, features=["hibernation"], as_of="2026-07"
    )
    assert codes(lin) == ("feature-not-supported",)
    win = check_vm("Standard_D4s_v5", os="Windows Server 2022", generation=2, features=["Hibernate"])
    assert win.compatible
    by_type = check_vm("Standard_D4s_v5", generation=2, os_type="Linux", features=["hibernation"])
    assert codes(by_type) == ("feature-not-supported",)
    asr = check_vm("Standard_D4s_v5", os="Ubuntu 22.04", generation=2, features=["ASR"], as_of="2025-04")
    assert asr.compatible
    assert any("public preview" in n for n in asr.notes)
    assert codes(
        check_vm("Standard_D4s_v5", os="Ubuntu 22.04", generation=2, features=["ASR"], as_of="2023-11")
    ) == ("feature-not-supported",)
    assert check_vm("Standard_D4s_v5", os="Ubuntu 22.04", generation=2, features=["ASR"]).compatible


def test_nested_virtualization_v5_exemption() -> None:
    v5 = check_vm(
        "Standard_D4s_v5",
        os="Windows Server 2022",
        generation=2,
        features=["nested virtualization"],
        as_of="2023-11",
    )
    assert v5.compatible
    v4 = check_vm(
        "Standard_D4s_v4",
        os="Windows Server 2022",
        generation=2,
        features=["nested virtualization"],
        as_of="2023-11",
    )
    assert codes(v4) == ("feature-not-supported",)


def test_regions() -> None:
    assert region_status("westeurope", "2022-05").supported is True
    assert region_status("usgovvirginia", "2022-05").supported is False
    assert region_status("usgovvirginia", "2023-04").supported is True
    assert region_status("chinanorth3", "2025-04").supported is True
    assert region_status("northeurope", "2021-02").supported is True
    assert region_status("westeurope", "2021-02").supported is True
    assert region_status("uksouth", "2021-02").supported is False
    with pytest.raises(DataError):
        region_status("west europe!")


def test_architecture_mismatch() -> None:
    r = check_vm("Standard_D4s_v5", "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64:latest")
    assert codes(r) == ("architecture-mismatch",)
    ok = check_vm("Standard_D4ps_v6", "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64:latest")
    assert ok.compatible
    assert any("Arm64 Marketplace images" in n for n in ok.notes)


def test_to_dict_is_json() -> None:
    r = check_vm("Standard_D2_v3", JAMMY, generation=1, as_of="2026-07")
    d = json.loads(json.dumps(r.to_dict()))
    assert {"size_status", "os_supported", "compatible", "blockers", "snapshot"} <= set(d)
    assert d["blockers"][0]["code"] == "size-not-supported"
    assert d["compatible"] is False
    assert d["reasons"] == ["size-not-supported", "gen1"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"size": "Standard_D4qs"}, "features"),
        ({"size": "Standard_D4s_v5", "generation": 3}, "generation"),
        ({"size": "Standard_D4s_v5", "features": ["teleportation"]}, "features"),
        ({"size": "Standard_D4s_v5", "image": "bad"}, "image"),
        ({"size": "Standard_D4s_v5", "os_type": "Plan9"}, "osType"),
        ({"size": "Standard_D4s_v5", "as_of": "1999-01"}, "as_of"),
    ],
)
def test_bad_input(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DataError) as e:
        check_vm(**kwargs)  # type: ignore[arg-type]
    assert e.value.field == field


def test_feature_keys_and_lists() -> None:
    assert feature_key("Managed Image") == "managed-image"
    assert feature_key("ultra_disk") == "ultra-disk"
    labels = [f.label for f in unsupported_features("2025-04")]
    assert labels[0].startswith("Azure Site Recovery")
    assert [f.feature for f in unsupported_features("2026-07")] == ["managed-image", "hibernation"]


def test_memo_does_not_depend_on_call_history() -> None:
    """The check_vm memo is keyed on canonical values: True is never served 1's cached report."""
    assert check_vm("Standard_D2s_v5", generation=1).generation == 1
    with pytest.raises(DataError) as ei:
        check_vm("Standard_D2s_v5", generation=True)  # type: ignore[arg-type]
    assert ei.value.field == "generation"
    img = MarketplaceImage("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts", hyper_v_generation=2)
    assert check_vm("Standard_D2s_v5", img).generation == 2
    with pytest.raises(DataError) as ei:
        check_vm("Standard_D2s_v5", replace(img, hyper_v_generation=True))
    assert ei.value.field == "hyperVGeneration"
    # "V2", 2 and an equal dict image share one canonical entry (dicts are memoised too)
    as_dict = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2"}
    first = check_vm("Standard_D2s_v5", as_dict, generation="V2")
    assert check_vm("Standard_D2s_v5", dict(as_dict), generation=2) is first
    assert check_vm("Standard_D2s_v5", JAMMY, generation=2) is first  # the same image as a URN


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"size": ["Standard_D2s_v5"]}, "size"),
        ({"size": "Standard_D2s_v5", "os": ["Ubuntu"]}, "os"),
        ({"size": "Standard_D2s_v5", "region": {"r": 1}}, "region"),
        ({"size": "Standard_D2s_v5", "features": [["ASR"]]}, "features"),
    ],
)
def test_unhashable_arguments_are_data_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DataError) as ei:
        check_vm(**kwargs)  # type: ignore[arg-type]
    assert ei.value.field == field


def test_arm64_size_with_unmarked_marketplace_image_is_an_architecture_mismatch() -> None:
    r = check_vm("Standard_D2ps_v6", JAMMY)
    assert r.compatible is False
    assert codes(r) == ("architecture-mismatch",)
    assert r.blockers[0].message == "The image is x64 but size Standard_D2ps_v6 is Arm64"
    assert any(
        n.startswith("Image architecture x64 inferred from the SKU name ('22_04-lts-gen2')") for n in r.notes
    )
    arm = check_vm("Standard_D2ps_v6", "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64:latest")
    assert arm.compatible is True
    explicit = check_vm(
        "Standard_D2ps_v6",
        {
            "publisher": "Canonical",
            "offer": "0001-com-ubuntu-server-jammy",
            "sku": "22_04-lts-gen2",
            "architecture": "Arm64",
        },
    )
    assert "architecture-mismatch" not in explicit.reasons
    gallery = check_vm(
        "Standard_D2ps_v6",
        {
            "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d",
            "securityType": "TrustedLaunchSupported",
        },
        os="Ubuntu 22.04",
    )
    assert (gallery.compatible, gallery.undetermined) == (None, ("architecture-unknown",))
    assert any(
        n.startswith("Image architecture not known; size Standard_D2ps_v6 is Arm64") for n in gallery.notes
    )


def test_image_security_type_decides_the_image_condition() -> None:
    flatcar = {
        "publisher": "kinvolk",
        "offer": "flatcar-container-linux",
        "sku": "stable-gen2",
        "securityType": "TrustedLaunchSupported",
        "hyperVGeneration": "V2",
    }
    r = check_vm("Standard_D2s_v5", flatcar)
    assert (r.compatible, r.reasons, r.image_security_type) == (True, (), "TrustedLaunchSupported")
    assert any("SecurityType 'TrustedLaunchSupported' decides the image condition" in n for n in r.notes)
    # An OS the table doesn't list at that version: the image's own SecurityType still wins.
    rhel = {
        "publisher": "RedHat",
        "offer": "RHEL",
        "sku": "9-lvm-gen2",
        "version": "9.1.2023",
        "securityType": "TrustedLaunchSupported",
    }
    assert check_vm("Standard_D2s_v5", rhel, as_of="2026-07").compatible is True
    rhel_plain = {k: v for k, v in rhel.items() if k != "securityType"}
    assert codes(check_vm("Standard_D2s_v5", rhel_plain, as_of="2026-07")) == ("os-not-supported",)
    # Without a SecurityType, a distro with no OS-table row is unknown, not a failure.
    centos = check_vm("Standard_D2s_v5", os="CentOS 8.4", generation=2, as_of="2026-07")
    assert (centos.compatible, centos.os_supported, centos.reasons) == (None, None, ("image-undetermined",))
    assert centos.undetermined == ("image-undetermined",)
    # SecurityType alone tells Gen2 (Trusted Launch images are Generation 2).
    g = check_vm(
        "Standard_D2s_v5",
        {
            "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d",
            "securityType": "TrustedLaunch",
        },
    )
    assert (g.compatible, g.generation) == (True, 2)


def test_nothing_checked_is_undetermined_not_compatible() -> None:
    r = check_vm(
        "Standard_D2s_v5",
        {"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d"},
    )
    assert r.compatible is None
    assert r.undetermined == ("generation-unknown", "image-undetermined")
    assert r.to_dict()["compatible"] is None
    assert r.to_dict()["verdict"] == "undetermined"
    assert not r.passed


def test_tl_security_type_on_a_gen1_image_is_flagged_inconsistent() -> None:
    img = {
        "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d",
        "securityType": "TrustedLaunch",
        "hyperVGeneration": "V1",
    }
    r = check_vm("Standard_D2s_v5", img, os="Ubuntu 22.04")
    assert codes(r) == ("gen1",)
    assert any(
        n.startswith("Inconsistent image record: SecurityType 'TrustedLaunch' with hyperVGeneration V1")
        for n in r.notes
    )


def test_size_not_supported_wording_follows_the_row() -> None:
    gen2 = check_vm("Standard_D2_v3", JAMMY).blockers[0]
    assert "doesn't support Generation 2" in gen2.message
    m = check_vm("Standard_M64s", JAMMY).blockers[0]
    assert m.code == "size-not-supported"
    assert "Generation 2" not in m.message
    assert "size table lists as not supported for Trusted Launch" in m.message


def test_region_notes_and_clouds() -> None:
    mars = check_vm("Standard_D2s_v5", JAMMY, region="Mars")
    assert mars.compatible is True
    assert any(n.startswith("Region name 'mars' is not validated") for n in mars.notes)
    cn = check_vm("Standard_D2s_v5", JAMMY, region="chinanorth3", as_of="2021-02")
    b = next(b for b in cn.blockers if b.code == "region-not-supported")
    assert "(none)" not in b.message
    assert "TL-2021 lists regions only for: public" in b.message


def test_sources_and_notes_follow_the_snapshot_text() -> None:
    mi = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/golden"
    old = next(
        b for b in check_vm("Standard_D2s_v5", mi, as_of="2023-11").blockers if b.code == "managed-image"
    )
    assert old.source == "TL-2023b: unsupported features list (Managed Image)"
    new = next(
        b for b in check_vm("Standard_D2s_v5", mi, as_of="2026-07").blockers if b.code == "managed-image"
    )
    assert new.source.endswith("'customers are encouraged to use Azure Compute Gallery'")
    gpu = "Standard_NC6s_v3"
    assert not any("CUDA" in n for n in check_vm(gpu, os="Ubuntu 20.04", generation=2, as_of="2021-02").notes)
    assert any("CUDA" in n for n in check_vm(gpu, os="Ubuntu 20.04", generation=2, as_of="2023-04").notes)


def test_windows_wildcards_only_where_the_table_says_variations() -> None:
    assert os_status("Windows 10 Education", "2023-04").supported is None  # no wildcard row in TL-2023
    assert os_status("Windows 10 Education", "2026-07").supported is True
