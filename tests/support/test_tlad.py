"""Trusted Launch as Default resolution and the resize rule."""

from __future__ import annotations

import pytest

from tlkit.errors import DataError
from tlkit.support import check_resize, resolve_tlad, tlad_rules

JAMMY = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest"
PREVIEW = "TrustedLaunchByDefaultPreview"
STANDARD = "UseStandardSecurityType"


def tlad(**kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("size", "Standard_D4s_v5")
    kw.setdefault("image", JAMMY)
    return resolve_tlad(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "case",
    [
        # no TLaD before Nov 2023 for anyone
        ("portal", None, (), "2023-04", "Standard", "none", False),
        ("cli", None, (), "2023-04", "Standard", "none", False),
        ("arm", "2023-03-01", (), "2023-04", "Standard", "none", False),
        # Ignite 2023: portal / CLI / PowerShell default to TL
        ("portal", None, (), "2023-11", "TrustedLaunch", "tools", True),
        ("cli", None, (), "2023-11", "TrustedLaunch", "tools", True),
        ("powershell", None, (), "2023-11", "TrustedLaunch", "tools", True),
        ("arm", "2023-09-01", (), "2023-11", "Standard", "none", False),
        # preview: API clients need the flag and API >= 2021-11-01
        ("arm", "2024-07-01", (), "2025-04", "Standard", "none", False),
        ("bicep", "2024-07-01", (PREVIEW,), "2025-04", "TrustedLaunch", "preview", True),
        ("terraform", "2021-07-01", (PREVIEW,), "2025-04", "Standard", "none", False),
        (
            "sdk",
            "2021-11-01",
            (f"Microsoft.Compute/{PREVIEW}",),
            "2025-04b",
            "TrustedLaunch",
            "preview",
            True,
        ),
        # GA: API >= 2025-11-01, no flag needed
        ("arm", "2025-11-01", (), "2026-07", "TrustedLaunch", "ga", True),
        ("arm", "2025-11-01-preview", (), "2026-07", "TrustedLaunch", "ga", True),
        ("arm", "2024-07-01", (), "2026-07", "Standard", "none", False),
        ("arm", "2024-07-01", (PREVIEW,), "2026-07", "TrustedLaunch", "preview", True),
    ],
)
def test_default_matrix(case: tuple[str, str | None, tuple[str, ...], str, str, str, bool]) -> None:
    client, api, flags, as_of, effective, stage, applied = case
    d = tlad(client=client, api_version=api, flags=flags, as_of=as_of)
    assert (d.effective_security_type, d.stage, d.tlad_in_force) == (effective, stage, applied)
    assert d.passed
    assert not d.silent_fallback
    assert d.reasons[0] == "security-profile-absent"


def test_ga_reasons_and_reporting() -> None:
    d = tlad(client="arm", api_version="2025-11-01")
    assert d.reasons == ("security-profile-absent", "api-default-ga", "all-conditions-met")
    assert d.reported_security_type == "TrustedLaunch"
    old = tlad(client="arm", api_version="2024-07-01")
    assert old.reasons == (
        "security-profile-absent",
        "api-version-below-2025-11-01",
        f"flag-not-registered-{PREVIEW}",
        "legacy-non-tl-default",
    )
    assert old.reported_security_type is None  # absent/null on older API versions
    inferred = tlad(client="arm", api_version="2024-07-01", flags=[PREVIEW])
    assert "api-default-preview-inferred" in inferred.reasons


@pytest.mark.parametrize(
    ("size", "image", "reason"),
    [
        ("Standard_M128ms", JAMMY, "size-not-supported"),
        ("Standard_D4pds_v5", JAMMY, "size-currently-not-supported"),
        ("Standard_H16r", JAMMY, "size-unknown"),
        # An unmarked SKU is the Gen1 variant (image_generation.csv heuristic, as in the inventory).
        ("Standard_D4s_v5", "Canonical:0001-com-ubuntu-server-jammy:22_04-lts:latest", "image-gen1"),
        ("Standard_D4s_v5", "Canonical:ubuntu-24_04-lts:server-gen1:latest", "image-gen1"),
        (
            "Standard_D4s_v5",
            "Canonical:0001-com-ubuntu-server-xenial:16_04-lts-gen2:latest",
            "image-os-not-supported",
        ),
        ("Standard_D4s_v5", "/s/providers/Microsoft.Compute/images/i", "image-managed"),
        (
            "Standard_D4s_v5",
            {"id": "/s/providers/Microsoft.Compute/galleries/g/images/d"},
            "gallery-security-type-unknown",
        ),
        (
            "Standard_D4s_v5",
            {"sharedGalleryImageId": "/SharedGalleries/abc-123/Images/img/Versions/1.0.0"},
            "gallery-security-type-unknown",
        ),
    ],
)
def test_silent_fallback(size: str, image: object, reason: str) -> None:
    d = tlad(client="arm", api_version="2025-11-01", size=size, image=image)
    assert d.effective_security_type == "Standard"
    assert d.reported_security_type == "Standard"
    assert d.silent_fallback
    assert d.error is None
    assert reason in d.reasons
    assert d.reasons[-1] == "silent-fallback"


def test_gallery_image_tl_defaults_for_api_but_not_for_cli() -> None:
    img = {
        "id": "/s/providers/Microsoft.Compute/galleries/g/images/d",
        "securityType": "TrustedLaunchSupported",
        "hyperVGeneration": "V2",
    }
    assert tlad(client="arm", api_version="2025-11-01", image=img).effective_security_type == "TrustedLaunch"
    cli = tlad(client="cli", image=img)
    assert cli.effective_security_type == "Standard"
    assert "tool-default-marketplace-images-only" in cli.reasons
    assert not cli.silent_fallback


def test_explicit_trusted_launch_errors_substitute_size_and_image() -> None:
    d = tlad(client="arm", api_version="2025-11-01", security_profile="TrustedLaunch", size="Standard_M128ms")
    assert not d
    assert d.effective_security_type is None
    assert d.error_code == "size-not-supported"
    assert d.error == (
        "The VM size 'Standard_M128ms' is not supported for creation of VMs and Virtual Machine Scale Set "
        "with 'TrustedLaunch' security type. For more information, see https://aka.ms/TrustedLaunch-FAQ"
    )
    img = "MicrosoftWindowsServer:WindowsServer:2019-Datacenter:latest"
    e = tlad(client="cli", security_profile={"securityType": "TrustedLaunch"}, image=img, generation=1)
    assert e.error_code == "image-not-supported"
    assert e.error == (
        f'Use of TrustedLaunch setting is not supported for the provided image "{img}". '
        "Please select Trusted Launch Supported Gen2 OS Image. "
        "For more information, see https://aka.ms/TrustedLaunch-FAQ"
    )
    both = tlad(
        client="arm",
        api_version="2025-11-01",
        security_profile="TrustedLaunch",
        size="Standard_M64",
        image=img,
        generation=1,
    )
    assert both.error_code == "size-not-supported"
    assert both.reasons == ("explicit-trusted-launch", "size-not-supported", "image-gen1")
    ok = tlad(client="arm", api_version="2021-07-01", security_profile="TrustedLaunch", as_of="2022-05")
    assert (ok.effective_security_type, ok.tlad_in_force) == ("TrustedLaunch", False)


def test_standard_opt_out() -> None:
    no_flag = tlad(client="arm", api_version="2025-11-01", security_profile="Standard")
    assert no_flag.error_code == "standard-needs-flag"
    assert no_flag.error is not None
    assert no_flag.error.startswith("securityProfile.securityType is invalid")
    ok = tlad(client="arm", api_version="2025-11-01", security_profile="Standard", flags=[STANDARD])
    assert (ok.effective_security_type, ok.reasons, ok.reported_security_type) == (
        "Standard",
        ("explicit-standard",),
        "Standard",
    )
    old_api = tlad(client="arm", api_version="2024-07-01", security_profile="Standard", flags=[STANDARD])
    assert old_api.error_code == "standard-needs-api"
    assert "2025-11-01" in (old_api.error or "")
    preview_era = tlad(
        client="arm", api_version="2024-07-01", security_profile="Standard", flags=[STANDARD], as_of="2025-04"
    )
    assert preview_era.effective_security_type == "Standard"
    cli_2023 = tlad(client="cli", security_profile="Standard", as_of="2023-11")
    assert cli_2023.effective_security_type == "Standard"
    before = tlad(client="arm", api_version="2023-03-01", security_profile="Standard", as_of="2023-04")
    assert before.error_code == "standard-not-available"


def test_portal_standard_known_limitation_under_preview() -> None:
    d = tlad(client="portal", security_profile="Standard", flags=[PREVIEW, STANDARD], as_of="2025-04")
    assert d.effective_security_type == "TrustedLaunch"
    assert d.reasons == ("portal-standard-ignored-under-preview",)
    fixed = tlad(client="portal", security_profile="Standard", flags=[PREVIEW, STANDARD], as_of="2026-07")
    assert fixed.effective_security_type == "Standard"


def test_confidential_vm_passes_through() -> None:
    d = tlad(
        client="arm", api_version="2025-11-01", security_profile="ConfidentialVM", size="Standard_DC4as_v5"
    )
    assert d.effective_security_type == "ConfidentialVM"
    assert d.reasons == ("explicit-confidential-vm-not-checked",)


def test_to_dict() -> None:
    d = tlad(client="arm", api_version="2025-11-01").to_dict()
    assert d["effective_security_type"] == "TrustedLaunch"
    assert d["reasons"] == ["security-profile-absent", "api-default-ga", "all-conditions-met"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"client": "pulumi"}, "client"),
        ({"client": "arm"}, "api_version"),
        ({"client": "arm", "api_version": "2025-11"}, "api_version"),
        ({"client": "arm", "api_version": "2025-02-30"}, "api_version"),
        ({"client": "cli", "security_profile": "Trusted"}, "securityProfile.securityType"),
        ({"client": "cli", "security_profile": 7}, "securityProfile.securityType"),
        ({"client": "cli", "flags": [3]}, "flags"),
        ({"client": "cli", "size": "Standard_"}, "family"),
    ],
)
def test_bad_input(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DataError) as e:
        tlad(**kwargs)
    assert e.value.field == field


