"""Boot components: content, kind, publisher and a real signature, plus what shim reads from them.

A :class:`Component` is the bytes a loader sees (a signed PE image, a module with its appended
signature, or an unsigned blob such as a firmware volume or an initrd) with a name, a kind (see
:data:`COMPONENT_KINDS`) and the publisher role that signed it. The publisher is a label for
people: :mod:`._secureboot` never trusts it, it verifies the bytes.

Content is deterministic (derived from name and version), so the same arguments give the same
bytes and the same PCR digests. :func:`make_component` builds and signs one and is cached.

Shim-specific data is read from the image, not from labels:

* ``.sbat`` (shim SBAT.md): CSV lines ``component,generation,vendor,package,version,url``;
  :func:`parse_sbat` reads them and :func:`parse_sbat_level` reads the ``SbatLevel`` variable
  (``sbat,1,<date>`` then ``component,generation`` lines);
* ``.vendor_cert`` (stored as ``.vendor_``: an image section name has at most 8 bytes; shim
  ``cert_table``: UINT32 vendor_authorized_size, vendor_deauthorized_size,
  vendor_authorized_offset, vendor_deauthorized_offset, then the data): the vendor certificate
  shim trusts for GRUB and the kernel (:attr:`Component.vendor_certificates`).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

from tlkit.boot._keys import signing_key
from tlkit.boot._pe import (
    IMAGE_SUBSYSTEM_EFI_APPLICATION,
    IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER,
    IMAGE_SUBSYSTEM_NATIVE,
    SECTION_CODE,
    PeImage,
    Section,
    authenticode_hash,
    build_pe,
    parse_pe,
)
from tlkit.boot._sign import sign_kernel_module, sign_pe, signed_content
from tlkit.errors import DataError, ParseError

__all__ = [
    "COMPONENT_KINDS",
    "DEFAULT_SBAT",
    "DEFAULT_SBAT_LEVEL",
    "Component",
    "ComponentKind",
    "SbatEntry",
    "make_component",
    "parse_sbat",
    "parse_sbat_level",
    "vendor_cert_section",
]


@dataclass(frozen=True)
class ComponentKind:
    """What a kind of component is: its container format, PE subsystem, which verifier checks it
    (see :mod:`._secureboot`) and whether its refusal stops the boot."""

    name: str
    format: str
    subsystem: int | None
    verifier: str | None
    fatal: bool
    description: str


COMPONENT_KINDS: dict[str, ComponentKind] = {
    k.name: k
    for k in (
        ComponentKind("firmware-volume", "blob", None, None, False, "UEFI firmware volume (PCR 0)"),
        ComponentKind("efi-driver", "pe", IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER, "uefi-firmware", False,
                      "UEFI driver / option ROM: refused drivers are skipped"),
        ComponentKind("shim", "pe", IMAGE_SUBSYSTEM_EFI_APPLICATION, "uefi-firmware", True, "shimx64.efi"),
        ComponentKind("windows-boot-manager", "pe", IMAGE_SUBSYSTEM_EFI_APPLICATION, "uefi-firmware", True,
                      "bootmgfw.efi"),
        ComponentKind("bootloader", "pe", IMAGE_SUBSYSTEM_EFI_APPLICATION, "shim", True, "grubx64.efi"),
        ComponentKind("kernel", "pe", IMAGE_SUBSYSTEM_EFI_APPLICATION, "shim", True, "vmlinuz (EFI stub)"),
        ComponentKind("initrd", "blob", None, None, False, "initramfs (measured by GRUB, never verified)"),
        ComponentKind("kernel-module", "kernel-module", None, "linux-kernel", False,
                      "Linux .ko: a refused module is not loaded, the VM still boots"),
        ComponentKind("windows-loader", "pe", IMAGE_SUBSYSTEM_EFI_APPLICATION, "windows-boot-manager", True,
                      "winload.efi"),
        ComponentKind("windows-kernel", "pe", IMAGE_SUBSYSTEM_NATIVE, "windows-boot-manager", True,
                      "ntoskrnl.exe"),
        ComponentKind("windows-driver", "pe", IMAGE_SUBSYSTEM_NATIVE, "windows-code-integrity", False,
                      "kernel-mode driver (.sys): a refused driver is not loaded, Windows still boots"),
    )
}  # fmt: skip

_SBAT_HEADER = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
#: Default ``.sbat`` contents per kind (Ubuntu-like, as shipped in 2024).
DEFAULT_SBAT: dict[str, str] = {
    "shim": _SBAT_HEADER
    + "shim,4,UEFI shim,shim,1,https://github.com/rhboot/shim\n"
    + "shim.ubuntu,1,Ubuntu,shim,15.8-0ubuntu1,https://www.ubuntu.com/\n",
    "bootloader": _SBAT_HEADER
    + "grub,4,Free Software Foundation,grub,2.12,https://www.gnu.org/software/grub/\n"
    + "grub.ubuntu,2,Ubuntu,grub2,2.12-1ubuntu7,https://www.ubuntu.com/\n",
    "kernel": _SBAT_HEADER
    + "linux,1,The Linux Developers,linux,6.8.0,https://linux.org\n"
    + "linux.ubuntu,1,Ubuntu,linux,6.8.0-1015-azure,https://www.ubuntu.com/\n",
}
#: shim 15.8's built-in SbatLevel ("latest" policy).
DEFAULT_SBAT_LEVEL = "sbat,1,2024010900\nshim,4\ngrub,3\ngrub.debian,4\n"


@dataclass(frozen=True)
class SbatEntry:
    """One SBAT record: component name and generation (plus vendor data when read from ``.sbat``)."""

    component: str
    generation: int
    rest: tuple[str, ...] = ()


def _sbat_lines(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.replace("\r", "").split("\n") if line.strip("\0 ")]


def _generation(fields: list[str], i: int, what: str) -> int:
    if len(fields) < 2 or not fields[1].strip().isdigit():
        raise ParseError(
            f"SBAT line {i} has no numeric generation: {','.join(fields)[:60]!r}", index=i, what=what
        )
    return int(fields[1])


def parse_sbat(text: str) -> tuple[SbatEntry, ...]:
    """The records of a ``.sbat`` section (shim SBAT.md).

    Raises:
        ParseError: a line without a numeric generation, or a first line that is not ``sbat,1,...``.
    """
    lines = _sbat_lines(text.rstrip("\0"))
    out = tuple(SbatEntry(f[0], _generation(f, i, ".sbat"), tuple(f[2:])) for i, f in enumerate(lines))
    if out and out[0].component != "sbat":
        raise ParseError("the first SBAT record is not 'sbat,<version>'", index=0, what=".sbat")
    return out


def parse_sbat_level(text: str) -> tuple[SbatEntry, ...]:
    """The minimum generations of an ``SbatLevel`` variable (its ``sbat,1,<date>`` header dropped)."""
    lines = _sbat_lines(text.rstrip("\0"))
    entries = tuple(SbatEntry(f[0], _generation(f, i, "SbatLevel")) for i, f in enumerate(lines))
    return tuple(e for e in entries if e.component != "sbat")


def vendor_cert_section(authorized: bytes, deauthorized: bytes = b"") -> bytes:
    """The bytes of shim's ``.vendor_cert`` section: ``cert_table`` header, then the two blobs."""
    return (
        struct.pack("<IIII", len(authorized), len(deauthorized), 16, 16 + len(authorized))
        + authorized
        + deauthorized
    )


