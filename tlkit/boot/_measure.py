"""Measured boot of one Linux Secure Boot chain into a :class:`~tlkit.tpm.VirtualTpm` and an event log,
and the Hyper-V firmware part every chain (Linux and Windows) shares.

:func:`measure_linux_boot` boots firmware → shim → GRUB → kernel (+ initrd, command line, kernel
modules) event by event. The firmware part (:func:`firmware_config`) has the shape of Azure's Hyper-V
UEFI, read from the real Hyper-V log of the fixtures (cvm-measure ``azure-snp-ncc40ads-h100-v5.bin``;
``data/boot/platform.json``); shim 15.8 and GRUB 2.12 follow the real RHEL 9 OVMF Secure Boot log of
the keylime fixtures. Every event is extended into the vTPM (every bank) *and* appended to the log
with the same digests, so the log replays to the vTPM's PCRs by construction; the digests are the
ones the TCG PC Client PFP 1.06 defines (H(data) wherever the PFP derives the digest from the data).
``tests/boot/test_structure.py`` compares the structure with real logs (:mod:`._fidelity`).

What is measured, per PCR (PFP 1.06, 3.3.4 and 10.4; shim ``tpm.c``; GRUB ``tpm.c``/``verifiers.c``):

* 0: EV_S_CRTM_VERSION (empty on Hyper-V: a UTF-16 NUL, H(data)); one EV_EFI_PLATFORM_FIRMWARE_BLOB
  (UEFI_PLATFORM_FIRMWARE_BLOB base/length; digest H(firmware volume));
* 7: SecureBoot, PK, KEK, db, dbx as EV_EFI_VARIABLE_DRIVER_CONFIG (UEFI_VARIABLE_DATA, H(data)),
  the separator, then one EV_EFI_VARIABLE_AUTHORITY per *distinct* authority that verified an
  image (the db / MokList / vendor EFI_SIGNATURE_DATA of :attr:`LoadDecision.authority`; firmware
  and shim log each one once), and shim's ``SbatLevel``;
* 6: Hyper-V's EV_COMPACT_HASH ``UUID: <VM UUID>`` (:func:`vm_uuid`, from the seed);
* 1: nothing but the separator (Hyper-V measures no boot variables);
* 4: EV_EFI_ACTION "Calling EFI Application from Boot Option", the separator, then each EFI
  application's Authenticode digest as EV_EFI_BOOT_SERVICES_APPLICATION (UEFI_IMAGE_LOAD_EVENT);
* 0–6: EV_SEPARATOR (0x00000000) at ReadyToBoot; 5: the GPT (UEFI_GPT_DATA) and the two
  ExitBootServices actions;
* 14: shim's MokList, MokListX and MokListTrusted (EV_IPL naming the variable, digest H(contents));
* 8: GRUB's commands (``grub_cmd: ...``) and the kernel command line (``kernel_cmdline: ...``),
  digest H(text after the first space); 9: the files GRUB reads (grub.cfg, kernel, initrd), digest
  H(file).

Secure Boot decisions come from :func:`tlkit.boot.decide`: a refused shim, GRUB or kernel stops the
boot (the log ends there, ``booted`` is false); a refused kernel module is recorded and the boot
goes on (modules are not measured: IMA is not simulated).

What it does not do: IMA (PCR 10), option ROMs and drivers (PCR 2), quotes (call
``result.vtpm.quote``), attestation decisions. The Windows chain is :mod:`._windows`.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tlkit._data import data_cache, data_root
from tlkit.boot._components import DEFAULT_SBAT_LEVEL, Component, make_component
from tlkit.boot._keys import (
    DbEntry,
    SecureBootDatabase,
    SecureBootDatabases,
    certificate_entries,
    secure_boot_databases,
)
from tlkit.boot._secureboot import (
    LoadDecision,
    TrustPolicy,
    decide,
    firmware_policy,
    kernel_module_policy,
    shim_policy,
)
from tlkit.boot._vbs import VbsOutcome
from tlkit.errors import DataError
from tlkit.eventlog import Event, EventLog, EventType, make_event
from tlkit.eventlog import _guid as guids
from tlkit.eventlog._build import guid_bytes, variable_data
from tlkit.tpm import VirtualTpm

__all__ = ["DEFAULT_CMDLINE", "BootResult", "LinuxChain", "linux_chain", "measure_linux_boot"]

T = EventType
#: The OS identity keys (``data/boot/platform.json`` ``os``) of the simulated Linux and Windows VMs.
LINUX_OS = "ubuntu-24.04"
WINDOWS_OS = "windows-server-2022"
DEFAULT_CMDLINE = "root=/dev/sda1 ro console=tty1 console=ttyS0 earlyprintk=ttyS0 panic=-1"
_CALLING = b"Calling EFI Application from Boot Option"
_EBS = (b"Exit Boot Services Invocation", b"Exit Boot Services Returned with Success")
_SEPARATOR = b"\x00\x00\x00\x00"
_DISK_GUID = "7c3f2d5e-8a4b-4c1e-9f60-2b1d3e4f5a6b"
_ESP_GUID = "a88ed452-9a52-45c4-91ce-3da7707caaab"
_ESP_TYPE = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
_ROOT_TYPE = "0fc63daf-8483-4772-8e79-3d69d8477de4"
_ROOT_GUID = "4dbc98d4-cc1a-4f57-af34-3f374f4954bf"
_ESP = (1, 0x800, 0x12C000)  # partition number, start LBA, size in sectors
_AUTHORITY_VENDOR = {"db": guids.EFI_IMAGE_SECURITY_DATABASE}  # shim's variables: SHIM_LOCK


# ------------------------------------------------------------------------------ payload writers
def _node(kind: int, sub: int, body: bytes) -> bytes:
    """One EFI_DEVICE_PATH_PROTOCOL node (UEFI 2.10, 10.2): type, subtype, length, data."""
    return struct.pack("<BBH", kind, sub, 4 + len(body)) + body


_END = _node(0x7F, 0xFF, b"")


def _hd_path(file: str) -> bytes:
    """HD(1,GPT,<ESP>,0x800,0x12c000)/\\file: the hard drive media node (UEFI 10.3.5.1), a file path."""
    part, start, size = _ESP
    hd = struct.pack("<IQQ", part, start, size) + guid_bytes(_ESP_GUID) + b"\x02\x02"
    return _node(4, 1, hd) + _file_node(file)


def _file_node(file: str) -> bytes:
    return _node(4, 4, (file + "\0").encode("utf-16-le"))


def _pci_path(*devices: tuple[int, int]) -> bytes:
    """PciRoot(0x0)/Pci(d,f)/...: ACPI PNP0A03 node, then a PCI node per (device, function)."""
    root = _node(2, 1, struct.pack("<II", 0x0A0341D0, 0))
    return root + b"".join(_node(1, 1, bytes((f, d))) for d, f in devices)


def _image_load(image: Component, path: bytes) -> bytes:
    """UEFI_IMAGE_LOAD_EVENT (PFP 1.06, 10.4.3); ``path`` without its end node (b"": none logged)."""
    dp = path + _END if path else b""
    base = 0x7E000000 - 0x10000 * (len(image.name) % 16)
    return struct.pack("<QQQQ", base, len(image.data), 0, len(dp)) + dp


def _gpt_data() -> bytes:
    """UEFI_GPT_DATA (PFP 1.06, 10.4.6): the GPT header of a 30 GiB disk, ESP and root partitions."""
    header = (
        b"EFI PART" + struct.pack("<IIII", 0x10000, 92, 0, 0)
        + struct.pack("<QQQQ", 1, 62914559, 34, 62914526) + guid_bytes(_DISK_GUID)
        + struct.pack("<QIII", 2, 128, 128, 0)
    )  # fmt: skip
    esp_start, esp_size = _ESP[1], _ESP[2]
    parts = [
        (_ESP_TYPE, _ESP_GUID, esp_start, esp_start + esp_size - 1, "EFI System Partition"),
        (_ROOT_TYPE, _ROOT_GUID, esp_start + esp_size, 62914526, "root"),
    ]
    entries = b"".join(
        guid_bytes(t) + guid_bytes(u) + struct.pack("<QQQ", s, e, 0) + n.encode("utf-16-le").ljust(72, b"\0")
        for t, u, s, e, n in parts
    )
    return header + struct.pack("<Q", len(parts)) + entries


def _authority_data(entry: DbEntry) -> bytes:
    """EV_EFI_VARIABLE_AUTHORITY data: UEFI_VARIABLE_DATA of the entry's variable holding its
    EFI_SIGNATURE_DATA (PFP 1.06, 3.3.4.8; shim logs its own variables under SHIM_LOCK)."""
    vendor = _AUTHORITY_VENDOR.get(entry.variable, guids.SHIM_LOCK)
    return variable_data(vendor, entry.variable, entry.signature_data)


# ------------------------------------------------------------------------------------ recorder
class _Recorder:
    """Extends each event into the vTPM (every bank) and keeps it for the log, with equal digests."""

    def __init__(self, vtpm: VirtualTpm) -> None:
        self.vtpm = vtpm
        self.banks = tuple(a.name for a in vtpm.pcrs.banks)
        self.events: list[Event] = []
        self.authorities: set[bytes] = set()

    def measure(
        self, pcr: int, event_type: int, data: bytes, measured: bytes | None = None, **digests: bytes
    ) -> None:
        """Log ``data`` with digest H(``measured``) (default H(``data``)), or the given ``digests``
        per bank (an Authenticode hash), and extend the same digests into the vTPM."""
        event = make_event(pcr, event_type, data, self.banks, measured=measured, digests=digests)
        for alg_id, digest in event.digest_list:
            self.vtpm.pcrs.extend(pcr, digest, alg_id)
        self.events.append(event)

    def authority(self, decision: LoadDecision) -> None:
        """PCR 7 EV_EFI_VARIABLE_AUTHORITY for the entry that verified an image, once per entry."""
        entry = decision.authority
        if entry is None:
            return
        data = _authority_data(entry)
        if data not in self.authorities:
            self.authorities.add(data)
            self.measure(7, T.EV_EFI_VARIABLE_AUTHORITY, data)

    def application(self, image: Component, path: bytes) -> None:
        """PCR 4 EV_EFI_BOOT_SERVICES_APPLICATION: the image's Authenticode digest in every bank."""
        digests = {b: image.digest(b) for b in self.banks}
        self.measure(4, T.EV_EFI_BOOT_SERVICES_APPLICATION, _image_load(image, path), **digests)

    def grub_command(self, command: str, prefix: str = "grub_cmd") -> None:
        """PCR 8 EV_IPL ``"<prefix>: <command>\\0"``; GRUB hashes the command without the prefix."""
        self.measure(8, T.EV_IPL, f"{prefix}: {command}\0".encode(), measured=command.encode())

    def grub_file(self, path: str, content: bytes) -> None:
        """PCR 9 EV_IPL naming a file GRUB read; the digest is H(file)."""
        self.measure(9, T.EV_IPL, path.encode() + b"\0", measured=content)