def test_rules_are_data() -> None:
    rules = tlad_rules()
    assert set(rules["clients"]) == {"portal", "cli", "powershell", "arm", "bicep", "terraform", "sdk"}
    assert rules["flags"] == {"preview": PREVIEW, "standard": STANDARD}
    assert rules["snapshots"]["2026-07"]["api_paths"][0]["min_api"] == "2025-11-01"
    assert rules["snapshots"]["2025-04"]["api_paths"][0]["min_api"] == "2021-11-01"


def test_resize() -> None:
    refused = check_resize("TrustedLaunch", "Standard_M128ms", "2026-07")
    assert not refused
    assert refused.allowed is False
    assert refused.message.startswith(
        "Unable to re-size VM or VMSS to un-supported Trusted launch VM size family"
    )
    assert refused.rollback_steps[0].startswith("Register the feature flag UseStandardSecurityType")
    assert refused.rollback_steps[1] == "Deallocate the VM"
    assert "API version 2025-11-01 or later" in refused.rollback_steps[2]
    assert "not the portal" in refused.rollback_steps[2]
    preview = check_resize("TrustedLaunch", "Standard_M128ms", "2025-04")
    assert preview.allowed is False
    assert "API version" not in preview.rollback_steps[2]
    assert check_resize("TrustedLaunch", "Standard_E8s_v5").allowed is True
    assert check_resize(None, "Standard_M128ms").allowed is True
    assert check_resize("Standard", "Standard_M128ms").reasons == ("standard-vm",)
    assert check_resize("TrustedLaunch", "Standard_H16r").allowed is None
    assert check_resize("ConfidentialVM", "Standard_D4s_v5").allowed is None
    assert refused.to_dict()["target_status"] == "not-supported"


