"""OS and image identification, OS-table checks per snapshot."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlkit.errors import DataError
from tlkit.support import (
    GalleryImage,
    ImageGeneration,
    ManagedImage,
    MarketplaceImage,
    identify_os,
    image_generation,
    os_status,
    os_table,
    parse_image,
)
from tlkit.support._snapshots import load_csv


@pytest.mark.parametrize(
    ("urn", "distro", "version", "generation"),
    [
        ("Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest", "ubuntu", "22.04", 2),
        ("Canonical:0001-com-ubuntu-server-jammy:22_04-lts:latest", "ubuntu", "22.04", 1),
        ("Canonical:0001-com-ubuntu-server-focal:20_04-lts-gen2:20.04.202405010", "ubuntu", "20.04", 2),
        ("Canonical:UbuntuServer:18.04-LTS:latest", "ubuntu", "18.04", 1),
        ("Canonical:UbuntuServer:18_04-lts-gen2:latest", "ubuntu", "18.04", 2),
        ("Canonical:ubuntu-24_04-lts:server:latest", "ubuntu", "24.04", 2),
        ("Canonical:ubuntu-24_04-lts:server-gen1:latest", "ubuntu", "24.04", 1),
        ("MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest", "windows-server", "2022", 2),
        (
            "MicrosoftWindowsServer:WindowsServer:2019-Datacenter-gensecond:latest",
            "windows-server",
            "2019",
            2,
        ),
        ("MicrosoftWindowsServer:WindowsServer:2019-Datacenter:latest", "windows-server", "2019", 1),
        (
            "MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition:latest",
            "windows-server",
            "2022-azure-edition",
            2,
        ),
        ("MicrosoftWindowsServer:WindowsServer:2012-R2-Datacenter:latest", "windows-server", "2012-r2", 1),
        ("RedHat:RHEL:9-lvm-gen2:latest", "rhel", "9", 2),
        ("RedHat:RHEL:9-lvm-gen2:9.4.2024081415", "rhel", "9.4", 2),
        ("RedHat:RHEL:94_gen2:latest", "rhel", "9.4", 2),
        ("RedHat:RHEL:8_10:latest", "rhel", "8.10", 1),
        ("SUSE:sles-15-sp5:gen2:latest", "sles", "15sp5", 2),
        ("SUSE:sles-sap-15-sp5:gen2:latest", "sles", "15sp5", 2),
        ("Debian:debian-12:12-gen2:latest", "debian", "12", 2),
        ("almalinux:almalinux-x86_64:9-gen2:latest", "almalinux", "9", 2),
        ("OpenLogic:CentOS:8_4-gen2:latest", "centos", "8.4", 2),
        ("Oracle:Oracle-Linux:ol89-lvm-gen2:latest", "oracle", "8.9", 2),
        ("Oracle:Oracle-Linux:ol810-lvm-gen2:latest", "oracle", "8.10", 2),
        ("microsoftcblmariner:cbl-mariner:cbl-mariner-2-gen2:latest", "azurelinux", "2.0", 2),
        ("MicrosoftCBLMariner:azure-linux-3:azure-linux-3-gen2:latest", "azurelinux", "3.0", 2),
        ("MicrosoftWindowsDesktop:windows-11:win11-23h2-pro:latest", "windows-11", "pro", 2),
        (
            "MicrosoftWindowsDesktop:windows-11:win11-22h2-avd:latest",
            "windows-11",
            "enterprise-multi-session",
            2,
        ),
        ("MicrosoftWindowsDesktop:windows-10:win10-22h2-ent-g2:latest", "windows-10", "enterprise", 2),
        (
            "MicrosoftWindowsDesktop:office-365:win11-23h2-avd-m365:latest",
            "windows-11",
            "enterprise-multi-session",
            2,
        ),
    ],
)
def test_marketplace_images(urn: str, distro: str, version: str, generation: int) -> None:
    info = identify_os(urn)
    assert (info.distro, info.version, info.generation) == (distro, version, generation)
    assert info.generation_basis == "sku-heuristic"


def test_explicit_generation_wins_over_sku() -> None:
    img = parse_image(
        {
            "publisher": "Canonical",
            "offer": "0001-com-ubuntu-server-jammy",
            "sku": "22_04-lts-gen2",
            "version": "latest",
            "hyperVGeneration": "V1",
        }
    )
    info = identify_os(img)
    assert (info.generation, info.generation_basis) == (1, "explicit")


def test_arm64_sku() -> None:
    info = identify_os("Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64:latest")
    assert (info.architecture, info.generation) == ("Arm64", 2)


@pytest.mark.parametrize(
    ("text", "distro", "version"),
    [
        ("Ubuntu 22.04", "ubuntu", "22.04"),
        ("Ubuntu Server 22.04 LTS", "ubuntu", "22.04"),
        ("ubuntu 22.4", "ubuntu", "22.04"),
        ("Windows Server 2022", "windows-server", "2022"),
        ("Windows Server 2022 Datacenter: Azure Edition", "windows-server", "2022-azure-edition"),
        ("Windows Server 2012 R2", "windows-server", "2012-r2"),
        ("RHEL 9.4", "rhel", "9.4"),
        ("Red Hat Enterprise Linux 8.10", "rhel", "8.10"),
        ("SLES 15 SP5", "sles", "15sp5"),
        ("SUSE Linux Enterprise Server 15-SP4", "sles", "15sp4"),
        ("Debian 12", "debian", "12"),
        ("AlmaLinux 9.4", "almalinux", "9.4"),
        ("Rocky Linux 9.6", "rocky", "9.6"),
        ("Oracle Linux 8.10", "oracle", "8.10"),
        ("CBL-Mariner 2.0", "azurelinux", "2.0"),
        ("Azure Linux 3", "azurelinux", "3"),
        ("Windows 11 Enterprise multi-session", "windows-11", "enterprise-multi-session"),
        ("Windows 10 Pro", "windows-10", "pro"),
        ("Windows 11", "windows-11", None),
        ("CentOS 8.4", "centos", "8.4"),
    ],
)
def test_free_form_strings(text: str, distro: str, version: str | None) -> None:
    info = identify_os(text)
    assert (info.distro, info.version) == (distro, version)


@pytest.mark.parametrize(
    ("os", "as_of", "supported", "code"),
    [
        ("Ubuntu 22.04", "2025-04", True, "listed"),
        ("Ubuntu 24.04", "2025-04", False, "version-not-listed"),
        ("Ubuntu 24.04", "2026-07", True, "listed"),
        ("Ubuntu 23.10", "2026-07", False, "version-not-listed"),
        ("RHEL 9.4", "2025-04", True, "listed"),
        ("RHEL 9.6", "2025-04", False, "version-not-listed"),  # the seed lists 9.0-9.5
        ("RHEL 9.6", "2025-04b", True, "listed"),
        ("RHEL 9", "2025-04", None, "minor-version-ambiguous"),
        ("RHEL 8.3", "2021-02", True, "listed"),
        ("Rocky Linux 9.6", "2025-04", False, "distro-not-listed"),  # no Rocky row in the seed
        ("Rocky Linux 9.6", "2025-04b", True, "listed"),
        ("AlmaLinux 9.4", "2026-07", True, "listed"),  # "9" row covers 9.x
        ("AlmaLinux 9.4", "2025-04", False, "version-not-listed"),
        ("SLES 15 SP5", "2025-04", True, "listed"),
        ("SLES 15 SP2", "2021-02", True, "listed"),
        ("SLES 15 SP2", "2025-04", False, "version-not-listed"),
        ("Debian 12", "2023-04", False, "version-not-listed"),
        ("Debian 13", "2026-07", True, "listed"),
        ("CentOS 8.4", "2023-04", True, "listed"),
        ("CentOS 8.4", "2026-07", False, "distro-not-listed"),
        ("Azure Linux 2", "2025-04", True, "listed"),
        ("CBL-Mariner 1.0", "2022-05", True, "listed"),
        ("Windows Server 2025", "2025-04", True, "listed"),
        ("Windows Server 2025", "2023-11", False, "version-not-listed"),
        ("Windows Server 2012 R2", "2026-07", False, "version-not-listed"),
        ("Windows 11 Pro", "2021-02", False, "distro-not-listed"),
        ("Windows 11", "2026-07", True, "listed"),
        ("Windows 10", "2021-02", None, "version-unknown"),
        ("Ubuntu", "2026-07", None, "version-unknown"),
        ("FreeBSD 14", "2026-07", None, "distro-unknown"),
        ("Contoso:ourimage:v1:latest", "2026-07", None, "distro-unknown"),
    ],
)
def test_os_status(os: str, as_of: str, supported: bool | None, code: str) -> None:
    st = os_status(os, as_of)
    assert st.supported is supported
    assert st.reasons == (code,)
    assert st.snapshot in (as_of, "2021-02")
    assert bool(st) is (supported is True)


def test_os_status_explains() -> None:
    st = os_status("RHEL 9", "2025-04")
    assert "9.0, 9.1, 9.2, 9.3, 9.4, 9.5" in st.reason
    d = st.to_dict()
    assert d["supported"] is None
    assert d["os"]["distro"] == "rhel"


def test_parse_image_forms() -> None:
    assert parse_image("Canonical:UbuntuServer:18.04-LTS") == MarketplaceImage(
        "Canonical", "UbuntuServer", "18.04-LTS", "latest"
    )
    gid = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0"
    assert parse_image(gid) == GalleryImage(gid)
    mid = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/img"
    assert parse_image(mid) == ManagedImage(mid)
    g = parse_image({"id": gid, "features": [{"name": "SecurityType", "value": "TrustedLaunchSupported"}]})
    assert isinstance(g, GalleryImage)
    assert g.security_type == "TrustedLaunchSupported"
    absent = parse_image(
        {"id": gid, "features": [{"name": "IsAcceleratedNetworkSupported", "value": "True"}]}
    )
    assert isinstance(absent, GalleryImage)
    assert absent.security_type == ""
    m = parse_image({"publisher": "p", "offer": "o", "sku": "s", "exactVersion": "1.2.3"})
    assert isinstance(m, MarketplaceImage)
    assert m.version == "1.2.3"


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("a:b", "image"),
        ("a::c:d", "image"),
        ("/subscriptions/s/providers/Microsoft.Network/x", "id"),
        ({"publisher": "p", "offer": "o"}, "sku"),
        ({"publisher": "p", "offer": "o", "sku": "s", "hyperVGeneration": "V3"}, "hyperVGeneration"),
        ({"id": "/x/providers/Microsoft.Compute/images/i", "features": "no"}, "features"),
        (3.5, "image"),
    ],
)
def test_bad_images(value: object, field: str) -> None:
    with pytest.raises(DataError) as e:
        parse_image(value)  # type: ignore[arg-type]
    assert e.value.field == field


@pytest.mark.parametrize("text", ["", "   ", "22.04", "%%%", "-ubuntu"])
def test_bad_os_strings(text: str) -> None:
    with pytest.raises(DataError) as e:
        identify_os(text)
    assert e.value.field == "os"


def test_gallery_image_with_os_text() -> None:
    info = identify_os(GalleryImage("/x/galleries/g/images/d", "TrustedLaunch", 2, "Ubuntu 22.04"))
    assert (info.distro, info.generation, info.generation_basis) == ("ubuntu", 2, "explicit")
    bare = identify_os(GalleryImage("/x/galleries/g/images/d"))
    assert bare.distro is None
    assert "OS not given" in bare.reason


GID = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0"
SHARED = "/SharedGalleries/abc-123/Images/img/Versions/1.0.0"
COMMUNITY = "/CommunityGalleries/pub-1/Images/img/Versions/latest"
MID = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/gold"


@pytest.mark.parametrize(
    ("value", "kind", "display"),
    [
        (GID, "gallery", "gallery image (OS unknown)"),
        (SHARED, "shared-gallery", "shared gallery image (OS unknown)"),
        ("/SharedGalleries/abc-123/Images/img", "shared-gallery", "shared gallery image (OS unknown)"),
        (COMMUNITY, "community-gallery", "community gallery image (OS unknown)"),
        ({"sharedGalleryImageId": SHARED}, "shared-gallery", "shared gallery image (OS unknown)"),
        ({"communityGalleryImageId": COMMUNITY}, "community-gallery", "community gallery image (OS unknown)"),
        (MID, "managed-image", "managed image (OS unknown)"),
        ("Canonical:UbuntuServer:18.04-LTS", "marketplace", "Ubuntu Server 18.04"),
    ],
)
def test_image_kinds_and_display_without_os(value: object, kind: str, display: str) -> None:
    img = parse_image(value)  # type: ignore[arg-type]
    assert img.kind == kind
    info = identify_os(img)
    assert info.display == display
    if kind != "marketplace":
        assert isinstance(img, GalleryImage | ManagedImage)
        assert info.distro is None
        label = display.removesuffix(" (OS unknown)")
        assert info.reason == f"{label} OS not given (pass os='Ubuntu 22.04' or similar)"


def test_shared_gallery_dict_keeps_security_type_and_os() -> None:
    img = parse_image(
        {
            "communityGalleryImageId": COMMUNITY,
            "features": [{"name": "SecurityType", "value": "TrustedLaunchSupported"}],
            "hyperVGeneration": "V2",
            "os": "Ubuntu 22.04",
        }
    )
    assert img == GalleryImage(COMMUNITY, "TrustedLaunchSupported", 2, "Ubuntu 22.04")
    assert identify_os(img).display == "Ubuntu Server 22.04"


@pytest.mark.parametrize(
    "bad",
    [
        "/SharedGalleries/abc",
        "/SharedGalleries/abc/Images",
        "/CommunityGalleries/pub/Images/img/Versions/1/extra",
        "/CommunityGalleries//Images/img",
    ],
)
def test_malformed_shared_gallery_ids(bad: str) -> None:
    with pytest.raises(DataError) as e:
        parse_image(bad)
    assert (e.value.field, e.value.record) == ("id", bad)


@pytest.mark.parametrize(
    ("urn", "generation", "rule_basis", "rule_start"),
    [
        ("MicrosoftWindowsServer:WindowsServer:2019-Datacenter", 1, "heuristic", "no Gen2 marker"),
        ("Canonical:0001-com-ubuntu-server-focal:20_04-lts", 1, "heuristic", "no Gen2 marker"),
        ("RedHat:RHEL:8-lvm", 1, "heuristic", "no Gen2 marker"),
        (
            "MicrosoftWindowsServer:WindowsServer:2019-datacenter-gensecond",
            2,
            "naming-convention",
            "sku contains",
        ),
        ("RedHat:RHEL:8-lvm-gen2", 2, "naming-convention", "sku contains"),
        (
            "MicrosoftWindowsServer:WindowsServer:2025-datacenter-azure-edition",
            2,
            "heuristic",
            "Windows Server Azure Edition",
        ),
        ("Canonical:0001-com-ubuntu-confidential-vm-jammy:22_04-lts-cvm", 2, "heuristic", "confidential VM"),
        ("Canonical:ubuntu-24_04-lts:server-gen1", 1, "heuristic", "sku contains 'gen1'"),
        ("Canonical:ubuntu-24_04-lts:server", 2, "heuristic", "ubuntu-24_04-lts style"),
        ("Contoso:AnyOffer:AnySku", 1, "heuristic", "no Gen2 marker"),
    ],
)
def test_image_generation_rules_come_from_data(
    urn: str, generation: int, rule_basis: str, rule_start: str
) -> None:
    g = image_generation(urn)
    assert (g.generation, g.basis, g.rule_basis) == (generation, "sku-heuristic", rule_basis)
    assert g.rule.startswith(rule_start)
    assert identify_os(urn).generation == generation


def test_image_generation_explicit_and_sku_less_images() -> None:
    explicit = {"publisher": "p", "offer": "o", "sku": "2019-Datacenter", "hyperVGeneration": "V2"}
    assert image_generation(explicit) == ImageGeneration(2, "explicit", None)
    assert image_generation({"id": GID, "hyperVGeneration": "V1"}) == ImageGeneration(1, "explicit", None)
    assert image_generation(SHARED) == ImageGeneration(None, None, None)
    assert image_generation(MID) == ImageGeneration(None, None, None)
    arm = image_generation("Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64")
    assert (arm.generation, arm.architecture) == (2, "Arm64")


def test_image_generation_table_rows_have_a_basis() -> None:
    rows = load_csv("image_generation.csv")
    assert {r["basis"] for r in rows} == {"naming-convention", "heuristic"}
    assert all(r["note"] for r in rows)
    # The last row is the catch-all (an unmarked sku is Gen1), so every Marketplace sku gets a guess.
    assert (rows[-1]["publisher"], rows[-1]["offer"], rows[-1]["sku_regex"], rows[-1]["generation"]) == (
        "*",
        "*",
        ".",
        "1",
    )


def test_os_table() -> None:
    df = os_table("2025-04")
    rhel = list(df[df["distro"] == "rhel"]["version"])
    assert rhel == [
        "8.4",
        "8.5",
        "8.6",
        "8.7",
        "8.8",
        "8.9",
        "8.10",
        "9.0",
        "9.1",
        "9.2",
        "9.3",
        "9.4",
        "9.5",
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_random_os_strings_raise_only_data_error(text: str) -> None:
    try:
        st_ = os_status(text, "2026-07")
    except DataError:
        return
    assert st_.supported in (True, False, None)