# ------------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class LinuxChain:
    """What one Linux VM boots: firmware volumes, shim, GRUB, kernel, initrd, modules, command line,
    and the platform's Secure Boot databases and shim MOK lists."""

    dbs: SecureBootDatabases
    firmware: tuple[Component, ...]
    shim: Component
    grub: Component
    kernel: Component
    initrd: Component
    modules: tuple[Component, ...] = ()
    cmdline: str = DEFAULT_CMDLINE
    mok_list: tuple[DbEntry, ...] = field(default=(), repr=False)
    mok_list_x: tuple[DbEntry, ...] = field(default=(), repr=False)
    kernel_version: str = "6.8.0-1015-azure"


def linux_chain(seed: int = 0, **changes: object) -> LinuxChain:
    """The default Ubuntu-on-Azure chain of ``seed`` (shim signed by the simulated Microsoft UEFI CA,
    GRUB and the kernel by the Canonical-like vendor key, one in-tree module); ``changes`` replace
    fields, e.g. ``grub=chain.grub.tampered()``."""
    chain = LinuxChain(
        dbs=secure_boot_databases(seed),
        firmware=hyperv_firmware(seed),
        shim=make_component(
            "shimx64.efi", "shim", seed=seed, signer="uefi-signer", vendor_cert_role="vendor-ca"
        ),
        grub=make_component("grubx64.efi", "bootloader", seed=seed, signer="vendor-signer"),
        kernel=make_component("vmlinuz", "kernel", seed=seed, signer="vendor-signer"),
        initrd=make_component("initrd.img", "initrd", seed=seed),
        modules=(make_component("hv_netvsc.ko", "kernel-module", seed=seed, signer="kernel-build-key"),),
    )
    return replace(chain, **changes)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class BootResult:
    """One simulated measured boot.

    Attributes:
        log: the event log firmware, shim and GRUB wrote (crypto-agile, the vTPM's banks).
        vtpm: the vTPM the same events were extended into (quote it for attestation).
        booted: no refusal stopped the boot.
        decisions: every Secure Boot decision, in boot order.
        secure_boot: Secure Boot was on.
        vbs: for Windows, what of VBS, HVCI and Credential Guard ran (``None`` for Linux).
        os: the key of the booted OS's identity in ``data/boot/platform.json`` (:func:`os_identity`).
    """

    log: EventLog = field(repr=False)
    vtpm: VirtualTpm = field(repr=False)
    booted: bool
    decisions: tuple[LoadDecision, ...]
    secure_boot: bool = True
    os: str = LINUX_OS
    vbs: VbsOutcome | None = None

    @property
    def refused(self) -> tuple[LoadDecision, ...]:
        """The refused components (the fatal one that stopped the boot, or kernel modules)."""
        return tuple(d for d in self.decisions if d.refused)

    @property
    def pcrs(self) -> dict[str, dict[int, bytes]]:
        """``{bank: {pcr: value}}`` of the vTPM after the boot."""
        return self.vtpm.pcrs.as_dict()

    def pcrs_moved(self, baseline: BootResult, bank: str = "sha256") -> tuple[int, ...]:
        """The PCRs whose ``bank`` value after this boot differs from ``baseline``'s (the one
        comparison the scenario table, the switcher and the exercise check all use)."""
        mine, base = self.pcrs[bank], baseline.pcrs[bank]
        return tuple(p for p in sorted(set(mine) | set(base)) if mine.get(p) != base.get(p))

    @property
    def passed(self) -> bool:
        return self.booted

    def __bool__(self) -> bool:
        return self.booted

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f"{d.component}: {d.reason}" for d in self.refused)