def test_explicit_tl_on_undetermined_inputs_is_not_refused() -> None:
    d = tlad(
        client="arm",
        api_version="2025-11-01",
        security_profile="TrustedLaunch",
        size="Standard_H16r",
        image={"communityGalleryImageId": "/CommunityGalleries/pub-1/Images/img/Versions/latest"},
    )
    assert d.effective_security_type == "TrustedLaunch"
    assert d.reasons == (
        "explicit-trusted-launch",
        "size-unknown-not-checked",
        "gallery-security-type-unknown-not-checked",
    )


def test_explicit_tl_on_unmarked_gen1_sku_is_refused() -> None:
    urn = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts:latest"
    d = tlad(
        client="arm",
        api_version="2025-11-01",
        security_profile="TrustedLaunch",
        size="Standard_D4s_v5",
        image=urn,
    )
    assert (d.effective_security_type, d.error_code, d.reasons) == (
        None,
        "image-not-supported",
        ("explicit-trusted-launch", "image-gen1"),
    )
    assert d.error == (
        f'Use of TrustedLaunch setting is not supported for the provided image "{urn}". Please select '
        "Trusted Launch Supported Gen2 OS Image. For more information, see https://aka.ms/TrustedLaunch-FAQ"
    )


def test_source_disk_instead_of_image() -> None:
    base = {"client": "arm", "api_version": "2025-11-01", "size": "Standard_D4s_v5"}
    tl_disk = {
        "id": "/s/disks/os1",
        "hyperVGeneration": "V2",
        "securityProfile": {"securityType": "TrustedLaunch"},
    }
    d = resolve_tlad(**base, disk=tl_disk)  # type: ignore[arg-type]
    assert d.effective_security_type == "TrustedLaunch"
    opt = {"properties": {"hyperVGeneration": "V2", "supportedSecurityOption": "TrustedLaunchSupported"}}
    assert resolve_tlad(**base, disk=opt).effective_security_type == "TrustedLaunch"  # type: ignore[arg-type]
    plain = resolve_tlad(**base, disk={"hyperVGeneration": "V2"})  # type: ignore[arg-type]
    assert (plain.effective_security_type, plain.silent_fallback) == ("Standard", True)
    assert "disk-not-tl" in plain.reasons
    gen1 = resolve_tlad(
        **base,
        disk={"id": "/s/disks/old", "hyperVGeneration": "V1"},  # type: ignore[arg-type]
        security_profile="TrustedLaunch",
    )
    assert gen1.error_code == "image-not-supported"
    assert '"/s/disks/old"' in (gen1.error or "")
    with pytest.raises(DataError) as e:
        resolve_tlad(**base)  # type: ignore[arg-type]
    assert e.value.field == "image"
    with pytest.raises(DataError) as e:
        resolve_tlad(**base, disk={"hyperVGeneration": "V9"})  # type: ignore[arg-type]
    assert e.value.field == "hyperVGeneration"


