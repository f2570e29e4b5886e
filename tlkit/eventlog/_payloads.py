"""Decoders for event data (PC Client PFP 1.06, section 10.4 and UEFI 2.10 structures).

Every decoder takes the raw event data and the absolute offset of that data in the log, and either
returns a frozen payload object or raises :class:`tlkit.errors.ParseError`. Decoded payloads are
*unverified*: they are what the log claims, not what was measured (the digest of many event types
is not a hash of the event data).
"""

from __future__ import annotations

import hashlib
import re
import struct
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from tlkit._binary import Reader
from tlkit.errors import ParseError
from tlkit.eventlog import _guid as guids
from tlkit.eventlog._devicepath import DevicePath, parse_device_path
from tlkit.eventlog._guid import guid_str
from tlkit.eventlog._hashing import bank_name
from tlkit.eventlog._sipa import (
    SIPA_TAGS_FILE,
    TaggedEvent,
    TaggedEvents,
    decode_tagged_events,
    sipa_names,
)
from tlkit.eventlog._types import EventType as T

__all__ = [
    "SIPA_TAGS_FILE",
    "CertificateInfo",
    "FirmwareBlob",
    "GptData",
    "GptPartition",
    "HandoffTables",
    "ImageLoad",
    "LoadOption",
    "NoActionEvent",
    "PostCode",
    "Separator",
    "SignatureList",
    "SpecIdAlgorithm",
    "SpecIdEvent",
    "StartupLocality",
    "TaggedEvent",
    "TaggedEvents",
    "TextEvent",
    "UefiVariable",
    "decode_payload",
    "parse_signature_lists",
    "parse_spec_id",
    "sipa_names",
]


# --------------------------------------------------------------------------------------------- helpers
class _R(Reader):
    """:class:`tlkit._binary.Reader` over little-endian event data, plus EFI_GUID fields."""

    __slots__ = ()

    def __init__(self, d: bytes, base: int, what: str) -> None:
        super().__init__(d, endian="little", base=base, what=what)

    def guid(self, field: str) -> str:
        return guid_str(self.take(16, field))


def _printable(b: bytes) -> bool:
    return all(0x20 <= c < 0x7F or c in (0x09, 0x0A, 0x0D) for c in b)


def _text(b: bytes) -> tuple[str, str]:
    """(text, encoding) of an ASCII/UTF-8 or UTF-16LE string, trailing NULs removed."""
    if len(b) >= 2 and len(b) % 2 == 0 and b[1::2].count(0) == len(b) // 2 and any(b[0::2]):
        t = b.decode("utf-16-le")
        nul = t.find("\x00")
        return (t if nul < 0 else t[:nul]), "utf-16-le"
    t = b.rstrip(b"\x00").decode("utf-8", errors="replace")
    stop = _TEXT_STOP.search(t)
    return (t if stop is None else t[: stop.start()].rstrip()), "ascii"


#: Where an ASCII/UTF-8 text ends: a control character other than tab, newline and carriage
#: return, or an undecodable byte (U+FFFD).
_TEXT_STOP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


# ----------------------------------------------------------------------------------- EV_NO_ACTION
@dataclass(frozen=True)
class SpecIdAlgorithm:
    """One ``TCG_EfiSpecIdEventAlgorithmSize`` entry: TPM_ALG_ID, tlkit bank name, digest size."""

    alg_id: int
    bank: str
    digest_size: int


@dataclass(frozen=True)
class SpecIdEvent:
    """``TCG_EfiSpecIDEventStruct`` (PFP 1.06, 10.4.5.1): the header of a crypto-agile log."""

    signature: str
    platform_class: int
    spec_version_minor: int
    spec_version_major: int
    spec_errata: int
    uintn_size: int
    algorithms: tuple[SpecIdAlgorithm, ...]
    vendor_info: bytes

    @classmethod
    def for_algorithms(cls, algorithms: Sequence[SpecIdAlgorithm]) -> SpecIdEvent:
        """The header tlkit writes when it builds a crypto-agile log: platform class 0, spec version
        2.0 errata 0, a 64-bit UINTN (``uintnSize`` 2), ``algorithms``, no vendor data."""
        return cls("Spec ID Event03", 0, 0, 2, 0, 2, tuple(algorithms), b"")

    def to_bytes(self) -> bytes:
        out = [
            self.signature.encode("ascii").ljust(16, b"\x00")[:16],
            struct.pack(
                "<IBBBBI",
                self.platform_class,
                self.spec_version_minor,
                self.spec_version_major,
                self.spec_errata,
                self.uintn_size,
                len(self.algorithms),
            ),
        ]
        out += [struct.pack("<HH", a.alg_id, a.digest_size) for a in self.algorithms]
        out.append(bytes((len(self.vendor_info),)) + self.vendor_info)
        return b"".join(out)

    @property
    def description(self) -> str:
        return f"{self.signature}: banks {', '.join(a.bank for a in self.algorithms)}"