# --------------------------------------------------------------------------------------- phases
@data_cache()
def platform_data() -> dict[str, Any]:
    """``data/boot/platform.json``: the Hyper-V firmware shape and the OS identities (see its SOURCES.md)."""
    try:
        text = data_root().joinpath("boot/platform.json").read_text(encoding="utf-8")
        doc = json.loads(text)
    except (OSError, ValueError) as e:
        raise DataError(f"boot/platform.json unreadable: {e}") from None
    if not isinstance(doc, dict) or not {"hyperv_firmware", "os"} <= set(doc):
        raise DataError("boot/platform.json lacks hyperv_firmware or os")
    return doc


def os_identity(key: str) -> dict[str, object]:
    """``{"type", "distro", "version", "major", "minor", "build"}`` of an OS key (``BootResult.os``).

    Raises:
        DataError: unknown key.
    """
    found = platform_data()["os"].get(key)
    if not isinstance(found, dict):
        raise DataError("unknown OS identity", record=key)
    return dict(found)


def vm_uuid(seed: int) -> str:
    """The VM's UUID that Hyper-V logs on PCR 6 (derived from the seed, upper case as Hyper-V logs it)."""
    raw = bytearray(hashlib.sha256(f"tlkit.boot vm uuid/{seed}".encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40  # RFC 9562 version 4, variant 10
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex().upper()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def firmware_config(
    rec: _Recorder, dbs: SecureBootDatabases, firmware: Sequence[Component], secure_boot: bool, seed: int
) -> None:
    """The Hyper-V UEFI firmware part, in the order of the real Azure Hyper-V log: PCR 0 (the S-CRTM
    version, empty on Hyper-V, and the firmware volume), PCR 7 (SecureBoot, PK, KEK, db, dbx, the
    separator), PCR 6 (the VM's UUID, EV_COMPACT_HASH), then at ReadyToBoot PCR 4's "Calling EFI
    Application from Boot Option" and the separators of PCRs 0-6 (PFP 1.06, 3.3.2.2). Hyper-V
    measures no boot variables on PCR 1."""
    version = str(platform_data()["hyperv_firmware"]["scrtm_version"])
    rec.measure(0, T.EV_S_CRTM_VERSION, (version + "\0").encode("utf-16-le"))
    base = 0x100000
    for fv in firmware:
        rec.measure(0, T.EV_EFI_PLATFORM_FIRMWARE_BLOB, struct.pack("<QQ", base, len(fv.data)), fv.data)
        base += 0x100000 * (1 + len(fv.data) // 0x100000)
    flag = b"\x01" if secure_boot else b"\x00"
    rec.measure(
        7, T.EV_EFI_VARIABLE_DRIVER_CONFIG, variable_data(guids.EFI_GLOBAL_VARIABLE, "SecureBoot", flag)
    )
    for db in dbs:
        rec.measure(7, T.EV_EFI_VARIABLE_DRIVER_CONFIG, db.variable_data)
    rec.measure(7, T.EV_SEPARATOR, _SEPARATOR)
    rec.measure(6, T.EV_COMPACT_HASH, f"UUID: {vm_uuid(seed)}".encode())
    rec.measure(4, T.EV_EFI_ACTION, _CALLING)
    for pcr in range(7):
        rec.measure(pcr, T.EV_SEPARATOR, _SEPARATOR)


def hyperv_firmware(seed: int = 0, version: str = "1") -> tuple[Component, ...]:
    """The firmware volume(s) Hyper-V measures as PCR 0 firmware blobs (one, per the real log)."""
    names = platform_data()["hyperv_firmware"]["firmware_volumes"]
    return tuple(make_component(str(n), "firmware-volume", seed=seed, version=version) for n in names)


def exit_boot_services(rec: _Recorder) -> None:
    """PCR 5: the two ExitBootServices actions (PFP 1.06, 10.4.1)."""
    for pcr_event in _EBS:
        rec.measure(5, T.EV_EFI_ACTION, pcr_event)


def load_first_application(
    rec: _Recorder,
    decisions: list[LoadDecision],
    image: Component,
    *,
    dbs: SecureBootDatabases,
    secure_boot: bool,
    path: bytes,
) -> bool:
    """Firmware verifies the boot application against db/dbx; when it loads: its authority (PCR 7),
    the GPT of its disk (PCR 5), the image (PCR 4)."""
    decision = decide(image, firmware_policy(dbs, secure_boot=secure_boot))
    decisions.append(decision)
    if decision.refused:
        return False
    rec.authority(decision)
    rec.measure(5, T.EV_EFI_GPT_EVENT, _gpt_data())
    rec.application(image, path)
    return True


def _load(
    rec: _Recorder, decisions: list[LoadDecision], image: Component, policy: TrustPolicy, path: bytes
) -> bool:
    """Verify ``image``; when it loads, log its authority (PCR 7) then the image (PCR 4)."""
    decision = decide(image, policy)
    decisions.append(decision)
    if decision.refused:
        return False
    rec.authority(decision)
    rec.application(image, path)
    return True


def _shim_variables(rec: _Recorder, chain: LinuxChain) -> None:
    """shim's PCR 14 MOK lists (MokListRT holds MokList and the vendor certificate) and PCR 7 SbatLevel,
    in shim 15.8's order."""
    vendor = certificate_entries("Shim", chain.shim.vendor_certificates, guids.SHIM_LOCK)
    mok = SecureBootDatabase("MokList", (*chain.mok_list, *vendor))
    rec.measure(14, T.EV_IPL, b"MokList\0", mok.data)
    rec.measure(14, T.EV_IPL, b"MokListX\0", SecureBootDatabase("MokListX", chain.mok_list_x).data)
    sbat = variable_data(guids.SHIM_LOCK, "SbatLevel", DEFAULT_SBAT_LEVEL.encode())
    rec.measure(7, T.EV_EFI_VARIABLE_AUTHORITY, sbat)
    rec.measure(14, T.EV_IPL, b"MokListTrusted\0", b"\x01")


def _grub_config(rec: _Recorder, chain: LinuxChain) -> str:
    """GRUB reads its configuration (PCR 9) and runs it (PCR 8); returns the ``linux`` command."""
    stub = f"search.fs_uuid {_ROOT_GUID} root\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n"
    rec.grub_file("(hd0,gpt1)/EFI/ubuntu/grub.cfg", stub.encode())
    for command in (f"search.fs_uuid {_ROOT_GUID} root", "set prefix=(hd0,gpt2)/boot/grub",
                    "configfile (hd0,gpt2)/boot/grub/grub.cfg"):  # fmt: skip
        rec.grub_command(command)
    kernel = f"/boot/vmlinuz-{chain.kernel_version}"
    linux = f"linux {kernel} {chain.cmdline}"
    cfg = f"set default=0\nset timeout=0\ninsmod part_gpt\ninsmod ext2\n{linux}\n"
    rec.grub_file("(hd0,gpt2)/boot/grub/grub.cfg", cfg.encode())
    for command in ("set default=0", "set timeout=0", "insmod part_gpt", "insmod ext2", linux):
        rec.grub_command(command)
    return kernel


def _boot_kernel(rec: _Recorder, chain: LinuxChain, shim: TrustPolicy, decisions: list[LoadDecision]) -> bool:
    """GRUB reads the kernel (PCR 9), has shim verify it, the firmware measures it (PCR 4), then GRUB
    logs the command line and the initrd (PCRs 8 and 9)."""
    kernel = _grub_config(rec, chain)
    rec.grub_file(f"(hd0,gpt2){kernel}", chain.kernel.data)
    if not _load(rec, decisions, chain.kernel, shim, b""):
        return False
    rec.grub_command(f"{kernel} {chain.cmdline}", prefix="kernel_cmdline")
    initrd = f"/boot/initrd.img-{chain.kernel_version}"
    rec.grub_command(f"initrd {initrd}")
    rec.grub_file(f"(hd0,gpt2){initrd}", chain.initrd.data)
    return True


def measure_linux_boot(
    chain: LinuxChain | None = None,
    *,
    seed: int = 0,
    secure_boot: bool = True,
    banks: Sequence[str] = ("sha1", "sha256"),
) -> BootResult:
    """Boot ``chain`` (default :func:`linux_chain` of ``seed``) with measured boot into a fresh
    ``VirtualTpm(seed)``; deterministic: the same arguments give the same log bytes and PCRs.

    Secure Boot decisions: firmware checks shim (db/dbx), shim checks GRUB and the kernel (db,
    MokList, its vendor certificate, dbx, MokListX, SBAT), the kernel checks its modules. A refused
    shim, GRUB or kernel ends the log there (``booted`` false); a refused module is only recorded.
    """
    chain = chain or linux_chain(seed)
    rec = _Recorder(VirtualTpm(seed, banks=tuple(banks)))
    decisions: list[LoadDecision] = []
    firmware_config(rec, chain.dbs, chain.firmware, secure_boot, seed)
    booted = _boot_shim_grub(rec, chain, secure_boot, decisions)
    if booted:
        exit_boot_services(rec)
        modules = kernel_module_policy(chain.dbs, seed=seed, secure_boot=secure_boot, mok_list=chain.mok_list)
        decisions.extend(decide(m, modules) for m in chain.modules)
    log = EventLog.from_events(rec.events, banks=list(rec.banks))
    return BootResult(log, rec.vtpm, booted, tuple(decisions), secure_boot)


def _boot_shim_grub(
    rec: _Recorder, chain: LinuxChain, secure_boot: bool, decisions: list[LoadDecision]
) -> bool:
    """Firmware loads shim (authority, GPT, image), shim measures its variables and loads GRUB, GRUB
    boots the kernel. False when a refusal stopped the boot."""
    path = _pci_path((2, 3), (0, 0)) + _hd_path("\\EFI\\ubuntu\\" + chain.shim.name)
    if not load_first_application(
        rec, decisions, chain.shim, dbs=chain.dbs, secure_boot=secure_boot, path=path
    ):
        return False
    _shim_variables(rec, chain)
    shim = shim_policy(
        chain.dbs, chain.shim, secure_boot=secure_boot, mok_list=chain.mok_list, mok_list_x=chain.mok_list_x
    )
    if not _load(rec, decisions, chain.grub, shim, _file_node("\\EFI\\ubuntu\\" + chain.grub.name)):
        return False
    return _boot_kernel(rec, chain, shim, decisions)