def test_unknown_flag_is_rejected_listing_the_known_ones() -> None:
    with pytest.raises(DataError) as e:
        resolve_tlad(
            client="arm", size="Standard_D2s_v5", image=JAMMY, api_version="2025-11-01", flags=["Bogus"]
        )
    assert (
        "unknown feature flag 'Bogus' (known: TrustedLaunchByDefaultPreview, UseStandardSecurityType)"
        in str(e.value)
    )
    ok = resolve_tlad(
        client="arm",
        size="Standard_D2s_v5",
        image=JAMMY,
        api_version="2025-11-01",
        flags=["Microsoft.Compute/UseStandardSecurityType"],
    )
    assert ok.snapshot


def test_image_security_type_decides_the_tlad_image_condition() -> None:
    # RHEL 9.1 is not in TL-2026's OS table, but the image says TrustedLaunchSupported (FAQ-2025 §1.5).
    rhel = {"publisher": "RedHat", "offer": "RHEL", "sku": "9-lvm-gen2", "version": "9.1.2023"}
    kw = {"client": "arm", "size": "Standard_D2s_v5", "api_version": "2025-11-01", "as_of": "2026-07"}
    declared = resolve_tlad(image={**rhel, "securityType": "TrustedLaunchSupported"}, **kw)
    assert declared.effective_security_type == "TrustedLaunch"
    assert "image-security-type-tl" in declared.reasons
    plain = resolve_tlad(image=rhel, **kw)
    assert (plain.effective_security_type, plain.silent_fallback) == ("Standard", True)
    assert "image-os-not-supported" in plain.reasons
    # No SecurityType and a distro without an OS-table row: unknown, not a failure.
    centos = resolve_tlad(image="OpenLogic:CentOS:8_4-gen2:latest", **kw)
    assert centos.effective_security_type == "TrustedLaunch"
    assert "image-os-unknown" in centos.reasons


def test_resize_rollback_steps_only_where_documented() -> None:
    new = check_resize("TrustedLaunch", "Standard_M64", as_of="2026-07")
    assert any("UseStandardSecurityType" in s for s in new.rollback_steps)
    for as_of in ("2021-02", "2022-05", "2023-04", "2023-11"):
        old = check_resize("TrustedLaunch", "Standard_M64", as_of=as_of)
        assert not any("UseStandardSecurityType" in s for s in old.rollback_steps), as_of
        assert old.reasons[-1] == "rollback-not-documented"
        assert old.rollback_steps[0].endswith(
            "documents no way to turn Trusted Launch off on an existing VM: "
            "redeploy as a new Standard VM at the target size (notes §4.1: TL-2021 to "
            "TL-2023 'Trusted launch requires the creation of new virtual machines'; "
            "the feature-flag rollback to Standard appears with FAQ-2025 / TL-2025a)"
        )