def parse_spec_id(data: bytes, base: int = 0) -> SpecIdEvent:
    """Decode ``TCG_EfiSpecIDEventStruct`` (PFP 1.06, 10.4.5.1).

    ``data`` is exactly the event's data (``eventSize`` bytes): ``vendorInfo`` must end inside it,
    so tpm2-tools' positive fixture ``specid-vendordata.bin`` (``eventSize`` 37 for a 41-byte
    structure) is rejected on purpose — see :func:`tlkit.eventlog.parse`.

    Raises:
        ParseError: a field cut short, no algorithm or more algorithms than bytes, an algorithm
            listed twice, or vendor data past the end of ``data``.
    """
    r = _R(data, base, "TCG_EfiSpecIDEventStruct")
    sig = r.take(16, "signature")
    platform_class = r.u32("platformClass")
    minor, major, errata, uintn = (
        r.u8("specVersionMinor"),
        r.u8("specVersionMajor"),
        r.u8("specErrata"),
        r.u8("uintnSize"),
    )
    n = r.u32("numberOfAlgorithms")
    if n == 0:  # PFP 1.06, 10.4.5.1: numberOfAlgorithms is at least 1 (the log has no bank otherwise)
        raise ParseError(
            "numberOfAlgorithms is 0: the log names no digest bank", offset=base + r.pos - 4, what=r.what
        )
    if n * 4 > r.remaining:
        raise ParseError(
            f"numberOfAlgorithms {n} needs {n * 4} bytes, {r.remaining} left",
            offset=base + r.pos - 4,
            what=r.what,
        )
    algs = []
    seen = set()
    for _ in range(n):
        alg_id, size = r.u16("algorithmId"), r.u16("digestSize")
        if alg_id in seen:
            raise ParseError(f"algorithm 0x{alg_id:04x} listed twice", offset=base + r.pos - 4, what=r.what)
        seen.add(alg_id)
        algs.append(SpecIdAlgorithm(alg_id, bank_name(alg_id), size))
    vsize = r.u8("vendorInfoSize")
    vendor = r.take(vsize, "vendorInfo")
    r.expect_end()
    return SpecIdEvent(
        sig.rstrip(b"\x00").decode("ascii", errors="replace"),
        platform_class,
        minor,
        major,
        errata,
        uintn,
        tuple(algs),
        vendor,
    )


@dataclass(frozen=True)
class StartupLocality:
    """``TCG_EfiStartupLocalityEvent`` (PFP 1.06, 10.4.5.3): PCR0 starts at 0…0L."""

    locality: int

    @property
    def description(self) -> str:
        return f"StartupLocality {self.locality}"


@dataclass(frozen=True)
class NoActionEvent:
    """Any other EV_NO_ACTION record, e.g. ``SP800-155 Event`` / ``SP800-155 Event3`` (PFP 1.06, 10.4.5.2).

    ``fields`` holds the decoded reference-manifest fields when the signature is an SP800-155 one.
    """

    signature: str
    body: bytes
    fields: tuple[tuple[str, object], ...] = ()

    @property
    def description(self) -> str:
        info = dict(self.fields)
        extra = ""
        if "platform_manufacturer" in info:
            extra = f": {info['platform_manufacturer']} {info.get('platform_model', '')}".rstrip()
        return f"{self.signature or 'EV_NO_ACTION'}{extra}"