def _vendor_certs(section: bytes) -> tuple[bytes, ...]:
    if len(section) < 16:
        raise ParseError("cert_table shorter than its 16-byte header", offset=0, what=".vendor_")
    size, _, offset, _ = struct.unpack_from("<IIII", section)
    if offset + size > len(section):
        raise ParseError(
            f"vendor_authorized [{offset}, {offset + size}) is past the section ({len(section)})",
            offset=8,
            what=".vendor_",
        )
    return (section[offset : offset + size],) if size else ()


@dataclass(frozen=True)
class Component:
    """A boot component as a loader sees it.

    Attributes:
        name: file name, e.g. ``"shimx64.efi"``.
        kind: a key of :data:`COMPONENT_KINDS`.
        data: the bytes as loaded (signature included).
        publisher: the key role that signed it (a label; ``None`` when unsigned).
        version: the version its content was derived from.
    """

    name: str
    kind: str
    data: bytes = field(repr=False)
    publisher: str | None = None
    version: str = "1"

    @property
    def kind_info(self) -> ComponentKind:
        return COMPONENT_KINDS[self.kind]

    @cached_property
    def pe(self) -> PeImage | None:
        """The parsed PE headers, ``None`` for modules and blobs."""
        return parse_pe(self.data) if self.data[:2] == b"MZ" else None

    def digest(self, alg: str = "sha256") -> bytes:
        """What a measurement of this component extends: the Authenticode hash of a PE image
        (PFP 1.06, 3.3.4.4); for a kernel module the hash of the module without its appended
        signature (the bytes ``sign-file`` signs); otherwise the hash of the bytes."""
        if self.pe is not None:
            return authenticode_hash(self.data, alg, self.pe)
        return hashlib.new(
            alg, signed_content(self.data)[1] if self.kind == "kernel-module" else self.data
        ).digest()

    @cached_property
    def sbat(self) -> tuple[SbatEntry, ...] | None:
        """The ``.sbat`` records, ``None`` when the image has no ``.sbat`` section."""
        section = self.pe.section(".sbat") if self.pe else None
        if section is None:
            return None
        return parse_sbat(section.data[: section.virtual_size or None].decode("utf-8", errors="replace"))

    @cached_property
    def vendor_certificates(self) -> tuple[bytes, ...]:
        """DER certificates in shim's ``.vendor_cert`` section (empty without one)."""
        section = self.pe.section(".vendor_") if self.pe else None
        return _vendor_certs(section.data) if section is not None else ()

    def tampered(self, offset: int = 0) -> Component:
        """A copy with one byte of its code changed after signing (a bootkit's patch): the
        signature no longer matches the image."""
        data = bytearray(self.data)
        at = self.pe.sections[0].pointer_to_raw_data + offset if self.pe else offset
        if not 0 <= at < len(data):
            raise DataError(f"offset {offset} is outside the component", record=self.name)
        data[at] ^= 0xFF
        return replace(self, data=bytes(data))


