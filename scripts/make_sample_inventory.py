"""Write a synthetic Azure VM fleet in three export shapes (az CLI, Resource Graph JSON and CSV).

Usage::

    python scripts/make_sample_inventory.py --seed 7 --count 320 --out data/samples

The same seed and count always give byte-identical files. Every file describes the same fleet:

- ``az-vm-list.json``: ``az vm list -o json`` (the az CLI flattens ``properties``); some records
  carry ``instanceView`` (as ``az vm get-instance-view`` prints it) and ``powerState``
  (as ``az vm list --show-details`` prints it).
- ``resource-graph.json``: ``az graph query -q "Resources | where type =~ 'microsoft.compute/
  virtualmachines'"`` output, ``{"count", "data": [...], "skip_token", "total_records"}``, each row a
  full resource with ``properties`` and ``properties.extended.instanceView``.
- ``resource-graph.csv``: the projected columns of the Resource Graph query in the tlkit facts
  notes, section 7.3 (``id, name, resourceGroup, ... osDiskId``).
- ``resource-graph-properties.csv``: a portal "Download as CSV" of the un-projected query, with
  ``properties`` as a JSON string column.
- ``disks.json``: ``az disk list -o json`` for part of the fleet (``hyperVGeneration`` of OS disks).

The fleet is synthetic: names, ids and GUIDs are drawn from the seed; sizes and images are real
Azure names. A few records are deliberately malformed (see ``MALFORMED``) so importers can be
tested on them. This script is a data generator, not a model of real fleet proportions.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlkit.support import parse_size, size_status

# --- catalogue: real size names by family, and whether the family has Generation 2 -----------------
# (family label, sizes, gen2 capable, TL capable (informational: per-size TL capability comes from
# tlkit.support.size_status, see _tl_capable), gpu)
SIZE_FAMILIES: tuple[tuple[str, tuple[str, ...], bool, bool, bool], ...] = (
    (
        "B",
        ("Standard_B2s", "Standard_B2ms", "Standard_B4ms", "Standard_B2ls_v2", "Standard_B2ats_v2"),
        True,
        True,
        False,
    ),
    ("Dv3", ("Standard_D2_v3", "Standard_D4_v3"), False, False, False),
    ("Dsv3", ("Standard_D2s_v3", "Standard_D4s_v3"), True, True, False),
    ("Dv4", ("Standard_D4s_v4", "Standard_D8ds_v4", "Standard_D4as_v4"), True, True, False),
    (
        "Dv5",
        ("Standard_D2s_v5", "Standard_D4ds_v5", "Standard_D8as_v5", "Standard_D2ads_v5", "Standard_D4ls_v5"),
        True,
        True,
        False,
    ),
    ("Dv6", ("Standard_D4s_v6", "Standard_D8ds_v6", "Standard_D2as_v6"), True, True, False),
    ("Dpsv5", ("Standard_D4ps_v5", "Standard_D2pds_v5", "Standard_D4pls_v5"), True, False, False),
    ("Dpsv6", ("Standard_D4ps_v6", "Standard_D2pls_v6", "Standard_D8pds_v6"), True, True, False),
    ("E", ("Standard_E4s_v5", "Standard_E8ds_v5", "Standard_E16as_v5", "Standard_E4s_v4"), True, True, False),
    ("Ev3", ("Standard_E4_v3", "Standard_E8_v3"), False, False, False),
    ("M", ("Standard_M64s", "Standard_M128ms", "Standard_M208s_v2"), True, False, False),
    ("F", ("Standard_F4s_v2", "Standard_F8s_v2", "Standard_FX4mds"), True, True, False),
    ("L", ("Standard_L8s_v3", "Standard_L16as_v3", "Standard_L8s_v2"), True, True, False),
    ("NC", ("Standard_NC6s_v3", "Standard_NC4as_T4_v3", "Standard_NC24ads_A100_v4"), True, True, True),
    ("NV", ("Standard_NV12s_v3", "Standard_NV36ads_A10_v5"), True, True, True),
    ("ND", ("Standard_ND40rs_v2", "Standard_ND96asr_v4"), True, True, True),
    ("NC-old", ("Standard_NC6", "Standard_NV6"), False, False, True),
    ("A", ("Standard_A2_v2", "Standard_A4_v2", "Standard_A1"), False, False, False),
    (
        "HB",
        ("Standard_HB120rs_v3", "Standard_HB176rs_v4", "Standard_HB120rs_v2", "Standard_HC44rs"),
        True,
        True,
        False,
    ),
)
ARM64_FAMILIES = {"Dpsv5", "Dpsv6"}
CONFIDENTIAL_SIZES = ("Standard_DC2as_v5", "Standard_DC4ads_v5", "Standard_EC4as_v5", "Standard_EC8ads_v5")


@dataclass(frozen=True)
class Image:
    """A Marketplace image: (publisher, offer, sku) plus its generation and architecture."""

    publisher: str
    offer: str
    sku: str
    gen: str
    os_type: str
    arch: str = "x64"
    cvm: bool = False


# (gen1 sku, gen2 sku) per OS line; None where that generation does not exist.
_MARKETPLACE: tuple[tuple[str, str, str | None, str | None, str], ...] = (
    ("Canonical", "UbuntuServer", "18.04-LTS", "18_04-lts-gen2", "Linux"),
    ("Canonical", "0001-com-ubuntu-server-focal", "20_04-lts", "20_04-lts-gen2", "Linux"),
    ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts", "22_04-lts-gen2", "Linux"),
    ("Canonical", "ubuntu-24_04-lts", "server-gen1", "server", "Linux"),
    ("MicrosoftWindowsServer", "WindowsServer", "2016-Datacenter", "2016-datacenter-gensecond", "Windows"),
    ("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter", "2019-datacenter-gensecond", "Windows"),
    ("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter", "2022-datacenter-g2", "Windows"),
    ("MicrosoftWindowsServer", "WindowsServer", None, "2022-datacenter-azure-edition", "Windows"),
    ("MicrosoftWindowsServer", "WindowsServer", "2025-datacenter", "2025-datacenter-g2", "Windows"),
    ("MicrosoftWindowsServer", "WindowsServer", None, "2025-datacenter-azure-edition", "Windows"),
    ("RedHat", "RHEL", "8-lvm", "8-lvm-gen2", "Linux"),
    ("RedHat", "RHEL", "9_4", "94_gen2", "Linux"),
    ("SUSE", "sles-15-sp5", "gen1", "gen2", "Linux"),
    ("SUSE", "sles-15-sp6", None, "gen2", "Linux"),
    ("Debian", "debian-11", "11", "11-gen2", "Linux"),
    ("Debian", "debian-12", "12", "12-gen2", "Linux"),
    ("almalinux", "almalinux-x86_64", "9-gen1", "9-gen2", "Linux"),
    ("almalinux", "almalinux-x86_64", None, "8-gen2", "Linux"),
    ("MicrosoftWindowsDesktop", "windows-11", None, "win11-23h2-avd", "Windows"),
    ("MicrosoftWindowsDesktop", "windows-11", None, "win11-24h2-avd", "Windows"),
)
GEN1_IMAGES = tuple(Image(p, o, g1, "V1", os) for p, o, g1, _g2, os in _MARKETPLACE if g1)
GEN2_IMAGES = tuple(Image(p, o, g2, "V2", os) for p, o, _g1, g2, os in _MARKETPLACE if g2)
ARM64_IMAGES = (
    Image("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-arm64", "V2", "Linux", "Arm64"),
    Image("Canonical", "ubuntu-24_04-lts", "server-arm64", "V2", "Linux", "Arm64"),
    Image("Debian", "debian-12", "12-arm64", "V2", "Linux", "Arm64"),
)
CVM_IMAGES = (
    Image("Canonical", "0001-com-ubuntu-confidential-vm-jammy", "22_04-lts-cvm", "V2", "Linux", cvm=True),
    Image("Canonical", "ubuntu-24_04-lts", "cvm", "V2", "Linux", cvm=True),
    Image(
        "MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-smalldisk-g2", "V2", "Windows", cvm=True
    ),
)
# Gen1 images of OSes whose Gen1 -> TL upgrade is supported (used for stale imageReference cases).
UPGRADED_FROM = tuple(
    i
    for i in GEN1_IMAGES
    if i.sku in {"2019-Datacenter", "2022-datacenter", "20_04-lts", "22_04-lts", "8-lvm"}
)

LOCATIONS = (
    "westeurope",
    "northeurope",
    "eastus",
    "eastus2",
    "westus3",
    "uksouth",
    "swedencentral",
    "centralindia",
    "japaneast",
    "australiaeast",
)
WORKLOADS = ("web", "api", "db", "batch", "ml", "avd", "dc", "jump", "etl", "sap", "cache", "build")
ENVIRONMENTS = ("prod", "dev", "test")
POWER_STATES = ("VM running", "VM running", "VM running", "VM deallocated", "VM stopped")

# Deliberately malformed records: (position in the fleet, defect kind).
MALFORMED_KINDS = (
    "missing-hardwareProfile",
    "vmSize-not-string",
    "garbage-size",
    "vmSize-null",
    "no-name-no-id",
)


@dataclass
class Vm:
    """One VM of the synthetic fleet (the truth every export shape is rendered from)."""

    index: int
    name: str
    subscription: str
    resource_group: str
    location: str
    size: str | int | None
    image: Image | None
    image_id: str | None
    os_type: str
    security: str  # TrustedLaunch | ConfidentialVM | Standard | absent | null
    secure_boot: bool | None
    vtpm: bool | None
    gen: str
    instance_view: bool
    disk_exported: bool
    power_state: str | None
    vm_id: str
    defect: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def rg_id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"

    @property
    def id(self) -> str:
        return f"{self.rg_id}/providers/Microsoft.Compute/virtualMachines/{self.name}"

    @property
    def os_disk_name(self) -> str:
        return f"{self.name}_OsDisk_1_{self.vm_id.replace('-', '')[:32]}"

    @property
    def os_disk_id(self) -> str:
        return f"{self.rg_id}/providers/Microsoft.Compute/disks/{self.os_disk_name}"


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _tl_capable(size: str) -> bool:
    """TL capability of a size as tlkit's newest snapshot says (``size_status(size).status``), so the
    samples can't contradict the library (a size the table doesn't cover is not TL capable)."""
    return size_status(size).status == "supported"


# Gen2-only series among the catalogue: Arm64 sizes (Arm64 images are Gen2 only), NDasrA100_v4 and
# NC A100 v4 (Gen2-only per their size pages). Gen1 VMs are never drawn on them.
_GEN2_ONLY_SERIES = ("NDasrv4",)


def _gen1_capable(size: str) -> bool:
    info = parse_size(size)
    return not (
        info.architecture == "Arm64" or info.accelerator == "A100" or info.series in _GEN2_ONLY_SERIES
    )


def _pick_size(
    rng: random.Random,
    *,
    gen2: bool | None = None,
    tl: bool | None = None,
    gpu: bool | None = None,
    gen1: bool = False,
) -> tuple[str, str]:
    fams = [f for f in SIZE_FAMILIES if (gen2 is None or f[2] == gen2) and (gpu is None or f[4] == gpu)]
    fam = rng.choice(fams)
    sizes = [s for s in fam[1] if (tl is None or _tl_capable(s) == tl) and (not gen1 or _gen1_capable(s))]
    while not sizes:  # this family has no size for the request: draw another family
        fam = rng.choice(fams)
        sizes = [s for s in fam[1] if (tl is None or _tl_capable(s) == tl) and (not gen1 or _gen1_capable(s))]
    return fam[0], rng.choice(sizes)


def _standard_security(rng: random.Random) -> str:
    return rng.choice(("absent", "absent", "null", "Standard", "Standard"))


def generate_fleet(seed: int, count: int) -> list[Vm]:
    """The synthetic fleet for ``seed``: ``count`` VMs (at least 60 so every scenario appears)."""
    if count < 60:
        raise SystemExit("count must be >= 60 so that every scenario appears")
    rng = random.Random(seed)
    subscriptions = [_guid(rng) for _ in range(3)]
    gallery_sub = subscriptions[0]
    gallery_ids = [
        f"/subscriptions/{gallery_sub}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
        f"corpGallery/images/{name}/versions/{ver}"
        for name, ver in (("ubuntu2204-hardened", "1.4.0"), ("ws2022-base", "2024.11.2"))
    ]
    managed_image_id = (
        f"/subscriptions/{gallery_sub}/resourceGroups/rg-images/providers/Microsoft.Compute/"
        "images/legacy-golden-ws2019"
    )

    # Fixed scenario slots so the small sample always shows each case; the rest are weighted draws.
    n_malformed = len(MALFORMED_KINDS)
    slots = (
        ["stale-upgrade"] * 5
        + ["cvm"] * 6
        + ["gallery"] * 4
        + ["managed-image"] * 3
        + ["arm-v5"] * 3
        + ["arm-v6"] * 3
        + ["malformed"] * n_malformed
    )
    weighted = (
        ("tl-full",) * 38 + ("tl-partial",) * 8 + ("gen2-standard",) * 22 + ("gen1",) * 27 + ("cvm",) * 2
    )
    slots += [rng.choice(weighted) for _ in range(count - len(slots))]
    rng.shuffle(slots)

    fleet: list[Vm] = []
    malformed_iter = iter(MALFORMED_KINDS * (count // n_malformed + 1))
    for i, scenario in enumerate(slots):
        workload = rng.choice(WORKLOADS)
        env = rng.choice(ENVIRONMENTS)
        vm = Vm(
            index=i,
            name=f"vm-{workload}-{env}-{i:04d}",
            subscription=rng.choice(subscriptions),
            resource_group=f"rg-{workload}-{env}",
            location=rng.choice(LOCATIONS),
            size=None,
            image=None,
            image_id=None,
            os_type="Linux",
            security="absent",
            secure_boot=None,
            vtpm=None,
            gen="V1",
            instance_view=rng.random() < 0.6,
            disk_exported=rng.random() < 0.5,
            power_state=rng.choice(POWER_STATES) if rng.random() < 0.5 else None,
            vm_id=_guid(rng),
            tags={"env": env, "workload": workload},
        )
        if scenario in {"tl-full", "tl-partial"}:
            fam, vm.size = _pick_size(rng, gen2=True, tl=True)
            vm.image = rng.choice(ARM64_IMAGES if fam in ARM64_FAMILIES else GEN2_IMAGES)
            vm.gen, vm.security, vm.vtpm = "V2", "TrustedLaunch", True
            vm.secure_boot = scenario == "tl-full"
            if scenario == "tl-partial" and rng.random() < 0.3:
                vm.vtpm, vm.secure_boot = False, True
        elif scenario == "stale-upgrade":
            _, vm.size = _pick_size(rng, gen2=True, tl=True, gpu=False)
            vm.image = rng.choice(UPGRADED_FROM)
            # GEN1 doc: vTPM is on after the upgrade, Secure Boot is not (unless enabled afterwards).
            vm.gen, vm.security, vm.vtpm, vm.secure_boot = "V2", "TrustedLaunch", True, rng.random() < 0.4
        elif scenario == "cvm":
            vm.size = rng.choice(CONFIDENTIAL_SIZES)
            vm.image = rng.choice(CVM_IMAGES)
            vm.gen, vm.security, vm.vtpm, vm.secure_boot = "V2", "ConfidentialVM", True, True
        elif scenario == "gen2-standard":
            fam, vm.size = _pick_size(rng, gen2=True)
            vm.image = rng.choice(ARM64_IMAGES if fam in ARM64_FAMILIES else GEN2_IMAGES)
            vm.gen, vm.security = "V2", _standard_security(rng)
        elif scenario in {"arm-v5", "arm-v6"}:
            fam = "Dpsv5" if scenario == "arm-v5" else "Dpsv6"
            vm.size = rng.choice(next(f[1] for f in SIZE_FAMILIES if f[0] == fam))
            vm.image, vm.gen = rng.choice(ARM64_IMAGES), "V2"
            if scenario == "arm-v6" and _tl_capable(vm.size) and rng.random() < 0.7:
                vm.security, vm.vtpm, vm.secure_boot = "TrustedLaunch", True, True
            else:
                vm.security = _standard_security(rng)
        elif scenario == "gallery":
            _, vm.size = _pick_size(rng, gen2=True, tl=True, gpu=False)
            vm.image_id = rng.choice(gallery_ids)
            vm.gen = "V2"
            if rng.random() < 0.5:
                vm.security, vm.vtpm, vm.secure_boot = "TrustedLaunch", True, True
            else:
                vm.security = _standard_security(rng)
        elif scenario == "managed-image":
            _, vm.size = _pick_size(rng, gpu=False, gen1=True)
            vm.image_id, vm.gen, vm.security = managed_image_id, "V1", _standard_security(rng)
        elif scenario == "gen1":
            _, vm.size = _pick_size(rng, gen1=True)
            vm.image, vm.gen, vm.security = rng.choice(GEN1_IMAGES), "V1", _standard_security(rng)
        else:  # malformed: otherwise a plain Gen2 VM
            _, vm.size = _pick_size(rng, gen2=True, tl=True)
            vm.image, vm.gen, vm.security = rng.choice(GEN2_IMAGES), "V2", _standard_security(rng)
            vm.defect = next(malformed_iter)
            if vm.defect == "vmSize-not-string":
                vm.size = rng.choice((2, 42, 64))
            elif vm.defect == "vmSize-null":
                vm.size = None
            elif vm.defect == "garbage-size":
                vm.size = rng.choice(("Standard_Banana_v9!", "XL", "Standard_"))
        if vm.image is not None:
            vm.os_type = vm.image.os_type
        elif vm.image_id is not None:
            vm.os_type = "Windows" if "ws20" in vm.image_id or "golden-ws" in vm.image_id else "Linux"
        fleet.append(vm)
    return fleet


# --- rendering -----------------------------------------------------------------------------------------


def _image_reference(vm: Vm) -> dict[str, Any]:
    if vm.image is not None:
        return {
            "exactVersion": None,
            "id": None,
            "offer": vm.image.offer,
            "publisher": vm.image.publisher,
            "sku": vm.image.sku,
            "version": "latest",
        }
    version = vm.image_id.rsplit("/", 1)[-1] if vm.image_id and "/versions/" in vm.image_id else None
    return {
        "exactVersion": version,
        "id": vm.image_id,
        "offer": None,
        "publisher": None,
        "sku": None,
        "version": None,
    }


def _security_profile(vm: Vm) -> dict[str, Any] | None:
    if vm.security == "absent":
        return None
    if vm.security == "null":
        # Rolled back TL -> Standard on an older API (EXIST): both fields null.
        return {"encryptionAtHost": None, "securityType": None, "uefiSettings": None}
    if vm.security == "Standard":
        return {"encryptionAtHost": None, "securityType": "Standard", "uefiSettings": None}
    return {
        "encryptionAtHost": None,
        "securityType": vm.security,
        "uefiSettings": {"secureBootEnabled": vm.secure_boot, "vTpmEnabled": vm.vtpm},
    }


def _properties(vm: Vm) -> dict[str, Any]:
    """The ``properties`` bag (ARM) == the flattened top level (az CLI), minus envelope fields."""
    props: dict[str, Any] = {}
    if vm.defect != "missing-hardwareProfile":
        props["hardwareProfile"] = {"vmSize": vm.size, "vmSizeProperties": None}
    props["networkProfile"] = {
        "networkInterfaces": [
            {"id": f"{vm.rg_id}/providers/Microsoft.Network/networkInterfaces/{vm.name}-nic", "primary": True}
        ]
    }
    props["osProfile"] = {"adminUsername": "azureuser", "computerName": vm.name[:15]}
    props["provisioningState"] = "Succeeded"
    sec = _security_profile(vm)
    if sec is not None:
        props["securityProfile"] = sec
    props["storageProfile"] = {
        "dataDisks": [],
        "imageReference": _image_reference(vm),
        "osDisk": {
            "caching": "ReadWrite",
            "createOption": "FromImage",
            "diskSizeGb": 30 if vm.os_type == "Linux" else 127,
            "managedDisk": {"id": vm.os_disk_id, "storageAccountType": "Premium_LRS"},
            "name": vm.os_disk_name,
            "osType": vm.os_type,
        },
    }
    props["timeCreated"] = "2025-03-14T09:26:53.1234567+00:00"
    props["vmId"] = vm.vm_id
    return props


def _power_code(state: str) -> str:
    return "PowerState/" + state.removeprefix("VM ").strip()


def to_az_vm_list(fleet: list[Vm]) -> list[dict[str, Any]]:
    """``az vm list -o json`` (flattened ``properties``), with instance views / details where captured."""
    out = []
    for vm in fleet:
        rec: dict[str, Any] = {}
        if vm.defect != "no-name-no-id":
            rec["id"] = vm.id
        rec["identity"] = None
        rec["location"] = vm.location
        if vm.defect != "no-name-no-id":
            rec["name"] = vm.name
        rec.update(_properties(vm))
        if vm.instance_view:
            rec["instanceView"] = {
                "computerName": vm.name[:15],
                "hyperVGeneration": vm.gen,
                "osName": None,
                "statuses": [
                    {"code": "ProvisioningState/succeeded", "level": "Info"},
                    {"code": _power_code(vm.power_state or "VM running"), "level": "Info"},
                ],
            }
        if vm.power_state is not None:
            rec["powerState"] = vm.power_state
        rec["resourceGroup"] = vm.resource_group
        rec["tags"] = vm.tags
        rec["type"] = "Microsoft.Compute/virtualMachines"
        out.append(rec)
    return out


def to_resource_graph_rows(fleet: list[Vm]) -> list[dict[str, Any]]:
    """Resource Graph ``Resources`` rows (un-projected) for the fleet."""
    rows = []
    for vm in fleet:
        props = _properties(vm)
        extended: dict[str, Any] = {
            "instanceView": {
                "hyperVGeneration": vm.gen if vm.instance_view else None,
                "powerState": (
                    {"code": _power_code(vm.power_state), "displayStatus": vm.power_state, "level": "Info"}
                    if vm.power_state
                    else None
                ),
            }
        }
        props["extended"] = extended
        named = vm.defect != "no-name-no-id"
        rows.append(
            {
                "extendedLocation": None,
                "id": vm.id if named else None,
                "identity": None,
                "kind": "",
                "location": vm.location,
                "managedBy": "",
                "name": vm.name if named else None,
                "plan": None,
                "properties": props,
                "resourceGroup": vm.resource_group,
                "sku": None,
                "subscriptionId": vm.subscription,
                "tags": vm.tags,
                "tenantId": "00000000-0000-0000-0000-000000000000",
                "type": "microsoft.compute/virtualmachines",
                "zones": None,
            }
        )
    return rows


ARG_PROJECTION_COLUMNS = (
    "id",
    "name",
    "resourceGroup",
    "location",
    "vmSize",
    "osType",
    "gen",
    "securityType",
    "secureBoot",
    "vTpm",
    "tlStatus",
    "imgPublisher",
    "imgOffer",
    "imgSku",
    "imgId",
    "osDiskId",
)


def _kusto_str(v: Any) -> str:
    """``tostring()`` of a dynamic value as Resource Graph prints it (null -> empty)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def to_resource_graph_projection(fleet: list[Vm]) -> list[dict[str, str]]:
    """The rows of the facts-file section 7.3 query (projected, as a CSV download shows them)."""
    rows = []
    for row in to_resource_graph_rows(fleet):
        p = row["properties"]
        sec = p.get("securityProfile") or {}
        uefi = sec.get("uefiSettings") or {}
        img = p["storageProfile"]["imageReference"]
        st = _kusto_str(sec.get("securityType")) or "Standard"
        sb, vt = uefi.get("secureBootEnabled"), uefi.get("vTpmEnabled")
        gen = _kusto_str(p["extended"]["instanceView"]["hyperVGeneration"])
        if st.lower() == "trustedlaunch":
            tl = "TL-full" if sb and vt else "TL-partial"
        elif st.lower() == "confidentialvm":
            tl = "CVM"
        else:
            tl = {"v2": "Gen2-Standard", "v1": "Gen1"}.get(gen.lower(), "Unknown-gen")
        rows.append(
            {
                "id": _kusto_str(row["id"]),
                "name": _kusto_str(row["name"]),
                "resourceGroup": row["resourceGroup"],
                "location": row["location"],
                "vmSize": _kusto_str((p.get("hardwareProfile") or {}).get("vmSize")),
                "osType": p["storageProfile"]["osDisk"]["osType"],
                "gen": gen,
                "securityType": st,
                "secureBoot": _kusto_str(sb),
                "vTpm": _kusto_str(vt),
                "tlStatus": tl,
                "imgPublisher": _kusto_str(img["publisher"]),
                "imgOffer": _kusto_str(img["offer"]),
                "imgSku": _kusto_str(img["sku"]),
                "imgId": _kusto_str(img["id"]),
                "osDiskId": p["storageProfile"]["osDisk"]["managedDisk"]["id"].lower(),
            }
        )
    return rows