def _sp800_155(body: bytes, base: int, event3: bool) -> tuple[tuple[str, object], ...]:
    """``TCG_Sp800_155_PlatformId_Event2`` / ``Event3`` (PFP 1.06, 10.4.5.2)."""
    r = _R(body, base, "SP800-155 Event")

    def s8(name: str) -> str:
        n = r.u8(name + "Size")
        return r.take(n, name).rstrip(b"\x00").decode("utf-8", errors="replace")

    out: list[tuple[str, object]] = [
        ("platform_manufacturer_id", r.u32("platformManufacturerId")),
        ("reference_manifest_guid", r.guid("referenceManifestGuid")),
        ("platform_manufacturer", s8("platformManufacturerStr")),
        ("platform_model", s8("platformModel")),
        ("platform_version", s8("platformVersion")),
        ("firmware_manufacturer", s8("firmwareManufacturerStr")),
        ("firmware_manufacturer_id", r.u32("firmwareManufacturerId")),
        ("firmware_version", s8("firmwareVersion")),
    ]
    if event3:
        out.append(("rim_locator_type", r.u32("rimLocatorType")))
        out.append(("rim_locator", r.take(r.u32("rimLocatorSize"), "rimLocator")))
        out.append(("platform_cert_locator_type", r.u32("platformCertLocatorType")))
        out.append(("platform_cert_locator", r.take(r.u32("platformCertLocatorSize"), "platformCertLocator")))
    if r.remaining:  # lenient: GCE pads Event3 with zero bytes
        out.append(("trailing", r.take(r.remaining, "trailing")))
    return tuple(out)


STARTUP_LOCALITY_SIGNATURE = b"StartupLocality\x00"
"""First 16 bytes of a TCG_EfiStartupLocalityEvent (PFP 1.06, 10.4.5.3), a 17-byte EV_NO_ACTION on PCR 0."""


def _no_action(d: bytes, base: int) -> object:
    sig = d[:16]
    if sig.startswith(b"Spec ID Event"):
        if sig == b"Spec ID Event03\x00":
            return parse_spec_id(d, base)
        return NoActionEvent(sig.rstrip(b"\x00").decode("ascii", errors="replace"), d[16:])
    if sig == STARTUP_LOCALITY_SIGNATURE:
        r = _R(d, base, "TCG_EfiStartupLocalityEvent")
        r.take(16, "signature")
        loc = r.u8("StartupLocality")
        r.expect_end()
        return StartupLocality(loc)
    if sig in (b"SP800-155 Event\x00", b"SP800-155 Event3"):
        return NoActionEvent(
            sig.rstrip(b"\x00").decode(), d[16:], _sp800_155(d[16:], base + 16, sig[-1:] == b"3")
        )
    if len(d) >= 16 and _printable(sig.rstrip(b"\x00")) and sig.rstrip(b"\x00"):
        return NoActionEvent(sig.rstrip(b"\x00").decode("ascii"), d[16:])
    return NoActionEvent("", d)


# --------------------------------------------------------------------------------- simple events
@dataclass(frozen=True)
class TextEvent:
    """A string event: EV_ACTION / EV_EFI_ACTION, EV_S_CRTM_VERSION, EV_IPL, EV_POST_CODE text...

    Attributes:
        text: the decoded string (trailing NULs removed).
        encoding: ``"ascii"`` (also used for UTF-8) or ``"utf-16-le"``.
        kind: for EV_IPL, what produced it: ``"grub_cmd"``, ``"kernel_cmdline"``, ``"grub_file"``,
            ``"systemd-boot"`` (UTF-16), ``"shim"`` or ``"text"``; otherwise ``"text"``.
    """

    text: str
    encoding: str = "ascii"
    kind: str = "text"

    @property
    def description(self) -> str:
        return self.text if self.text else "(empty string)"


@dataclass(frozen=True)
class Separator:
    """EV_SEPARATOR (PFP 1.06, 10.4.1): 0x00000000 normally, 0x00000001/0xFFFFFFFF on error."""

    value: int | None
    raw: bytes

    @property
    def is_error(self) -> bool:
        """The firmware signalled an error (value 0x00000001 or 0xFFFFFFFF)."""
        return self.value in (1, 0xFFFFFFFF)

    @property
    def description(self) -> str:
        if self.value in (0, 1, 0xFFFFFFFF):
            return f"separator 0x{self.value:08x}" + (" (error)" if self.is_error else "")
        if self.raw and _printable(self.raw):
            return f"separator {self.raw.decode('ascii')!r}"
        return f"separator {self.raw.hex()}"