def _code(name: str, kind: str, version: str) -> bytes:
    text = f"tlkit simulated {kind} {name} {version}\n".encode()
    return b"\x31\xc0\xc3" + text + hashlib.sha256(text).digest() * 8  # xor eax,eax; ret; then filler


@lru_cache(maxsize=512)
def make_component(
    name: str,
    kind: str,
    *,
    seed: int = 0,
    signer: str | None = None,
    version: str = "1",
    sbat: str | None = None,
    vendor_cert_role: str | None = None,
) -> Component:
    """Build (and sign, when ``signer`` is a key role) one component; cached per arguments.

    Args:
        name: file name (part of the deterministic content).
        kind: a key of :data:`COMPONENT_KINDS`.
        seed: key seed for the signer and the vendor certificate.
        signer: key role that signs it (see :data:`tlkit.boot.KEY_SPECS`); ``None``: unsigned.
        version: changes the content (a kernel update is a new version).
        sbat: ``.sbat`` text; default :data:`DEFAULT_SBAT` for shim, GRUB and the kernel; ``""``: none.
        vendor_cert_role: for shim, the key role whose certificate ``.vendor_cert`` embeds.

    Raises:
        DataError: unknown kind.
        MissingComponentError: a PE image is to be signed and ``osslsigncode`` is not installed.
    """
    info = COMPONENT_KINDS.get(kind)
    if info is None:
        raise DataError(f"unknown component kind; known: {', '.join(COMPONENT_KINDS)}", record=kind)
    code = _code(name, kind, version)
    if info.format == "blob":
        return Component(name, kind, code, None, version)
    if info.format == "kernel-module":
        module = b"\x7fELF" + code
        data = sign_kernel_module(module, signing_key(seed, signer)) if signer else module
        return Component(name, kind, data, signer, version)
    sections = [Section(".text", code, SECTION_CODE)]
    sbat_text = DEFAULT_SBAT.get(kind, "") if sbat is None else sbat
    if sbat_text:
        sections.append(Section(".sbat", sbat_text.encode()))
    if vendor_cert_role:
        sections.append(Section(".vendor_", vendor_cert_section(signing_key(seed, vendor_cert_role).der)))
    image = build_pe(sections, subsystem=info.subsystem or IMAGE_SUBSYSTEM_EFI_APPLICATION)
    data = sign_pe(image, signing_key(seed, signer), name) if signer else image
    return Component(name, kind, data, signer, version)
