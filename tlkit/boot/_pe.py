"""Minimal but valid PE32+ (x64) EFI and Windows images, their parser and their Authenticode hash.

What it builds (Microsoft PE/COFF specification, "PE Format"): a DOS header whose ``e_lfanew``
points at the ``PE\\0\\0`` signature, a COFF file header for ``IMAGE_FILE_MACHINE_AMD64``, a PE32+
optional header (magic 0x20B) with the 16 data directories, a section table and the sections'
raw data (``.text`` and optionally ``.sbat`` for shim/GRUB SBAT metadata, ``.vendor_cert`` for
shim's embedded vendor certificate). FileAlignment is 0x200 and SectionAlignment 0x1000, so every
image length is a multiple of 8 and a signature can be appended without padding. The optional
header CheckSum is the PE checksum (the same algorithm as ``imagehlp!CheckSumMappedFile``).

What it reads: :func:`parse_pe` decodes exactly those headers (any PE32/PE32+ file, not only the
ones built here) into a :class:`PeImage` and raises :class:`tlkit.errors.ParseError` with the
offset and field on anything malformed. It does not map sections, follow imports or relocations.

:func:`authenticode_hash` implements "Calculating the PE Image Hash" of the PE/COFF specification
(Appendix A of the Authenticode PE specification): the headers except the CheckSum field and the
Certificate Table data directory entry, then every section's raw data in file order, then the
data after the last section except the attribute certificate table. This digest is what UEFI
firmware extends into PCR 4 for EV_EFI_BOOT_SERVICES_APPLICATION (TCG PC Client PFP 1.06, 3.3.4.4)
and what an Authenticode signature's ``SpcIndirectDataContent`` carries.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from tlkit._binary import Reader
from tlkit.errors import DataError, ParseError

__all__ = [
    "IMAGE_SUBSYSTEM_EFI_APPLICATION",
    "IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER",
    "IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER",
    "IMAGE_SUBSYSTEM_NATIVE",
    "PeImage",
    "Section",
    "authenticode_hash",
    "build_pe",
    "parse_pe",
    "pe_checksum",
]

# PE/COFF spec, "Windows Subsystem".
IMAGE_SUBSYSTEM_NATIVE = 1  # Windows kernel-mode drivers and ntoskrnl
IMAGE_SUBSYSTEM_EFI_APPLICATION = 10
IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER = 11
IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER = 12

IMAGE_FILE_MACHINE_AMD64 = 0x8664
_PE32 = 0x10B
_PE32_PLUS = 0x20B
# Characteristics: IMAGE_FILE_EXECUTABLE_IMAGE | IMAGE_FILE_LARGE_ADDRESS_AWARE.
_FILE_CHARACTERISTICS = 0x0022
_IMAGE_DIRECTORY_ENTRY_SECURITY = 4
_NUM_DIRECTORIES = 16
_FILE_ALIGNMENT = 0x200
_SECTION_ALIGNMENT = 0x1000
_IMAGE_BASE = 0x1_0000_0000
_E_LFANEW = 0x80
_OPT_SIZE_PE32_PLUS = 112 + 8 * _NUM_DIRECTORIES  # 240
_SECTION_HEADER = struct.Struct("<8sIIIIIIHHI")

#: Section characteristics (PE/COFF spec, "Section Flags").
SECTION_CODE = 0x60000020  # CNT_CODE | MEM_EXECUTE | MEM_READ
SECTION_DATA = 0x40000040  # CNT_INITIALIZED_DATA | MEM_READ


@dataclass(frozen=True)
class Section:
    """One section: name (at most 8 ASCII bytes), raw bytes, characteristics; plus, once parsed or
    laid out, its virtual address and file position."""

    name: str
    data: bytes = field(repr=False)
    characteristics: int = SECTION_DATA
    virtual_address: int = 0
    virtual_size: int = 0
    pointer_to_raw_data: int = 0
    size_of_raw_data: int = 0


@dataclass(frozen=True)
class PeImage:
    """The headers of a PE image as read by :func:`parse_pe` (offsets are file offsets).

    Attributes:
        machine: COFF Machine (0x8664 for x64).
        magic: 0x20B for PE32+, 0x10B for PE32.
        subsystem: optional header Subsystem (10 = EFI application...).
        checksum: optional header CheckSum as stored.
        checksum_offset: file offset of CheckSum.
        security_dir_offset: file offset of the Certificate Table data directory entry.
        size_of_headers: optional header SizeOfHeaders.
        sections: the section table, in table order, each with its raw data.
        certificate_table: (file offset, size) of the attribute certificate table, (0, 0) if unsigned.
    """

    machine: int
    magic: int
    subsystem: int
    checksum: int
    checksum_offset: int
    security_dir_offset: int
    size_of_headers: int
    sections: tuple[Section, ...]
    certificate_table: tuple[int, int]

    def section(self, name: str) -> Section | None:
        """The first section called ``name`` (e.g. ``".sbat"``), or ``None``."""
        return next((s for s in self.sections if s.name == name), None)

    @property
    def signed(self) -> bool:
        return self.certificate_table[1] > 0


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def pe_checksum(data: bytes, checksum_offset: int) -> int:
    """The PE optional-header CheckSum of ``data`` (16-bit one's-complement-style word sum with
    carry folding, the CheckSum field itself taken as zero, plus the file length)."""
    padded = data + b"\0" * (len(data) % 2)
    words = struct.unpack(f"<{len(padded) // 2}H", padded)
    skip = checksum_offset // 2
    total = sum(words) - words[skip] - words[skip + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return int(total + len(data)) & 0xFFFFFFFF


def _layout(sections: Sequence[Section], headers_size: int) -> list[Section]:
    out = []
    raw, rva = headers_size, _align(headers_size, _SECTION_ALIGNMENT)
    for s in sections:
        name = s.name.encode("ascii")
        if not 0 < len(name) <= 8:
            raise DataError("a section name is 1 to 8 ASCII characters", record=s.name, field="name")
        size = _align(max(len(s.data), 1), _FILE_ALIGNMENT)
        out.append(Section(s.name, s.data, s.characteristics, rva, len(s.data), raw, size))
        raw += size
        rva += _align(max(len(s.data), 1), _SECTION_ALIGNMENT)
    return out


def build_pe(sections: Sequence[Section], *, subsystem: int = IMAGE_SUBSYSTEM_EFI_APPLICATION) -> bytes:
    """A PE32+ x64 image holding ``sections`` (the first one is the entry point's), unsigned.

    The bytes depend only on the arguments (TimeDateStamp is 0), so the same sections give the
    same image and the same Authenticode hash.
    """
    if not sections:
        raise DataError("a PE image needs at least one section", field="sections")
    headers_size = _align(_E_LFANEW + 4 + 20 + _OPT_SIZE_PE32_PLUS + 40 * len(sections), _FILE_ALIGNMENT)
    laid = _layout(sections, headers_size)
    size_of_image = _align(laid[-1].virtual_address + max(laid[-1].virtual_size, 1), _SECTION_ALIGNMENT)
    code = sum(s.size_of_raw_data for s in laid if s.characteristics & 0x20)
    init = sum(s.size_of_raw_data for s in laid if s.characteristics & 0x40)
    dos = bytearray(_E_LFANEW)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, _E_LFANEW)
    coff = struct.pack(
        "<HHIIIHH", IMAGE_FILE_MACHINE_AMD64, len(laid), 0, 0, 0, _OPT_SIZE_PE32_PLUS, _FILE_CHARACTERISTICS
    )
    opt = struct.pack(
        "<HBBIIIIIQIIHHHHHHIIIIHHQQQQII",
        _PE32_PLUS, 14, 0, code, init, 0,
        laid[0].virtual_address, laid[0].virtual_address, _IMAGE_BASE,
        _SECTION_ALIGNMENT, _FILE_ALIGNMENT, 0, 0, 0, 0, 0, 0, 0,
        size_of_image, headers_size, 0, subsystem, 0,
        0x100000, 0x1000, 0x100000, 0x1000, 0, _NUM_DIRECTORIES,
    )  # fmt: skip
    table = b"".join(
        _SECTION_HEADER.pack(
            s.name.encode("ascii"), s.virtual_size, s.virtual_address, s.size_of_raw_data,
            s.pointer_to_raw_data, 0, 0, 0, 0, s.characteristics,
        )
        for s in laid
    )  # fmt: skip
    head = bytes(dos) + b"PE\0\0" + coff + opt + bytes(8 * _NUM_DIRECTORIES) + table
    image = bytearray(head.ljust(headers_size, b"\0"))
    for s in laid:
        image += s.data.ljust(s.size_of_raw_data, b"\0")
    checksum_offset = _E_LFANEW + 4 + 20 + 64
    struct.pack_into("<I", image, checksum_offset, pe_checksum(bytes(image), checksum_offset))
    return bytes(image)


def _sections(data: bytes, r: Reader, count: int) -> tuple[Section, ...]:
    out = []
    for i in range(count):
        raw = r.take(40, f"section header {i}")
        name, vsize, rva, rsize, rptr, _, _, _, _, chars = _SECTION_HEADER.unpack(raw)
        if rptr + rsize > len(data):
            raise ParseError(
                f"section {i} raw data [{rptr}, {rptr + rsize}) is past the end of the file ({len(data)})",
                offset=r.offset - 40 + 16,
                what="IMAGE_SECTION_HEADER",
            )
        text = name.rstrip(b"\0").decode("ascii", errors="replace")
        out.append(Section(text, data[rptr : rptr + rsize], chars, rva, vsize, rptr, rsize))
    return tuple(out)


def parse_pe(data: bytes) -> PeImage:
    """Decode the DOS, COFF and optional headers, the section table and the Certificate Table entry.

    Raises:
        ParseError: not a PE image, truncated headers, or a section / certificate table outside the file.
    """
    r = Reader(data, endian="little", what="IMAGE_DOS_HEADER")
    if r.take(2, "e_magic") != b"MZ":
        raise ParseError("not a PE image: no MZ signature", offset=0, what="IMAGE_DOS_HEADER")
    r.take(0x3C - 2, "DOS header")
    lfanew = r.u32("e_lfanew")
    r = Reader(data, endian="little", what="PE header")
    r.take(lfanew, "e_lfanew")
    if r.take(4, "Signature") != b"PE\0\0":
        raise ParseError("no PE\\0\\0 signature at e_lfanew", offset=lfanew, what="PE header")
    machine, nsections = r.u16("Machine"), r.u16("NumberOfSections")
    r.take(12, "COFF header")
    opt_size = r.u16("SizeOfOptionalHeader")
    r.u16("Characteristics")
    opt_at = r.offset
    opt = Reader(r.take(opt_size, "optional header"), endian="little", base=opt_at, what="optional header")
    magic = opt.u16("Magic")
    if magic not in (_PE32, _PE32_PLUS):
        raise ParseError(f"optional header magic 0x{magic:x} is neither PE32 nor PE32+", offset=opt_at)
    # PE32 has BaseOfData and 4-byte ImageBase/stack fields; the data directories start at 96 / 112.
    opt.take(58, "optional header fields")
    size_of_headers, checksum, subsystem = opt.u32("SizeOfHeaders"), opt.u32("CheckSum"), opt.u16("Subsystem")
    dirs_at = 96 if magic == _PE32 else 112
    opt.take(dirs_at - 4 - opt.pos, "optional header fields")
    n_dirs = opt.u32("NumberOfRvaAndSizes")
    if n_dirs <= _IMAGE_DIRECTORY_ENTRY_SECURITY:
        raise ParseError(f"only {n_dirs} data directories: no Certificate Table", offset=opt.offset - 4)
    opt.take(8 * _IMAGE_DIRECTORY_ENTRY_SECURITY, "data directories")
    sec_at = opt.offset
    cert_off, cert_size = opt.u32("CertificateTable.VirtualAddress"), opt.u32("CertificateTable.Size")
    if cert_size and cert_off + cert_size > len(data):
        raise ParseError(
            "Certificate Table is past the end of the file", offset=sec_at, what="data directory"
        )
    return PeImage(
        machine, magic, subsystem, checksum, opt_at + 64, sec_at, size_of_headers,
        _sections(data, r, nsections), (cert_off, cert_size),
    )  # fmt: skip


def authenticode_hash(data: bytes, alg: str = "sha256", pe: PeImage | None = None) -> bytes:
    """The Authenticode digest of a PE image (PE/COFF spec, "Calculating the PE Image Hash").

    Args:
        data: the image bytes (signed or not: the certificate table is excluded).
        alg: a :mod:`hashlib` name (``sha256`` for PCR 4 and db/dbx hashes, ``sha1``, ``sha384``).
        pe: the parsed headers, if the caller already has them.
    """
    pe = pe or parse_pe(data)
    h = hashlib.new(alg)
    h.update(data[: pe.checksum_offset])
    h.update(data[pe.checksum_offset + 4 : pe.security_dir_offset])
    h.update(data[pe.security_dir_offset + 8 : pe.size_of_headers])
    done = pe.size_of_headers
    for s in sorted((s for s in pe.sections if s.size_of_raw_data), key=lambda s: s.pointer_to_raw_data):
        h.update(s.data)
        done = max(done, s.pointer_to_raw_data + s.size_of_raw_data)
    cert_off, cert_size = pe.certificate_table
    end = cert_off if cert_size else len(data)
    if end > done:  # data after the last section (not the attribute certificate table)
        h.update(data[done:end])
    return h.digest()