@dataclass(frozen=True)
class FirmwareBlob:
    """UEFI_PLATFORM_FIRMWARE_BLOB / BLOB2 (PFP 1.06, 10.4.4): base, length, optional description."""

    base: int
    length: int
    description_text: str | None = None

    @property
    def description(self) -> str:
        d = f"{self.description_text} " if self.description_text else ""
        return f"{d}blob 0x{self.base:x}+0x{self.length:x}"


@dataclass(frozen=True)
class PostCode:
    """EV_POST_CODE: a firmware blob (16 bytes), or a string such as ``POST CODE``/``ACPI DATA`` (9 bytes)."""

    text: str | None
    blob: FirmwareBlob | None

    @property
    def description(self) -> str:
        return self.text if self.text is not None else (self.blob.description if self.blob else "post code")


@dataclass(frozen=True)
class HandoffTables:
    """UEFI_HANDOFF_TABLE_POINTERS / POINTERS2 (PFP 1.06, 10.4.4): (vendor GUID, address) pairs."""

    tables: tuple[tuple[str, int], ...]
    description_text: str | None = None

    @property
    def description(self) -> str:
        names = [guids.guid_name(g) or g for g, _ in self.tables]
        d = f"{self.description_text}: " if self.description_text else ""
        return f"{d}handoff tables {', '.join(names)}"


def _blob(d: bytes, base: int) -> FirmwareBlob:
    r = _R(d, base, "UEFI_PLATFORM_FIRMWARE_BLOB")
    b = FirmwareBlob(r.u64("BlobBase"), r.u64("BlobLength"))
    r.expect_end()
    return b


def _blob2(d: bytes, base: int) -> FirmwareBlob:
    r = _R(d, base, "UEFI_PLATFORM_FIRMWARE_BLOB2")
    desc = r.take(r.u8("BlobDescriptionSize"), "BlobDescription")
    b = FirmwareBlob(r.u64("BlobBase"), r.u64("BlobLength"), _text(desc)[0])
    r.expect_end()
    return b


def _handoff(d: bytes, base: int, v2: bool) -> HandoffTables:
    r = _R(d, base, "UEFI_HANDOFF_TABLE_POINTERS2" if v2 else "UEFI_HANDOFF_TABLE_POINTERS")
    desc = _text(r.take(r.u8("TableDescriptionSize"), "TableDescription"))[0] if v2 else None
    n = r.u64("NumberOfTables")
    if n * 24 > r.remaining:
        raise ParseError(f"NumberOfTables {n} exceeds the data", offset=base + r.pos - 8, what=r.what)
    tables = tuple((r.guid("VendorGuid"), r.u64("VendorTable")) for _ in range(n))
    r.expect_end()
    return HandoffTables(tables, desc)


def _post_code(d: bytes, base: int) -> PostCode:
    if len(d) == 16 and not _printable(d):
        return PostCode(None, _blob(d, base))
    return PostCode(_text(d)[0], None)


def _separator(d: bytes, base: int) -> Separator:
    if len(d) == 4:
        return Separator(int(struct.unpack("<I", d)[0]), d)
    return Separator(None, d)


def _action(d: bytes, base: int) -> TextEvent:
    return TextEvent(*_text(d))


def _ipl(d: bytes, base: int) -> TextEvent:
    text, enc = _text(d)
    if enc == "utf-16-le":
        kind = "systemd-boot"
    elif text.startswith("grub_cmd: "):
        kind = "grub_cmd"
    elif text.startswith("kernel_cmdline: "):
        kind = "kernel_cmdline"
    elif text.startswith(("(", "/")):
        kind = "grub_file"
    elif text in ("MokList", "MokListX", "MokSBState", "MokListTrusted", "SbatLevel"):
        kind = "shim"
    else:
        kind = "text"
    return TextEvent(text, enc, kind)