def to_disk_list(fleet: list[Vm]) -> list[dict[str, Any]]:
    """``az disk list -o json`` records for the OS disks that were exported."""
    disks = []
    for vm in fleet:
        if not vm.disk_exported:
            continue
        disk_sec: dict[str, Any] | None = None
        if vm.security == "TrustedLaunch":
            disk_sec = {"securityType": "TrustedLaunch"}
        elif vm.security == "ConfidentialVM":
            disk_sec = {"securityType": "ConfidentialVM_DiskEncryptedWithPlatformKey"}
        disks.append(
            {
                "diskSizeGb": 30 if vm.os_type == "Linux" else 127,
                "hyperVGeneration": vm.gen,
                "id": vm.os_disk_id,
                "location": vm.location,
                "managedBy": vm.id,
                "name": vm.os_disk_name,
                "osType": vm.os_type,
                "resourceGroup": vm.resource_group.upper(),
                "securityProfile": disk_sec,
                "type": "Microsoft.Compute/disks",
            }
        )
    return disks


def _csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r[c] for c in columns})
    return buf.getvalue()


def _json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


ARG_RESOURCE_COLUMNS = (
    "id",
    "name",
    "type",
    "tenantId",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
)


def render(seed: int, count: int) -> dict[str, str]:
    """File name -> text for every sample file."""
    fleet = generate_fleet(seed, count)
    arg_rows = to_resource_graph_rows(fleet)
    flat_rows = [
        {
            k: (json.dumps(v, separators=(",", ":")) if isinstance(v, (dict, list)) else _kusto_str(v))
            for k, v in r.items()
        }
        for r in arg_rows
    ]
    return {
        "az-vm-list.json": _json_text(to_az_vm_list(fleet)),
        "resource-graph.json": _json_text(
            {"count": len(arg_rows), "data": arg_rows, "skip_token": None, "total_records": len(arg_rows)}
        ),
        "resource-graph.csv": _csv_text(to_resource_graph_projection(fleet), ARG_PROJECTION_COLUMNS),
        "resource-graph-properties.csv": _csv_text(flat_rows, ARG_RESOURCE_COLUMNS),
        "disks.json": _json_text(to_disk_list(fleet)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--count", type=int, default=320)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "samples")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in render(args.seed, args.count).items():
        (args.out / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {args.out / name} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
