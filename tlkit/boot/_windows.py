"""Measured boot of one Windows chain: Hyper-V firmware, Windows Boot Manager, winload, the kernel and its
drivers, with the Windows Boot Configuration Log (WBCL) SIPA events on PCRs 11-14.

:func:`measure_windows_boot` boots a :class:`WindowsChain` into a :class:`~tlkit.tpm.VirtualTpm` and an
event log together (the same recorder as the Linux chain, so the log always replays to the vTPM):

* the firmware part shared with Linux (:func:`tlkit.boot._measure.firmware_config`, the Hyper-V shape);
* firmware verifies ``bootmgfw.efi`` against db/dbx (the simulated "Windows Production PCA 2011"
  signs it): PCR 7 EV_EFI_VARIABLE_AUTHORITY, PCR 5 GPT, PCR 4 EV_EFI_BOOT_SERVICES_APPLICATION;
* then the WBCL, in the order of the real GCE Windows Shielded VM log (go-attestation
  ``windows_gcp_shielded_vm.json``) and, for VBS, of the option-ROM PC log: PCR 11 EV_COMPACT_HASH
  0x00000010 (BitLocker access opens); boot manager's TrustBoundary on PCR 12 (BootCounter, winload's
  hash, SVNs, TransferControl, BootDebugging, TestSigning, FlightSigning, CodeIntegrity,
  BitlockerUnlock, MorBitApiStatus) and PCR 13 (the flags, SbcpInfo, BootRevocationList, winload's
  full LoadedModuleAggregation), PCR 14 AuthorityPubKey (winload's signer); winload's TrustBoundary
  on PCR 12 (a LoadedModuleAggregation per boot module, the OS parameters OsKernelDebug ...
  VsmLaunchType, the VBS events, LsaIsoConfig, DriverLoadPolicy, SmtLevel, the ELAM aggregation, the
  flags) and PCR 13 (the parameters, revocation lists, each module in full), PCR 14 the signers' public
  keys; PCR 11 EV_COMPACT_HASH 0x0000FFFF (BitLocker access closed); the ``WBCL`` separators of PCRs
  12-14; PCR 5 ExitBootServices.

Decisions: firmware checks the boot manager (db/dbx; Secure Boot off: everything loads); the boot
manager checks winload and winload the kernel and the boot drivers against the Microsoft root
(:func:`~tlkit.boot.windows_policy`; not enforced with Secure Boot off or test signing); a refused
boot manager, winload or kernel stops the boot. Kernel-mode drivers loaded later are checked by
code integrity (``windows-hvci`` when HVCI runs): a refused driver is recorded and Windows boots;
later drivers are not in the WBCL (only boot drivers are). VBS, HVCI and Credential Guard run as
:func:`~tlkit.boot.vbs_outcome` decides (VBS needs Secure Boot and the vTPM).

What it does not do: hvloader's own trust boundary and the hypervisor's modules, BitLocker unsealing,
the boot counter's TPM NV counter, DRTM (PCRs 17-22), IMA-like runtime measurement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from tlkit.boot._components import Component, make_component
from tlkit.boot._keys import SecureBootDatabases, secure_boot_databases, signing_key
from tlkit.boot._measure import (
    WINDOWS_OS,
    BootResult,
    _hd_path,
    _pci_path,
    _Recorder,
    exit_boot_services,
    firmware_config,
    hyperv_firmware,
    load_first_application,
)
from tlkit.boot._secureboot import LoadDecision, decide, windows_policy
from tlkit.boot._vbs import VbsOutcome, VbsRequest, vbs_outcome
from tlkit.eventlog import EventLog, EventType
from tlkit.eventlog._sipa import TaggedEvent, encode_tagged_events, sipa_container, sipa_event
from tlkit.tpm import VirtualTpm

__all__ = ["WindowsChain", "measure_windows_boot", "windows_chain"]

T = EventType
_SYSTEM32 = "\\Windows\\system32\\"
_CALG_SHA_256 = 0x800C
_TPM_ALG_SHA256 = 0x000B
_FILETIME_2024 = 133_485_408_000_000_000  # 2024-01-01, a fixed revocation-list creation time
_BITLOCKER_OPEN, _BITLOCKER_CLOSE = b"\x10\x00\x00\x00", b"\xff\xff\x00\x00"  # the real log's PCR 11 data


@dataclass(frozen=True)
class WindowsChain:
    """What one Windows VM boots and how it is configured.

    Attributes:
        dbs, firmware: the platform's Secure Boot databases and firmware volume(s).
        bootmgr, winload, kernel: ``bootmgfw.efi``, ``winload.efi``, ``ntoskrnl.exe``.
        elam: the early-launch anti-malware driver (``WdBoot.sys``), a boot driver.
        boot_drivers: other drivers winload loads (measured in the WBCL).
        drivers: kernel-mode drivers loaded after boot (checked by code integrity, not measured).
        vbs: what the configuration asks for (VBS, HVCI, Credential Guard); the platform's Secure
            Boot and vTPM are filled in at boot.
        test_signing / kernel_debug / boot_debug: the BCD options ``testsigning``, ``debug``,
            ``bootdebug`` (Windows refuses to set them under Secure Boot: "The value is protected by
            Secure Boot policy").
    """

    dbs: SecureBootDatabases
    firmware: tuple[Component, ...]
    bootmgr: Component
    winload: Component
    kernel: Component
    elam: Component
    boot_drivers: tuple[Component, ...] = ()
    drivers: tuple[Component, ...] = ()
    vbs: VbsRequest = field(default_factory=VbsRequest)
    test_signing: bool = False
    kernel_debug: bool = False
    boot_debug: bool = False


def windows_chain(seed: int = 0, **changes: object) -> WindowsChain:
    """The default Windows Server chain of ``seed``: the boot manager, winload, the kernel and the
    boot drivers signed by the simulated "Microsoft Windows" key under the Windows Production PCA
    2011-like CA; drivers by the "Hardware Compatibility Publisher"-like key; VBS, HVCI and Credential
    Guard requested. ``changes`` replace fields."""
    win = "windows-signer"
    chain = WindowsChain(
        dbs=secure_boot_databases(seed),
        firmware=hyperv_firmware(seed),
        bootmgr=make_component("bootmgfw.efi", "windows-boot-manager", seed=seed, signer=win, sbat=""),
        winload=make_component("winload.efi", "windows-loader", seed=seed, signer=win, sbat=""),
        kernel=make_component("ntoskrnl.exe", "windows-kernel", seed=seed, signer=win, sbat=""),
        elam=make_component("WdBoot.sys", "windows-driver", seed=seed, signer=win, sbat=""),
        boot_drivers=tuple(
            make_component(n, "windows-driver", seed=seed, signer=win, sbat="")
            for n in ("CI.dll", "hal.dll", "storvsc.sys", "vmbus.sys", "Ntfs.sys")
        ),
        drivers=(make_component("netvsc.sys", "windows-driver", seed=seed, signer="driver-signer", sbat=""),),
    )
    return replace(chain, **changes)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ SIPA parts
def _cn(name: object) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)  # type: ignore[attr-defined]
    return str(attrs[0].value) if attrs else ""


def _module(c: Component, path: str, seed: int, *, full: bool, base: int = 0) -> TaggedEvent:
    """LoadedModuleAggregation: hash and ImageBase (PCR 12), or path, size, hash and signer (PCR 13)."""
    digest = c.digest("sha256")
    if not full:
        return sipa_container(
            "LoadedModuleAggregation", [sipa_event("AuthenticodeHash", digest), sipa_event("ImageBase", base)]
        )
    kids = [
        sipa_event("FilePath", path),
        sipa_event("ImageSize", len(c.data)),
        sipa_event("HashAlgorithmId", _CALG_SHA_256),
        sipa_event("AuthenticodeHash", digest),
        sipa_event("ImageValidated", c.publisher is not None),
    ]
    if c.publisher is not None:
        cert = signing_key(seed, c.publisher).certificate
        der = cert.public_bytes(serialization.Encoding.DER)
        kids += [
            sipa_event("AuthorityIssuer", _cn(cert.issuer)),
            sipa_event("AuthorityPublisher", _cn(cert.subject)),
            sipa_event("AuthoritySerial", cert.serial_number.to_bytes(19, "big")),
            sipa_event("AuthoritySha1Thumbprint", hashlib.sha1(der).digest()),
        ]
    return sipa_container("LoadedModuleAggregation", kids)


def _flags(chain: WindowsChain, bitlocker: int = 0) -> list[TaggedEvent]:
    """The flags every boot application repeats at the end of its trust boundary."""
    return [
        sipa_event("BootDebugging", chain.boot_debug),
        sipa_event("TestSigning", chain.test_signing),
        sipa_event("FlightSigning", False),
        sipa_event("CodeIntegrity", True),
        sipa_event("BitlockerUnlock", bitlocker),
        sipa_event("MorBitApiStatus", 0),
    ]


def _revocation(name: str, seed: int) -> TaggedEvent:
    from tlkit.eventlog._sipa import RevocationList  # noqa: PLC0415 - one use

    digest = hashlib.sha256(f"tlkit simulated {name}/{seed}".encode()).digest()
    return sipa_event(name, RevocationList(_FILETIME_2024, _TPM_ALG_SHA256, digest))


def _sbcp(seed: int) -> TaggedEvent:
    from tlkit.eventlog._sipa import SbcpInfo  # noqa: PLC0415 - one use

    return sipa_event("SbcpInfo", SbcpInfo(1, _TPM_ALG_SHA256, 0, 0, hashlib.sha256(b"SBCP").digest()))


def _os_parameters(chain: WindowsChain, vbs: VbsOutcome) -> list[TaggedEvent]:
    """winload's OS parameters, in the real logs' order; the VBS events follow VsmLaunchType's group."""
    out = [
        sipa_event("OsKernelDebug", chain.kernel_debug),
        sipa_event("OsDevice", 0x00010004),  # OSDEVICE_TYPE_BLOCKIO_PARTITION
        sipa_event("SystemRoot", "\\Windows"),
        sipa_event("DataExecutionPrevention", 1),
        sipa_event("SafeMode", False),
        sipa_event("WinPE", False),
        sipa_event("HypervisorLaunchType", int(vbs.vbs)),
        sipa_event("VsmLaunchType", int(vbs.vbs)),
        sipa_event("PagefileEncryptionEnabled", False),
        sipa_event("HibernationDisabled", False),
        sipa_event("DumpsDisabled", False),
        sipa_event("DumpEncryptionEnabled", False),
    ]
    if vbs.vbs:
        out += [sipa_event(n, True) for n in ("VbsVsmRequired", "VbsSecurebootRequired", "VbsMmioNxRequired",
                                               "VbsMsrFilteringRequired")]  # fmt: skip
        if vbs.hvci:
            out.append(sipa_event("VbsHvciPolicy", 1))
        out.append(sipa_event("VbsMicrosoftBootChainRequired", True))
    if vbs.credential_guard:
        out.append(sipa_event("LsaIsoConfig", 2))  # LSA isolation on, without UEFI lock (as the real PC)
    out += [sipa_event("DriverLoadPolicy", 1), sipa_event("SmtLevel", 0)]
    return out


def _tag(rec: _Recorder, pcr: int, events: Sequence[TaggedEvent]) -> None:
    rec.measure(pcr, T.EV_EVENT_TAG, encode_tagged_events(events))


def _boot_manager_wbcl(rec: _Recorder, chain: WindowsChain, seed: int) -> None:
    """What the boot manager logs once winload verified: PCRs 12, 13, 14 (the real log's events 11-13)."""
    svn = [sipa_event("ApplicationSvn", 1), sipa_event("SvnChainStatus", 0)]
    path = _SYSTEM32 + chain.winload.name
    first = [sipa_event("BootCounter", 1), _module(chain.winload, path, seed, full=False, base=0x14A0000)]
    pcr12 = [*first, *svn, sipa_event("TransferControl", 1), *_flags(chain)]
    pcr13 = [*svn, *_flags(chain), _sbcp(seed), _revocation("BootRevocationList", seed),
             _module(chain.winload, path, seed, full=True)]  # fmt: skip
    _tag(rec, 12, [sipa_container("TrustBoundary", pcr12)])
    _tag(rec, 13, [sipa_container("TrustBoundary", pcr13)])
    _tag(rec, 14, [_authority_key(chain.winload, seed)])


def _authority_key(c: Component, seed: int) -> TaggedEvent:
    key = signing_key(seed, c.publisher or "untrusted").certificate.public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return sipa_event("AuthorityPubKey", spki)


def _winload_wbcl(
    rec: _Recorder, chain: WindowsChain, loaded: Sequence[Component], vbs: VbsOutcome, seed: int
) -> None:
    """What winload logs after loading the kernel and boot drivers: PCRs 12, 13, 14."""
    svn = [sipa_event("ApplicationSvn", 1), sipa_event("SvnChainStatus", 0)]
    paths = [_SYSTEM32 + ("drivers\\" if c.name.endswith(".sys") else "") + c.name for c in loaded]
    short = [
        _module(c, p, seed, full=False, base=0x3000000 + 0x10000 * i)
        for i, (c, p) in enumerate(zip(loaded, paths, strict=True))
    ]
    full = [_module(c, p, seed, full=True) for c, p in zip(loaded, paths, strict=True)]
    elam_kids = [
        sipa_event("ElamKeyname", "Windows Defender"),
        sipa_event("ElamMeasured", chain.elam.digest("sha1")),
    ]
    elam = sipa_container("ElamAggregation", elam_kids)
    params = _os_parameters(chain, vbs)
    pcr12 = [*svn, *short, *params, *([elam] if chain.elam in loaded else []), *_flags(chain)]
    pcr13 = [*svn, *params, *_flags(chain), _sbcp(seed), _revocation("BootRevocationList", seed),
             _revocation("OsRevocationList", seed), *full]  # fmt: skip
    signers = dict.fromkeys(c.publisher for c in loaded if c.publisher)
    keys = [_authority_key(replace(chain.kernel, publisher=s), seed) for s in signers]
    _tag(rec, 12, [sipa_container("TrustBoundary", pcr12)])
    _tag(rec, 13, [sipa_container("TrustBoundary", pcr13)])
    _tag(rec, 14, [sipa_container("TrustBoundary", keys)])


# ------------------------------------------------------------------------------------------ boot
def _verify(
    decisions: list[LoadDecision], image: Component, verifier: str, seed: int, enforced: bool
) -> bool:
    decision = decide(image, windows_policy(verifier, seed=seed, enforced=enforced))
    decisions.append(decision)
    return decision.loaded


def _boot_loader_and_kernel(
    rec: _Recorder, chain: WindowsChain, decisions: list[LoadDecision], secure_boot: bool, seed: int
) -> tuple[Component, ...] | None:
    """The boot manager verifies winload, winload the kernel and the boot drivers (ELAM first). The
    loaded boot modules, or ``None`` when a refusal stopped the boot."""
    enforced = secure_boot and not chain.test_signing
    if not _verify(decisions, chain.winload, "windows-boot-manager", seed, enforced):
        return None
    _boot_manager_wbcl(rec, chain, seed)
    if not _verify(decisions, chain.kernel, "windows-boot-manager", seed, enforced):
        return None
    ci = not chain.test_signing
    drivers = [
        d
        for d in (chain.elam, *chain.boot_drivers)
        if _verify(decisions, d, "windows-code-integrity", seed, ci)
    ]
    return (chain.kernel, *drivers)


def measure_windows_boot(
    chain: WindowsChain | None = None,
    *,
    seed: int = 0,
    secure_boot: bool = True,
    vtpm: bool = True,
    banks: Sequence[str] = ("sha1", "sha256"),
) -> BootResult:
    """Boot ``chain`` (default :func:`windows_chain` of ``seed``) with measured boot into a fresh
    ``VirtualTpm(seed)``; deterministic for the same arguments. ``vtpm=False`` models a VM without
    the vTPM for the VBS rule only (the measurements still go to the simulated TPM)."""
    chain = chain or windows_chain(seed)
    rec = _Recorder(VirtualTpm(seed, banks=tuple(banks)))
    decisions: list[LoadDecision] = []
    vbs = vbs_outcome(replace(chain.vbs, secure_boot=secure_boot, vtpm=vtpm))
    firmware_config(rec, chain.dbs, chain.firmware, secure_boot, seed)
    path = _pci_path((8, 0)) + _hd_path("\\EFI\\Microsoft\\Boot\\" + chain.bootmgr.name)
    booted = load_first_application(
        rec, decisions, chain.bootmgr, dbs=chain.dbs, secure_boot=secure_boot, path=path
    )
    if booted:
        rec.measure(11, T.EV_COMPACT_HASH, _BITLOCKER_OPEN)
        loaded = _boot_loader_and_kernel(rec, chain, decisions, secure_boot, seed)
        booted = loaded is not None
        if loaded is not None:
            _winload_wbcl(rec, chain, loaded, vbs, seed)
            rec.measure(11, T.EV_COMPACT_HASH, _BITLOCKER_CLOSE)
            for pcr in (12, 13, 14):
                rec.measure(pcr, T.EV_SEPARATOR, b"WBCL")
            exit_boot_services(rec)
            ci = "windows-hvci" if vbs.hvci else "windows-code-integrity"
            decisions.extend(
                decide(d, windows_policy(ci, seed=seed, enforced=not chain.test_signing))
                for d in chain.drivers
            )
    log = EventLog.from_events(rec.events, banks=list(rec.banks))
    return BootResult(log, rec.vtpm, booted, tuple(decisions), secure_boot, WINDOWS_OS, vbs)