# ------------------------------------------------------------------------------- UEFI variables
@dataclass(frozen=True)
class CertificateInfo:
    """An X.509 certificate from a signature list or authority event (unverified).

    Parsed lazily: the DER is kept as read, and ``cryptography`` parses it the first time a name
    field (``subject``, ``issuer``, ``serial``, ``error``, ``common_name``) is read; the result is
    cached (one parse per object). Decoding a db of certificates therefore costs nothing until a
    reader asks for a name (most checks only need the DER or its fingerprint). Equality is that of
    the DER (every other field is a function of it).

    ``error`` is set (and the name fields are ``None``) when ``cryptography`` could not parse the DER.
    ``common_name`` is the subject's first commonName attribute (X.520), ``None`` when it has none.
    """

    der: bytes = field(repr=False)

    @classmethod
    def from_der(cls, der: bytes) -> CertificateInfo:
        return cls(bytes(der))

    @cached_property
    def sha256_fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @cached_property
    def _parsed(self) -> tuple[str | None, str | None, int | None, str | None, str | None]:
        """(subject, issuer, serial, common_name, error) from one parse of the DER."""
        try:
            with warnings.catch_warnings():
                # Real firmware certificates may carry non-positive serials or odd attribute
                # lengths (RFC 5280 violations); cryptography warns, tlkit keeps them.
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                c = x509.load_der_x509_certificate(self.der)
                cns = c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
                cn = str(cns[0].value) if cns else None
                return c.subject.rfc4514_string(), c.issuer.rfc4514_string(), c.serial_number, cn, None
        except Exception as e:  # cryptography raises ValueError and Rust-side errors for bad DER
            return None, None, None, None, f"{type(e).__name__}: {e}"

    @property
    def subject(self) -> str | None:
        return self._parsed[0]

    @property
    def issuer(self) -> str | None:
        return self._parsed[1]

    @property
    def serial(self) -> int | None:
        return self._parsed[2]

    @property
    def common_name(self) -> str | None:
        return self._parsed[3]

    @property
    def error(self) -> str | None:
        return self._parsed[4]

    def __repr__(self) -> str:
        return (
            f"CertificateInfo(subject={self.subject!r}, issuer={self.issuer!r}, serial={self.serial!r}, "
            f"sha256_fingerprint={self.sha256_fingerprint!r}, error={self.error!r})"
        )


@dataclass(frozen=True)
class SignatureList:
    """EFI_SIGNATURE_LIST (UEFI 2.10, 32.4.1): signature type, and (owner GUID, data) entries.

    For X.509 lists ``certificates`` holds the parsed certificates; for hash lists ``hashes``.
    """

    signature_type: str
    header: bytes
    entries: tuple[tuple[str, bytes], ...]
    certificates: tuple[CertificateInfo, ...] = ()

    @property
    def type_name(self) -> str:
        return guids.guid_name(self.signature_type) or self.signature_type

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(d for _, d in self.entries) if guids.is_hash_signature_type(self.signature_type) else ()


