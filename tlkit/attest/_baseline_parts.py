"""The parts of a baseline that are plain values (private): format constants, Secure Boot database
entries, platform and kernel chains, history entries.

They sit below both :mod:`tlkit.attest._baseline` (the :class:`~tlkit.attest._baseline.Baseline`
that holds them) and :mod:`tlkit.attest._baseline_json` (their JSON form), so neither imports the
other's module for them. What it does not do: build, check or serialise anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "BASELINE_FORMAT",
    "BASELINE_VERSION",
    "SIGNATURE_DATABASES",
    "BaselineChange",
    "KernelChain",
    "PlatformChain",
    "SignatureEntry",
]

BASELINE_FORMAT = "tlkit-baseline"
BASELINE_VERSION = 1
SIGNATURE_DATABASES: tuple[str, ...] = ("pk", "kek", "db", "dbx", "vendor_db")
"""The Secure Boot key lists a baseline keeps (keylime's names; ``vendor_db`` is shim's, PCR 7
authority events)."""


@dataclass(frozen=True)
class SignatureEntry:
    """One EFI_SIGNATURE_DATA of a Secure Boot database (UEFI 2.10, 32.4.1): owner GUID and data
    (a DER certificate or a hash)."""

    owner: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class PlatformChain:
    """The PCR 0 firmware of one known-good boot: the S-CRTM version digest and the firmware volume
    digests in log order (keylime's ``scrtm_and_bios`` entry)."""

    scrtm: bytes | None
    firmware: tuple[bytes, ...]


@dataclass(frozen=True)
class KernelChain:
    """The OS boot chain of one known-good boot (keylime's ``kernels`` entry): shim, GRUB and kernel
    Authenticode digests (PCR 4), the initrd and kernel image plain digests (PCR 9) and the kernel
    command line (PCR 8, without GRUB's ``kernel_cmdline: `` prefix)."""

    shim: bytes
    grub: bytes
    kernel: bytes | None
    initrd: bytes | None
    vmlinuz: bytes | None
    kernel_cmdline: str | None


@dataclass(frozen=True)
class BaselineChange:
    """One change to a baseline: when, why, and what was added and removed (``"pcr4:application:<hex>
    (label)"``, ``"golden:sha256:pcr4:<hex>"``, ``"kernel-chain:<hex>"``...)."""

    at: datetime
    reason: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
