"""How the simulated logs differ in structure from real ones: every intended difference, named, as data.

The structure of a log is its sequence of (PCR, event type) on the PCRs compared (EV_NO_ACTION
left out). :data:`REAL_LOGS` names the real logs of the fixtures the simulator is compared with,
and which simulated chain and PCRs each is compared on; :data:`STRUCTURE_DIFFERENCES` lists each
(PCR, event type) that only one side has, how many times, and why. :func:`structure_after_differences`
removes the named differences from both sides; ``tests/boot/test_structure.py`` asserts that what
is left is the same sequence, so a difference nobody named fails the test.

What it does not do: compare contents (digests, certificates, strings), which differ by design
(simulated keys and images); ``tests/boot/test_measure.py`` names those content choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tlkit.eventlog import EventLog

__all__ = ["REAL_LOGS", "STRUCTURE_DIFFERENCES", "RealLog", "StructureDifference", "structure",
           "structure_after_differences"]  # fmt: skip


@dataclass(frozen=True)
class RealLog:
    """A real log to compare with: fixture path (under ``data/fixtures``), the scenario it is compared
    with, the PCRs compared, and what it is."""

    key: str
    path: str
    scenario: str
    pcrs: tuple[int, ...]
    what: str


_LINUX_PCRS = (0, 1, 2, 3, 4, 5, 6, 7, 14)
_FIRMWARE_PCRS = (0, 1, 2, 3, 4, 5, 6, 7)
_WINDOWS_PCRS = (0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14)

REAL_LOGS: tuple[RealLog, ...] = (
    RealLog(
        "hyperv",
        "cvm-measure/tests/fixtures/eventlog/azure-snp-ncc40ads-h100-v5.bin",
        "healthy-ubuntu-sb",
        _FIRMWARE_PCRS,
        "Azure Hyper-V UEFI (the firmware Trusted Launch VMs run), Secure Boot off, a UKI",
    ),
    RealLog(
        "hyperv-windows",
        "cvm-measure/tests/fixtures/eventlog/azure-snp-ncc40ads-h100-v5.bin",
        "healthy-windows-vbs",
        _FIRMWARE_PCRS,
        "the same Hyper-V log against the Windows chain's firmware part",
    ),
    RealLog(
        "ovmf-rhel9",
        "keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot",
        "healthy-ubuntu-sb",
        _LINUX_PCRS,
        "QEMU/OVMF + shim 15.8 + GRUB, RHEL 9, Secure Boot on",
    ),
    RealLog(
        "gce-rhel8",
        "go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin",
        "healthy-ubuntu-sb",
        _LINUX_PCRS,
        "GCE Shielded VM firmware + shim + GRUB, RHEL 8, Secure Boot on",
    ),
    RealLog(
        "gce-windows",
        "go-attestation/attest/testdata/windows_gcp_shielded_vm.json",
        "healthy-windows-vbs",
        _WINDOWS_PCRS,
        "GCE Shielded VM, Windows Server, Secure Boot on, no VBS (log in the JSON's Log.Raw)",
    ),
    RealLog(
        "option-rom-pc",
        "go-attestation/attest/testdata/option_rom_eventlog",
        "healthy-windows-vbs",
        _WINDOWS_PCRS,
        "a physical PC with a PCI option ROM, Windows 10 with VBS and Credential Guard",
    ),
)


@dataclass(frozen=True)
class StructureDifference:
    """``count`` events (``pcr``, ``event_type``) that only the ``side`` (``"real"`` or ``"simulated"``)
    log ``log`` (a :attr:`RealLog.key`) has, and why. Side ``"order"``: both logs have these events
    (as many, once the other differences are out) but at other places; they are compared as counts."""

    log: str
    side: str
    pcr: int
    event_type: str
    count: int
    why: str


_D = StructureDifference
_HV = "Azure's Hyper-V UEFI"
STRUCTURE_DIFFERENCES: tuple[StructureDifference, ...] = (
    # --- Hyper-V: the simulated firmware follows it; the differences are the boot, not the firmware
    _D(
        "hyperv",
        "simulated",
        7,
        "EV_EFI_VARIABLE_AUTHORITY",
        3,
        "Secure Boot on in the simulation (db authority for shim, shim's SbatLevel and vendor certificate); "
        "the real VM ran with Secure Boot off, so its firmware logged no authority",
    ),
    _D(
        "hyperv",
        "simulated",
        4,
        "EV_EFI_BOOT_SERVICES_APPLICATION",
        1,
        "shim, GRUB, kernel (3 images) against the real VM's unified kernel image and its kernel (2)",
    ),
    _D(
        "hyperv-windows",
        "simulated",
        7,
        "EV_EFI_VARIABLE_AUTHORITY",
        1,
        "Secure Boot on: the db authority that verified bootmgfw.efi (real VM: Secure Boot off)",
    ),
    _D(
        "hyperv-windows",
        "real",
        4,
        "EV_EFI_BOOT_SERVICES_APPLICATION",
        1,
        "the real VM loaded a UKI and its kernel; Windows' firmware loads only bootmgfw.efi",
    ),
    # --- OVMF (QEMU) + shim + GRUB, RHEL 9
    _D(
        "ovmf-rhel9",
        "real",
        0,
        "EV_EFI_PLATFORM_FIRMWARE_BLOB",
        1,
        f"OVMF measures two firmware volumes (PEIFV, DXEFV); {_HV} one",
    ),
    _D(
        "ovmf-rhel9",
        "real",
        1,
        "EV_PLATFORM_CONFIG_FLAGS",
        4,
        f"OVMF measures its ACPI tables on PCR 1; {_HV} does not",
    ),
    _D(
        "ovmf-rhel9",
        "real",
        1,
        "EV_EFI_VARIABLE_BOOT",
        4,
        f"OVMF measures BootOrder and Boot####; {_HV} does not",
    ),
    _D(
        "ovmf-rhel9",
        "real",
        2,
        "EV_EFI_BOOT_SERVICES_DRIVER",
        1,
        "the QEMU VM had a PCI option ROM (virtio-net iPXE); an Azure VM has none",
    ),
    _D(
        "ovmf-rhel9",
        "simulated",
        6,
        "EV_COMPACT_HASH",
        1,
        f"{_HV} logs the VM's UUID on PCR 6; OVMF does not",
    ),
    # --- GCE Shielded VM firmware + shim + GRUB, RHEL 8
    _D(
        "gce-rhel8",
        "real",
        0,
        "EV_NONHOST_INFO",
        1,
        "GCE firmware logs its NonHostInfo on PCR 0; Hyper-V does not",
    ),
    _D(
        "gce-rhel8",
        "real",
        1,
        "EV_EFI_VARIABLE_BOOT",
        4,
        f"GCE firmware measures BootOrder and Boot####; {_HV} does not",
    ),
    _D(
        "gce-rhel8",
        "simulated",
        0,
        "EV_EFI_PLATFORM_FIRMWARE_BLOB",
        1,
        f"{_HV} logs one firmware blob; GCE none",
    ),
    _D("gce-rhel8", "simulated", 6, "EV_COMPACT_HASH", 1, f"{_HV} logs the VM's UUID on PCR 6; GCE does not"),
    _D(
        "gce-rhel8",
        "simulated",
        7,
        "EV_EFI_VARIABLE_AUTHORITY",
        1,
        "shim 15.8 logs SbatLevel as an authority; the RHEL 8 shim predates SBAT",
    ),
    _D(
        "gce-rhel8",
        "simulated",
        14,
        "EV_IPL",
        1,
        "shim 15.8 logs MokListTrusted; the RHEL 8 shim predates it",
    ),
    _D(
        "gce-rhel8",
        "order",
        7,
        "EV_EFI_VARIABLE_AUTHORITY",
        0,
        "the RHEL 8 shim logs its vendor authority after GRUB's image; shim 15.8 and the simulation before",
    ),
    # --- GCE Shielded VM, Windows
    _D(
        "gce-windows",
        "simulated",
        0,
        "EV_EFI_PLATFORM_FIRMWARE_BLOB",
        1,
        f"{_HV} logs one firmware blob; GCE none",
    ),
    _D(
        "gce-windows",
        "simulated",
        6,
        "EV_COMPACT_HASH",
        1,
        f"{_HV} logs the VM's UUID on PCR 6; GCE does not",
    ),
    _D(
        "gce-windows",
        "simulated",
        4,
        "EV_EFI_ACTION",
        1,
        f"{_HV} logs 'Calling EFI Application from Boot Option'; the 2019 GCE firmware did not",
    ),
    *(
        _D(
            "gce-windows",
            "simulated",
            p,
            "EV_SEPARATOR",
            1,
            f"{_HV} logs the ReadyToBoot separators of PCRs 0-6; the 2019 GCE firmware did not",
        )
        for p in range(7)
    ),
    _D(
        "gce-windows",
        "simulated",
        5,
        "EV_EFI_ACTION",
        2,
        f"{_HV} logs the two ExitBootServices actions after the WBCL; the 2019 GCE firmware did not",
    ),
    # --- the option-ROM PC, Windows 10 with VBS
    _D("option-rom-pc", "real", 0, "EV_POST_CODE", 1, "a PC's firmware logs its ACPI data on PCR 0"),
    _D(
        "option-rom-pc",
        "real",
        1,
        "EV_CPU_MICROCODE",
        1,
        "a PC's firmware measures CPU microcode; a VM's does not",
    ),
    _D(
        "option-rom-pc",
        "real",
        1,
        "EV_EFI_VARIABLE_BOOT",
        21,
        f"the PC measures its 21 boot variables; {_HV} none",
    ),
    _D(
        "option-rom-pc",
        "real",
        2,
        "EV_EFI_BOOT_SERVICES_DRIVER",
        1,
        "the PC's PCI option ROM (a VM has none)",
    ),
    _D(
        "option-rom-pc",
        "real",
        7,
        "EV_EFI_VARIABLE_AUTHORITY",
        1,
        "the UEFI CA authority that verified that option ROM",
    ),
    _D(
        "option-rom-pc",
        "real",
        5,
        "EV_EFI_ACTION",
        1,
        "that PC logs 'Calling EFI Application from Boot Option' on PCR 5 (the PFP puts it on PCR 4)",
    ),
    _D("option-rom-pc", "simulated", 4, "EV_EFI_ACTION", 1, "... which Hyper-V, like the PFP, logs on PCR 4"),
    _D(
        "option-rom-pc",
        "simulated",
        6,
        "EV_COMPACT_HASH",
        1,
        f"{_HV} logs the VM's UUID on PCR 6; the PC does not",
    ),
    *(
        _D(
            "option-rom-pc",
            "real",
            p,
            "EV_EVENT_TAG",
            1,
            "the hypervisor loader's own trust boundary (hvloader, hypervisor modules): not simulated",
        )
        for p in (12, 13, 14)
    ),
)


def structure(log: Iterable[object], pcrs: Iterable[int]) -> list[tuple[int, str]]:
    """``[(pcr, event type name)]`` of the events of ``log`` on ``pcrs``, in order, EV_NO_ACTION left out."""
    keep = set(pcrs)
    return [
        (e.pcr, e.type_name)  # type: ignore[attr-defined]
        for e in log
        if e.pcr in keep and e.type_name != "EV_NO_ACTION"  # type: ignore[attr-defined]
    ]


def _without(seq: list[tuple[int, str]], item: tuple[int, str], count: int, where: str) -> None:
    for _ in range(count):
        if item not in seq:
            raise AssertionError(f"{where} has fewer {item} than STRUCTURE_DIFFERENCES names")
        seq.remove(item)


def structure_after_differences(
    real: EventLog, simulated: EventLog, key: str
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The structures of ``real`` and ``simulated`` on the PCRs of :data:`REAL_LOGS` ``key`` with the
    named differences of that log removed (first occurrences), ``(real, simulated)``: equal when every
    difference is named."""
    spec = next(r for r in REAL_LOGS if r.key == key)
    sides = {"real": structure(real, spec.pcrs), "simulated": structure(simulated, spec.pcrs)}
    mine = [d for d in STRUCTURE_DIFFERENCES if d.log == key]
    for d in mine:
        if d.side != "order":
            _without(sides[d.side], (d.pcr, d.event_type), d.count, f"{key} ({d.side})")
    for d in mine:
        if d.side == "order":
            item = (d.pcr, d.event_type)
            if sides["real"].count(item) != sides["simulated"].count(item):
                raise AssertionError(f"{key}: {item} differs in count, not only in order")
            for seq in sides.values():
                seq[:] = [x for x in seq if x != item]
    return sides["real"], sides["simulated"]