def parse_signature_lists(d: bytes, base: int = 0) -> tuple[SignatureList, ...]:
    """A sequence of EFI_SIGNATURE_LIST structures (UEFI 2.10, 32.4.1), e.g. the data of db/dbx/KEK/PK."""
    out: list[SignatureList] = []
    pos = 0
    while pos < len(d):
        r = _R(d[pos:], base + pos, "EFI_SIGNATURE_LIST")
        stype = r.guid("SignatureType")
        list_size, header_size, sig_size = (
            r.u32("SignatureListSize"),
            r.u32("SignatureHeaderSize"),
            r.u32("SignatureSize"),
        )
        if list_size < 28 or list_size > len(d) - pos:
            raise ParseError(f"SignatureListSize {list_size} invalid", offset=base + pos + 16, what=r.what)
        header = r.take(header_size, "SignatureHeader")
        body = list_size - 28 - header_size
        if body < 0 or sig_size < 16 or body % sig_size:
            raise ParseError(
                f"SignatureSize {sig_size} does not divide the {body} bytes of signatures",
                offset=base + pos + 24,
                what=r.what,
            )
        entries = []
        for _ in range(body // sig_size):
            owner = r.guid("SignatureOwner")
            entries.append((owner, r.take(sig_size - 16, "SignatureData")))
        certs: tuple[CertificateInfo, ...] = ()
        if stype == guids.EFI_CERT_X509:
            certs = tuple(CertificateInfo.from_der(e[1]) for e in entries)
        out.append(SignatureList(stype, header, tuple(entries), certs))
        pos += list_size
    return tuple(out)


@dataclass(frozen=True)
class LoadOption:
    """EFI_LOAD_OPTION (UEFI 2.10, 3.1.3): the data of a ``Boot####`` variable."""

    attributes: int
    description: str
    device_path: DevicePath
    optional_data: bytes

    @property
    def active(self) -> bool:
        return bool(self.attributes & 0x1)


def _load_option(d: bytes, base: int) -> LoadOption:
    r = _R(d, base, "EFI_LOAD_OPTION")
    attrs = r.u32("Attributes")
    fpl = r.u16("FilePathListLength")
    start = r.pos
    while True:
        if r.u16("Description") == 0:
            break
    desc = d[start : r.pos - 2].decode("utf-16-le", errors="replace")
    dp_at = r.pos
    dp = parse_device_path(r.take(fpl, "FilePathList"), base=base + dp_at)
    return LoadOption(attrs, desc, dp, d[r.pos :])


@dataclass(frozen=True)
class UefiVariable:
    """UEFI_VARIABLE_DATA (PFP 1.06, 10.4.2): vendor GUID, UTF-16 name and the variable's bytes.

    ``value`` is the decoded variable data when tlkit knows the variable:
    ``bool`` for SecureBoot (or ``None`` when the data is empty, a known firmware quirk),
    ``tuple[SignatureList, ...]`` for PK/KEK/db/dbx/dbt/dbr/MokList*, ``tuple[int, ...]`` for BootOrder,
    :class:`LoadOption` for ``Boot####``, :class:`CertificateInfo` or ``(owner GUID, CertificateInfo)``
    for authority events, ``str`` for SbatLevel; otherwise ``None``. ``value_error`` says why
    decoding ``value`` failed, if it did.
    """

    vendor_guid: str
    name: str
    data: bytes = field(repr=False)
    value: object = None
    value_error: str | None = None
    trailing: bytes = field(default=b"", repr=False)

    @property
    def description(self) -> str:
        v = self.value
        if isinstance(v, bool):
            return f"{self.name} = {'enabled' if v else 'disabled'}"
        if self.name == "SecureBoot" and not self.data:
            return "SecureBoot = <empty>"
        if isinstance(v, tuple) and all(isinstance(x, SignatureList) for x in v):
            certs = sum(len(x.certificates) for x in v if isinstance(x, SignatureList))
            hashes = sum(len(x.hashes) for x in v if isinstance(x, SignatureList))
            return f"{self.name}: {certs} certificate(s), {hashes} hash(es)"
        if isinstance(v, LoadOption):
            return f"{self.name}: {v.description} {v.device_path.text}"
        if isinstance(v, CertificateInfo):
            return f"{self.name}: {v.subject}"
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], CertificateInfo):
            return f"{self.name}: {v[1].subject}"
        if self.name == "BootOrder" and isinstance(v, tuple):
            return "BootOrder " + ",".join(f"{x:04X}" for x in v)
        if isinstance(v, str):
            return f"{self.name}: {v.strip()}"
        return f"{self.name} ({len(self.data)} bytes)"


_SIGDB_NAMES = {
    "PK",
    "KEK",
    "db",
    "dbx",
    "dbt",
    "dbr",
    "PKDefault",
    "KEKDefault",
    "dbDefault",
    "dbxDefault",
    "MokList",
    "MokListX",
    "MokListRT",
    "MokListXRT",
    "MokListTrusted",
}


def _sbat_level(data: bytes) -> str:
    return data.rstrip(b"\x00").decode("utf-8", errors="replace")


def _authority_value(name: str, data: bytes) -> object:
    """An EV_EFI_VARIABLE_AUTHORITY's value: shim's SbatLevel text or MokListTrusted flag, else an
    EFI_SIGNATURE_DATA (owner GUID + DER) or, with older shim, the bare DER certificate."""
    if name in ("SbatLevel", "SbatLevelRT"):
        return _sbat_level(data)
    if name == "MokListTrusted":
        return bool(data[0]) if len(data) == 1 else data
    if data[:1] == b"\x30":
        return CertificateInfo.from_der(data)
    if len(data) > 16 and data[16:17] == b"\x30":
        return (guid_str(data[:16]), CertificateInfo.from_der(data[16:]))
    return None


def _boot_order(data: bytes, base: int) -> tuple[int, ...]:
    if len(data) % 2:
        raise ParseError("BootOrder length is odd", offset=base, what="BootOrder")
    return struct.unpack(f"<{len(data) // 2}H", data)


def _is_load_option(name: str) -> bool:
    return len(name) == 8 and name.startswith(("Boot", "Driver", "SysPrep")) and name[-4:].isalnum()


