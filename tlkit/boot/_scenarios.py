"""Named boot scenarios: one small function each, and the documented effect of each one.

:data:`SCENARIOS` is the registry: a :class:`Scenario` names a change to the healthy Ubuntu Secure
Boot chain of :func:`tlkit.boot.linux_chain` (one line of description, a ``build(seed)`` that
returns the :class:`~tlkit.boot.BootResult` of the measured boot). :data:`SCENARIO_EFFECTS` is the
documented outcome of each: whether the VM boots and which PCRs differ from
the healthy scenario of the same OS and seed (:attr:`Scenario.baseline`: ``healthy-ubuntu-sb`` or
``healthy-windows-vbs``; a test recomputes both for every scenario);
:func:`scenario_table` gives the rows, :func:`render_scenario_table` the text the :mod:`tlkit.boot`
docstring shows.

The Windows scenarios boot :func:`tlkit.boot.windows_chain` (Hyper-V firmware, boot manager, winload,
kernel, drivers, the WBCL). ``boot.json`` names the OS (``os``: type, distro, version, major, minor,
from ``data/boot/platform.json``), for the attestation token's OS claims.

The legitimate updates (what a baseline should accept with :meth:`tlkit.attest.Baseline.updated`):
``kernel-update``, ``firmware-update``, ``dbx-update`` (Linux) and ``windows-update``,
``windows-firmware-update``. What ``dbx-update`` and ``windows-update`` install is data
(``data/boot/platform.json`` ``updates``, sources in its SOURCES.md): ``dbx-update`` applies a real
authenticated append write (:func:`dbx_update`, signed by the platform's simulated KEK, verified and
applied by :func:`tlkit.boot.apply_authenticated_update`) that adds one SHA-256 from Microsoft's
2021-04-29 dbx update; the firmware measures the new dbx at the next boot, so only PCR 7 moves.
``windows-update`` replaces the boot manager, winload and the kernel by the builds of a real
cumulative update, signed by the same key under the same db authority.

What it does not do: decide attestation outcomes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tlkit.boot._authvar import (
    APPEND_WRITE,
    SECURE_BOOT_VARIABLE_ATTRIBUTES,
    apply_authenticated_update,
    authenticated_variable,
)
from tlkit.boot._components import Component, make_component
from tlkit.boot._keys import SecureBootDatabase, hash_entries, secure_boot_databases, signing_key
from tlkit.boot._measure import (
    BootResult,
    hyperv_firmware,
    linux_chain,
    measure_linux_boot,
    os_identity,
    platform_data,
)
from tlkit.boot._windows import WindowsChain, measure_windows_boot, windows_chain
from tlkit.errors import DataError
from tlkit.eventlog import write
from tlkit.eventlog._guid import EFI_IMAGE_SECURITY_DATABASE
from tlkit.tpm import write_pcrs_serialized
from tlkit.tpm._vtpm import MAX_NONCE

__all__ = [
    "EVIDENCE_FILES",
    "QUOTE_SELECTION",
    "SCENARIOS",
    "SCENARIO_EFFECTS",
    "Scenario",
    "ScenarioEffect",
    "dbx_update",
    "default_nonce",
    "render_scenario_table",
    "run_scenario",
    "scenario",
    "scenario_evidence",
    "scenario_table",
    "update_data",
    "windows_updated_chain",
]

#: The kernel (and initrd) version a ``kernel-update`` installs (the default is 6.8.0-1015-azure).
UPDATED_KERNEL = "6.8.0-1016-azure"
#: The firmware version a ``firmware-update`` flashes (the default volumes are version "1").
UPDATED_FIRMWARE = "2"


@dataclass(frozen=True)
class Scenario:
    """One named boot: ``build(seed)`` boots it (deterministic for a seed); ``baseline`` is the healthy
    scenario of the same OS that :data:`SCENARIO_EFFECTS` compares it with."""

    name: str
    description: str
    build: Callable[[int], BootResult]
    baseline: str = "healthy-ubuntu-sb"


@dataclass(frozen=True)
class ScenarioEffect:
    """The documented outcome of a scenario: does the VM boot, which PCRs differ from the healthy
    boot of the same seed (in every bank)."""

    boots: bool
    pcrs_moved: tuple[int, ...]


# ------------------------------------------------------------------------------- the scenarios
def _healthy(seed: int) -> BootResult:
    return measure_linux_boot(linux_chain(seed), seed=seed)


def _sb_off(seed: int) -> BootResult:
    return measure_linux_boot(linux_chain(seed), seed=seed, secure_boot=False)


def _bootkit(seed: int) -> BootResult:
    chain = linux_chain(seed)
    return measure_linux_boot(linux_chain(seed, grub=chain.grub.tampered()), seed=seed)


def _unsigned_kernel_module(seed: int) -> BootResult:
    chain = linux_chain(seed)
    grid = make_component("nvidia.ko", "kernel-module", seed=seed, signer="mok-dkms")
    return measure_linux_boot(linux_chain(seed, modules=(*chain.modules, grid)), seed=seed)


def _revoked_bootloader(seed: int) -> BootResult:
    chain = linux_chain(seed)
    dbs = secure_boot_databases(seed, dbx_hashes=[chain.grub.digest("sha256")])
    return measure_linux_boot(linux_chain(seed, dbs=dbs), seed=seed)


def _kernel_update(seed: int) -> BootResult:
    kernel = make_component("vmlinuz", "kernel", seed=seed, signer="vendor-signer", version=UPDATED_KERNEL)
    initrd = make_component("initrd.img", "initrd", seed=seed, version=UPDATED_KERNEL)
    chain = linux_chain(seed, kernel=kernel, initrd=initrd, kernel_version=UPDATED_KERNEL)
    return measure_linux_boot(chain, seed=seed)


def _firmware_update(seed: int) -> BootResult:
    firmware = hyperv_firmware(seed, version=UPDATED_FIRMWARE)
    return measure_linux_boot(linux_chain(seed, firmware=firmware), seed=seed)


def update_data(key: str) -> dict[str, Any]:
    """``data/boot/platform.json`` ``updates.<key>`` (``"dbx"``, ``"windows"``): what an update installs.

    Raises:
        DataError: the file has no such update.
    """
    found = platform_data().get("updates", {}).get(key)
    if not isinstance(found, dict):
        raise DataError("boot/platform.json lacks this update", record=key, field="updates")
    return found


def dbx_update(seed: int = 0) -> bytes:
    """The update ``dbx-update`` applies: an authenticated append write of dbx (UEFI 2.10, 8.2.2:
    EFI_VARIABLE_AUTHENTICATION_2, then one EFI_SIGNATURE_LIST) adding the SHA-256 of
    ``updates.dbx.revoked_sha256`` under Microsoft's owner GUID, signed by the platform's simulated
    KEK and timestamped as Microsoft's dbx updates are (``updates.dbx.timestamp``).

    Raises:
        DataError: ``updates.dbx`` malformed.
    """
    spec = update_data("dbx")
    try:
        digest = bytes.fromhex(str(spec["revoked_sha256"]))
        when = datetime.fromisoformat(str(spec["timestamp"]))
    except (KeyError, ValueError) as e:
        raise DataError(f"boot/platform.json updates.dbx: {e}", field="updates.dbx") from None
    data = SecureBootDatabase("dbx", hash_entries("dbx", [digest])).data
    attributes = SECURE_BOOT_VARIABLE_ATTRIBUTES | APPEND_WRITE
    kek = signing_key(seed, "kek-ca")
    return authenticated_variable(
        "dbx", EFI_IMAGE_SECURITY_DATABASE, data, kek, timestamp=when, attributes=attributes
    )


def _dbx_updated(seed: int) -> BootResult:
    dbs = apply_authenticated_update(secure_boot_databases(seed), "dbx", dbx_update(seed))
    return measure_linux_boot(linux_chain(seed, dbs=dbs), seed=seed)


def _serviced(c: Component, names: Collection[str], build: str, seed: int) -> Component:
    """``c`` rebuilt as ``build`` (same name, kind and signer) when an update ships it, else ``c``."""
    if c.name not in names:
        return c
    return make_component(c.name, c.kind, seed=seed, signer=c.publisher, version=build, sbat="")


def windows_updated_chain(seed: int = 0) -> WindowsChain:
    """The default Windows chain after the cumulative update of ``updates.windows``: each boot file
    it names (boot manager, winload, kernel, ELAM or boot driver) rebuilt as its ``build``.

    Raises:
        DataError: ``updates.windows`` malformed, or naming a file the chain does not boot.
    """
    where = "updates.windows"
    spec = update_data("windows")
    names, build = spec.get("components"), spec.get("build")
    if not isinstance(names, list) or not isinstance(build, str):
        raise DataError("boot/platform.json updates.windows needs components and build", field=where)
    chain = windows_chain(seed)
    parts = ("bootmgr", "winload", "kernel", "elam")
    booted = {c.name for c in (*(getattr(chain, p) for p in parts), *chain.boot_drivers)}
    unknown = sorted(set(names) - booted)
    if unknown:
        raise DataError(f"the Windows chain boots no {', '.join(unknown)}", field=f"{where}.components")
    fix = {p: _serviced(getattr(chain, p), names, build, seed) for p in parts}
    drivers = tuple(_serviced(d, names, build, seed) for d in chain.boot_drivers)
    return replace(chain, boot_drivers=drivers, **fix)  # type: ignore[arg-type]


def _healthy_windows(seed: int) -> BootResult:
    return measure_windows_boot(windows_chain(seed), seed=seed)


def _test_signing(seed: int) -> BootResult:
    chain = windows_chain(seed)
    test = make_component("testdrv.sys", "windows-driver", seed=seed, signer="untrusted", sbat="")
    # Windows refuses "bcdedit /set testsigning on" under Secure Boot: the VM runs with it off
    changed = windows_chain(seed, test_signing=True, drivers=(*chain.drivers, test))
    return measure_windows_boot(changed, seed=seed, secure_boot=False)


def _kernel_debug(seed: int) -> BootResult:
    # "bcdedit /debug on" is likewise protected by Secure Boot policy
    return measure_windows_boot(windows_chain(seed, kernel_debug=True), seed=seed, secure_boot=False)


def _hvci_blocks_driver(seed: int) -> BootResult:
    chain = windows_chain(seed)
    unsigned = make_component("gpudrv.sys", "windows-driver", seed=seed, sbat="")
    return measure_windows_boot(windows_chain(seed, drivers=(*chain.drivers, unsigned)), seed=seed)


def _windows_update(seed: int) -> BootResult:
    return measure_windows_boot(windows_updated_chain(seed), seed=seed)


def _windows_firmware_update(seed: int) -> BootResult:
    firmware = hyperv_firmware(seed, version=UPDATED_FIRMWARE)
    return measure_windows_boot(windows_chain(seed, firmware=firmware), seed=seed)


_WIN = "healthy-windows-vbs"

#: The registry, in listing order; ``healthy-ubuntu-sb`` is the baseline of :data:`SCENARIO_EFFECTS`.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy-ubuntu-sb", "Ubuntu on Azure, Secure Boot on: shim, GRUB, kernel verified", _healthy),
    Scenario(
        "secure-boot-off", "the same chain, Secure Boot off: all loads, PCR 7 says SecureBoot=0", _sb_off
    ),
    Scenario(
        "bootkit", "GRUB patched after signing (bootkit): shim refuses it, the VM does not boot", _bootkit
    ),
    Scenario(
        "unsigned-kernel-module",
        "a DKMS-built GRID-like driver signed by an unenrolled MOK key: refused, recorded, the VM boots",
        _unsigned_kernel_module,
    ),
    Scenario(
        "revoked-bootloader",
        "GRUB's Authenticode hash in dbx (BootHole-style): refused, the VM does not boot",
        _revoked_bootloader,
    ),
    Scenario(
        "kernel-update",
        f"a new vendor-signed kernel and initrd ({UPDATED_KERNEL}): boots, PCRs 4, 8, 9 move",
        _kernel_update,
    ),
    Scenario(
        "firmware-update",
        "a new Hyper-V firmware volume (same S-CRTM version): boots, PCR 0 moves",
        _firmware_update,
    ),
    Scenario(
        "dbx-update",
        "a KEK-signed dbx append revoking an unrelated binary: boots, PCR 7's dbx event moves",
        _dbx_updated,
    ),
    Scenario(
        _WIN,
        "Windows Server on Azure, Secure Boot, VBS, HVCI, Credential Guard: WBCL on PCRs 11-14",
        _healthy_windows,
        _WIN,
    ),
    Scenario(
        "test-signing",
        "test signing on (so Secure Boot off, VBS off): a test-signed driver loads",
        _test_signing,
        _WIN,
    ),
    Scenario(
        "kernel-debug",
        "kernel debugging on (so Secure Boot off, VBS off): OsKernelDebug measured",
        _kernel_debug,
        _WIN,
    ),
    Scenario(
        "hvci-blocks-driver",
        "an unsigned kernel-mode driver: HVCI refuses it, recorded, Windows boots",
        _hvci_blocks_driver,
        _WIN,
    ),
    Scenario(
        "windows-update",
        "a cumulative update: new bootmgfw, winload, ntoskrnl builds, same signer: PCRs 4, 12, 13 move",
        _windows_update,
        _WIN,
    ),
    Scenario(
        "windows-firmware-update",
        "a new Hyper-V firmware volume under Windows (same S-CRTM version): boots, PCR 0 moves",
        _windows_firmware_update,
        _WIN,
    ),
)

#: What each scenario does, compared with its :attr:`Scenario.baseline` of the same seed (tested).
SCENARIO_EFFECTS: dict[str, ScenarioEffect] = {
    "healthy-ubuntu-sb": ScenarioEffect(True, ()),
    "secure-boot-off": ScenarioEffect(True, (7,)),  # SecureBoot=0, no authority events
    "bootkit": ScenarioEffect(False, (4, 5, 7, 8, 9)),  # stops after shim: no GRUB, no ExitBootServices
    "unsigned-kernel-module": ScenarioEffect(True, ()),  # modules are not measured (no IMA)
    "revoked-bootloader": ScenarioEffect(False, (4, 5, 7, 8, 9)),  # dbx itself is in PCR 7
    "kernel-update": ScenarioEffect(True, (4, 8, 9)),  # kernel image, paths on the command line, files
    "firmware-update": ScenarioEffect(True, (0,)),
    "dbx-update": ScenarioEffect(True, (7,)),  # the dbx variable's data; no authority changes
    # compared with healthy-windows-vbs:
    _WIN: ScenarioEffect(True, ()),
    "test-signing": ScenarioEffect(True, (7, 12, 13)),  # SecureBoot=0; TestSigning, VBS events in the WBCL
    "kernel-debug": ScenarioEffect(True, (7, 12, 13)),  # SecureBoot=0; OsKernelDebug, VBS events
    "hvci-blocks-driver": ScenarioEffect(True, ()),  # a refused driver is not loaded, so not measured
    "windows-update": ScenarioEffect(True, (4, 12, 13)),  # bootmgfw; winload and kernel hashes (WBCL)
    "windows-firmware-update": ScenarioEffect(True, (0,)),
}

_BY_NAME = {s.name: s for s in SCENARIOS}


def scenario(name: str) -> Scenario:
    """The scenario called ``name``.

    Raises:
        DataError: no such scenario (the message lists the known names).
    """
    found = _BY_NAME.get(name)
    if found is None:
        raise DataError(f"unknown scenario; known: {', '.join(_BY_NAME)}", record=name)
    return found


def run_scenario(name: str, seed: int = 0) -> BootResult:
    """Boot scenario ``name`` for ``seed`` (same arguments, same log bytes and PCRs)."""
    return scenario(name).build(seed)


def _pcr_list(pcrs: tuple[int, ...]) -> str:
    return ", ".join(map(str, pcrs)) or "none"


def scenario_table() -> list[tuple[str, bool, tuple[int, ...], str]]:
    """``(name, boots, pcrs_moved, description)`` for every scenario, in registry order."""
    return [
        (s.name, SCENARIO_EFFECTS[s.name].boots, SCENARIO_EFFECTS[s.name].pcrs_moved, s.description)
        for s in SCENARIOS
    ]


def render_scenario_table() -> str:
    """The scenario table as reStructuredText (the :mod:`tlkit.boot` docstring carries it)."""
    rows = [("scenario", "boots", "PCRs moved")]
    rows += [(name, "yes" if boots else "no", _pcr_list(pcrs)) for name, boots, pcrs, _ in scenario_table()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    rule = "  ".join("=" * w for w in widths)
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([rule, lines[0], rule, *lines[1:], rule])


# ------------------------------------------------------------------------------------- evidence
#: What a quote of a simulated boot covers: every PCR of the SHA-256 bank.
QUOTE_SELECTION = "sha256:0-23"
#: Every file of an evidence directory, tpm2-tools names (a boot that failed has the first two only).
EVIDENCE_FILES = ("eventlog.bin", "boot.json", "quote.msg", "quote.sig", "quote.pcrs", "ak.pem", "nonce.hex")


def default_nonce(seed: int) -> bytes:
    """The nonce of :func:`scenario_evidence` when none is given: 20 bytes derived from the seed."""
    return hashlib.sha256(f"tlkit.boot simulate nonce/{seed}".encode()).digest()[:20]


def _boot_record(name: str, seed: int, result: BootResult, nonce: bytes) -> dict[str, object]:
    refused = [
        {"component": d.component, "kind": d.kind, "verifier": d.verifier, "reason": d.reason}
        | {"stops_boot": d.stops_boot}
        | {"detail": d.detail}
        for d in result.refused
    ]
    decisions = [{"component": d.component, "loaded": d.loaded, "reason": d.reason} for d in result.decisions]
    quote = {"selection": QUOTE_SELECTION, "nonce": nonce.hex()} if result.booted else None
    return {
        "scenario": name,
        "description": scenario(name).description,
        "seed": seed,
        "os": os_identity(result.os),
        "vbs": None
        if result.vbs is None
        else {"vbs": result.vbs.vbs, "hvci": result.vbs.hvci, "credential_guard": result.vbs.credential_guard}
        | {"reasons": list(result.vbs.reasons)},
        "secure_boot": result.secure_boot,
        "booted": result.booted,
        "refused": refused,
        "decisions": decisions,
        "quote": quote,
        "note": "" if result.booted else "the VM did not boot: no quote (eventlog.bin has what was measured)",
    }


def scenario_evidence(name: str, seed: int = 0, nonce: bytes | None = None) -> dict[str, bytes]:
    """The evidence directory of one simulated boot, as ``{file name: bytes}`` (names of
    :data:`EVIDENCE_FILES`): the event log, ``boot.json`` and, when the VM booted, a
    :class:`~tlkit.tpm.VirtualTpm` quote of :data:`QUOTE_SELECTION` over ``nonce`` (default
    :func:`default_nonce` of the seed) with its AK and nonce. Deterministic: same arguments, same bytes.

    Raises:
        DataError: unknown scenario, a nonce longer than a TPM accepts.
    """
    nonce = default_nonce(seed) if nonce is None else bytes(nonce)
    if len(nonce) > MAX_NONCE:  # checked even when the VM will not boot (no quote to refuse it)
        raise DataError(f"nonce of {len(nonce)} bytes exceeds {MAX_NONCE}", field="nonce")
    result = run_scenario(name, seed)
    files = {"eventlog.bin": write(result.log)}
    if result.booted:
        quote = result.vtpm.quote({"sha256": range(24)}, nonce)
        files |= {
            "quote.msg": quote.message,
            "quote.sig": quote.signature,
            "quote.pcrs": write_pcrs_serialized(quote.pcrs),
            "ak.pem": result.vtpm.ak_pem,
            "nonce.hex": nonce.hex().encode() + b"\n",
        }
    record = _boot_record(name, seed, result, nonce)
    files["boot.json"] = (json.dumps(record, indent=2) + "\n").encode()
    return files