def _var_value(name: str, data: bytes, base: int, authority: bool) -> object:
    if authority:
        return _authority_value(name, data)
    if name == "SecureBoot":
        return bool(data[0]) if data else None
    if name in _SIGDB_NAMES:
        return parse_signature_lists(data, base)
    if name in ("BootOrder", "BootNext"):
        return _boot_order(data, base)
    if _is_load_option(name):
        return _load_option(data, base)
    if name in ("SbatLevel", "SbatLevelRT"):
        return _sbat_level(data)
    return None


def _variable(d: bytes, base: int, authority: bool = False) -> UefiVariable:
    r = _R(d, base, "UEFI_VARIABLE_DATA")
    guid = r.guid("VariableName")
    nlen, dlen = r.u64("UnicodeNameLength"), r.u64("VariableDataLength")
    name = r.take(nlen * 2, "UnicodeName").decode("utf-16-le", errors="replace").rstrip("\x00")
    data_at = r.pos
    data = r.take(dlen, "VariableData")
    try:
        value = _var_value(name, data, base + data_at, authority)
        err = None
    except ParseError as e:
        value, err = None, str(e)
    # Lenient: bytes past VariableDataLength (a shim off-by-N, go-attestation#157) are kept apart.
    return UefiVariable(guid, name, data, value, err, d[r.pos :])


def _authority(d: bytes, base: int) -> UefiVariable:
    return _variable(d, base, authority=True)


# ----------------------------------------------------------------------------------- image loads
@dataclass(frozen=True)
class ImageLoad:
    """UEFI_IMAGE_LOAD_EVENT (PFP 1.06, 10.4.3): where an image was loaded and its device path."""

    location: int
    length: int
    link_time_address: int
    device_path: DevicePath
    trailing: bytes = b""

    @property
    def description(self) -> str:
        return self.device_path.text or f"image at 0x{self.location:x}"


def _image(d: bytes, base: int) -> ImageLoad:
    r = _R(d, base, "UEFI_IMAGE_LOAD_EVENT")
    loc, length, link, dplen = (
        r.u64("ImageLocationInMemory"),
        r.u64("ImageLengthInMemory"),
        r.u64("ImageLinkTimeAddress"),
        r.u64("LengthOfDevicePath"),
    )
    at = r.pos
    dp = parse_device_path(r.take(dplen, "DevicePath"), base=base + at)
    # Lenient: some shim builds log bytes past LengthOfDevicePath (go-attestation#157); keep them.
    return ImageLoad(loc, length, link, dp, d[r.pos :])


# ------------------------------------------------------------------------------------------ GPT
@dataclass(frozen=True)
class GptPartition:
    """EFI_PARTITION_ENTRY (UEFI 2.10, 5.3.3)."""

    type_guid: str
    unique_guid: str
    starting_lba: int
    ending_lba: int
    attributes: int
    name: str


@dataclass(frozen=True)
class GptData:
    """UEFI_GPT_DATA (PFP 1.06, 10.4.6): the GPT header fields and the measured partition entries."""

    disk_guid: str
    revision: int
    header_size: int
    my_lba: int
    alternate_lba: int
    first_usable_lba: int
    last_usable_lba: int
    partition_entry_lba: int
    number_of_partition_entries: int
    size_of_partition_entry: int
    partitions: tuple[GptPartition, ...]

    @property
    def description(self) -> str:
        return f"GPT disk {self.disk_guid}, {len(self.partitions)} partition(s)"


def _gpt(d: bytes, base: int) -> GptData:
    r = _R(d, base, "UEFI_GPT_DATA")
    if r.take(8, "Signature") != b"EFI PART":
        raise ParseError("GPT header signature is not 'EFI PART'", offset=base, what=r.what)
    rev, hsize = r.u32("Revision"), r.u32("HeaderSize")
    r.u32("HeaderCRC32")
    r.u32("Reserved")
    my, alt, first, last = (
        r.u64("MyLBA"),
        r.u64("AlternateLBA"),
        r.u64("FirstUsableLBA"),
        r.u64("LastUsableLBA"),
    )
    disk = r.guid("DiskGUID")
    entry_lba, nentries, esize = (
        r.u64("PartitionEntryLBA"),
        r.u32("NumberOfPartitionEntries"),
        r.u32("SizeOfPartitionEntry"),
    )
    r.u32("PartitionEntryArrayCRC32")
    n = r.u64("NumberOfPartitions")
    if esize < 128 or n * esize > r.remaining:
        raise ParseError(
            f"{n} partitions of {esize} bytes exceed the data", offset=base + r.pos - 8, what=r.what
        )
    parts = []
    for _ in range(n):
        e = r.take(esize, "Partition")
        t, u = guid_str(e[:16]), guid_str(e[16:32])
        s, en, a = struct.unpack_from("<QQQ", e, 32)
        parts.append(
            GptPartition(t, u, s, en, a, e[56:128].decode("utf-16-le", errors="replace").rstrip("\x00"))
        )
    r.expect_end()
    return GptData(disk, rev, hsize, my, alt, first, last, entry_lba, nentries, esize, tuple(parts))


# -------------------------------------------------------------------------- EV_EVENT_TAG / SIPA
# Windows SIPA (and systemd) tagged events: decoded, encoded and read in tlkit.eventlog._sipa.
def _event_tag(d: bytes, base: int) -> TaggedEvents:
    return decode_tagged_events(d, base)


# ------------------------------------------------------------------------------------ dispatch
_Decoder = Callable[[bytes, int], object]

_DECODERS: dict[int, _Decoder] = {
    T.EV_NO_ACTION: _no_action,
    T.EV_SEPARATOR: _separator,
    T.EV_ACTION: _action,
    T.EV_EFI_ACTION: _action,
    T.EV_S_CRTM_VERSION: _action,
    T.EV_POST_CODE: _post_code,
    T.EV_IPL: _ipl,
    T.EV_EFI_HCRTM_EVENT: _action,
    T.EV_COMPACT_HASH: lambda d, b: TextEvent(*_text(d)) if _printable(d.rstrip(b"\x00")) else None,
    T.EV_EVENT_TAG: _event_tag,
    T.EV_EFI_PLATFORM_FIRMWARE_BLOB: _blob,
    T.EV_EFI_PLATFORM_FIRMWARE_BLOB2: _blob2,
    T.EV_EFI_HANDOFF_TABLES: lambda d, b: _handoff(d, b, False),
    T.EV_EFI_HANDOFF_TABLES2: lambda d, b: _handoff(d, b, True),
    T.EV_EFI_VARIABLE_DRIVER_CONFIG: _variable,
    T.EV_EFI_VARIABLE_BOOT: _variable,
    T.EV_EFI_VARIABLE_BOOT2: _variable,
    T.EV_EFI_VARIABLE_AUTHORITY: _authority,
    # EV_EFI_SPDM_FIRMWARE_BLOB/CONFIG carry TCG_DEVICE_SECURITY_EVENT_DATA: kept raw.
    # The device policy/authority events are UEFI_VARIABLE_DATA of the devdb (PFP 1.06, 10.4.1).
    T.EV_EFI_SPDM_DEVICE_POLICY: _variable,
    T.EV_EFI_SPDM_DEVICE_AUTHORITY: _variable,
    T.EV_EFI_BOOT_SERVICES_APPLICATION: _image,
    T.EV_EFI_BOOT_SERVICES_DRIVER: _image,
    T.EV_EFI_RUNTIME_SERVICES_DRIVER: _image,
    T.EV_EFI_GPT_EVENT: _gpt,
    T.EV_EFI_GPT_EVENT2: _gpt,
    T.EV_PLATFORM_CONFIG_FLAGS: lambda d, b: (
        TextEvent(*_text(d)) if d and _printable(d.rstrip(b"\x00")) else None
    ),
    T.EV_NONHOST_INFO: lambda d, b: TextEvent(*_text(d)) if d and _printable(d.rstrip(b"\x00")) else None,
}


def decode_payload(event_type: int, data: bytes, base: int = 0) -> object:
    """Decode the data of an event; ``None`` when tlkit has no decoder for the type.

    Raises:
        ParseError: the data does not have the structure its event type prescribes.
    """
    dec = _DECODERS.get(event_type)
    if dec is None:
        return None
    try:
        return dec(data, base)
    except ParseError:
        raise
    except (struct.error, IndexError, ValueError, UnicodeDecodeError, OverflowError) as e:
        raise ParseError(f"{type(e).__name__}: {e}", offset=base, what="event data") from None
