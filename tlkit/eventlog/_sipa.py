"""Windows Boot Configuration Log (WBCL) SIPA events: decode, encode, and the measured boot configuration.

Windows boot manager and winload log their configuration as EV_EVENT_TAG (0x00000006) events on
PCRs 12, 13 and 14 (and EV_COMPACT_HASH on PCR 11, EV_SEPARATOR ``"WBCL"`` at the end). The data
of each such event is a sequence of ``TCG_PCClientTaggedEvent`` records (PFP 1.06, 10.4.2.1:
UINT32 taggedEventID, UINT32 taggedEventDataSize, data), the ID being a SIPA event
(``SIPAEVENT_*`` of the Windows SDK's ``wbcl.h``):

* bits 0xC0000000 are flags (``SIPAEVENTTYPE_NONMEASURED``, ``SIPAEVENTTYPE_AGGREGATION``);
* bits 0x000F0000 the type: 0x0001 *container* (its data is again a sequence of records:
  TrustBoundary, LoadedModuleAggregation, ElamAggregation...), 0x0002 information, 0x0003 errors,
  0x0004 pre-OS parameters (BootDebugging), 0x0005 OS parameters (OsKernelDebug, CodeIntegrity,
  TestSigning...), 0x0006 authority, 0x0007 loaded module, 0x0008 trust point, 0x0009 ELAM, 0x000A
  VBS, 0x000B KSR, 0x000C DRTM.

:data:`SIPA_TAGS` (read once from ``data/sipa_tags.csv``, the facts with their sources beside it)
gives each known tag its name and payload kind: ``bool`` (a 1-byte BOOLEAN), ``u8``/``u32``/``u64``
(little-endian), ``utf16`` (a NUL-terminated UTF-16LE string), ``bytes``, ``container``, and the
structures ``revocation-list`` (SIPAEVENT_REVOCATION_LIST_PAYLOAD), ``sbcp-info``
(SIPAEVENT_SBCP_INFO_PAYLOAD_V1) and ``si-policy`` (SIPAEVENT_SI_POLICY_PAYLOAD).

* :func:`decode_tagged_events` reads the data of an EV_EVENT_TAG into :class:`TaggedEvent` records
  (containers nested, values decoded). A record cut short, a known tag whose data does not have
  its kind's size or structure, or nesting deeper than 16 raises :class:`tlkit.errors.ParseError`
  naming the tag and the offset; nothing is dropped (an unknown tag keeps its bytes).
* :func:`sipa_event` / :func:`sipa_container` build records from values, :func:`encode_tagged_events`
  writes them; ``encode_tagged_events(decode_tagged_events(d)) == d`` for every decodable ``d``
  (tested byte for byte on the real Windows logs of the fixtures).
* :func:`windows_boot_config` reads the measured Windows boot configuration from a log's events
  (:class:`WindowsBootConfig`; each field names its source event).

systemd-stub also writes EV_EVENT_TAG events (PCR 9/12, tags 0x8F3B22EC/0x8F3B22ED): they are read as
records too, named ``systemd:*``, with their data as bytes.

What it does not do: trust anything. The records are what the log claims; :func:`windows_boot_config`
uses only events whose digests are the hash of their data, but a caller must still match the log's
replay against quoted PCRs before believing it.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.resources
import io
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from tlkit.errors import DataError, ParseError

__all__ = [
    "PAYLOAD_KINDS",
    "SIPA_TAGS",
    "SIPA_TAGS_FILE",
    "RevocationList",
    "SbcpInfo",
    "SiPolicy",
    "SipaTag",
    "TaggedEvent",
    "TaggedEvents",
    "WindowsBootConfig",
    "decode_tagged_events",
    "encode_tagged_events",
    "sipa_container",
    "sipa_event",
    "sipa_names",
    "sipa_tag",
    "sipa_tags",
    "windows_boot_config",
]

SIPA_TAGS_FILE = "data/sipa_tags.csv"
"""Windows SIPA tag table, relative to :mod:`tlkit.eventlog` (source: ``data/SOURCES.md`` beside it)."""

_FLAGS = 0xC0000000
_TYPE_MASK = 0x000F0000
_CONTAINER = 0x00010000
_AGGREGATION = 0x40000000
_MAX_DEPTH = 16
_HEADER = struct.Struct("<II")
# systemd-stub / systemd-boot tags on PCR 9/12 (systemd src/fundamental/tpm2-pcr.h).
_SYSTEMD_TAGS: dict[int, str] = {0x8F3B22EC: "systemd:initrd", 0x8F3B22ED: "systemd:load-options"}


# ---------------------------------------------------------------------------------- structures
@dataclass(frozen=True)
class RevocationList:
    """SIPAEVENT_REVOCATION_LIST_PAYLOAD (wbcl.h): CreationTime (FILETIME), HashAlgID (TPM_ALG_ID),
    the digest of the boot / OS revocation list."""

    creation_time: int
    hash_alg: int
    digest: bytes


@dataclass(frozen=True)
class SbcpInfo:
    """SIPAEVENT_SBCP_INFO_PAYLOAD_V1 (wbcl.h): the Secure Boot Custom Policy's digest and options."""

    version: int
    hash_alg: int
    options: int
    signers_count: int
    digest: bytes


@dataclass(frozen=True)
class SiPolicy:
    """SIPAEVENT_SI_POLICY_PAYLOAD (wbcl.h): a code-integrity (WDAC) policy's version, name, digest."""

    version: int
    name: str
    hash_alg: int
    digest: bytes


def _fail(tag: int, message: str, base: int) -> ParseError:
    return ParseError(message, offset=base, what=f"SIPA {_name_of(tag)} (0x{tag:08x})")


def _fixed(size: int, fmt: str) -> tuple[Callable[[bytes, int, int], object], Callable[[object], bytes]]:
    packer = struct.Struct(fmt)

    def dec(d: bytes, tag: int, base: int) -> object:
        if len(d) != size:
            raise _fail(tag, f"{size}-byte value expected, got {len(d)} bytes", base)
        return packer.unpack(d)[0]

    def enc(v: object) -> bytes:
        return packer.pack(int(v))  # type: ignore[call-overload]

    return dec, enc


def _dec_bool(d: bytes, tag: int, base: int) -> object:
    if len(d) != 1:
        raise _fail(tag, f"a BOOLEAN is 1 byte, got {len(d)}", base)
    return d[0] != 0


def _dec_utf16(d: bytes, tag: int, base: int) -> object:
    if len(d) % 2:
        raise _fail(tag, f"UTF-16 string of odd length {len(d)}", base)
    try:
        text = d.decode("utf-16-le")
    except UnicodeDecodeError as e:
        raise _fail(tag, f"not UTF-16LE: {e.reason}", base) from None
    return text[:-1] if text.endswith("\0") else text


def _dec_revocation(d: bytes, tag: int, base: int) -> object:
    if len(d) < 14:
        raise _fail(tag, f"revocation list payload of {len(d)} bytes, at least 14 expected", base)
    created, size, alg = struct.unpack_from("<qIH", d)
    if len(d) != 14 + size:
        raise _fail(tag, f"DigestLength {size} does not match the {len(d) - 14} bytes left", base + 8)
    return RevocationList(created, alg, d[14:])


def _enc_revocation(v: object) -> bytes:
    assert isinstance(v, RevocationList)
    return struct.pack("<qIH", v.creation_time, len(v.digest), v.hash_alg) + v.digest


def _dec_sbcp(d: bytes, tag: int, base: int) -> object:
    if len(d) < 20:
        raise _fail(tag, f"SBCP info payload of {len(d)} bytes, at least 20 expected", base)
    version, offset, alg, size, options, signers = struct.unpack_from("<IIHHII", d)
    if offset < 20 or offset + size != len(d):
        raise _fail(tag, f"VarDataOffset {offset} + DigestLength {size} != payload size {len(d)}", base + 4)
    return SbcpInfo(version, alg, options, signers, d[offset:])


def _enc_sbcp(v: object) -> bytes:
    assert isinstance(v, SbcpInfo)
    return (
        struct.pack("<IIHHII", v.version, 20, v.hash_alg, len(v.digest), v.options, v.signers_count)
        + v.digest
    )


def _dec_si_policy(d: bytes, tag: int, base: int) -> object:
    if len(d) < 16:
        raise _fail(tag, f"SI policy payload of {len(d)} bytes, at least 16 expected", base)
    version, name_len, alg, size = struct.unpack_from("<QHHI", d)
    if 16 + name_len + size != len(d) or name_len % 2:
        raise _fail(
            tag, f"PolicyNameLength {name_len} + DigestLength {size} do not fill the payload", base + 8
        )
    name = _dec_utf16(d[16 : 16 + name_len], tag, base + 16)
    return SiPolicy(version, str(name), alg, d[16 + name_len :])


def _enc_si_policy(v: object) -> bytes:
    assert isinstance(v, SiPolicy)
    name = (v.name + "\0").encode("utf-16-le")
    return struct.pack("<QHHI", v.version, len(name), v.hash_alg, len(v.digest)) + name + v.digest


_Decode = Callable[[bytes, int, int], object]
_Encode = Callable[[object], bytes]

#: Payload kind -> (decoder(data, tag, offset), encoder(value)); the ``kind`` column of the table.
PAYLOAD_KINDS: Mapping[str, tuple[_Decode, _Encode]] = MappingProxyType(
    {
        "container": (lambda d, t, b: None, lambda v: b""),
        "bytes": (lambda d, t, b: bytes(d), bytes),  # type: ignore[dict-item]
        "bool": (_dec_bool, lambda v: b"\x01" if v else b"\x00"),
        "u8": _fixed(1, "<B"),
        "u32": _fixed(4, "<I"),
        "u64": _fixed(8, "<Q"),
        "utf16": (_dec_utf16, lambda v: (str(v) + "\0").encode("utf-16-le")),
        "revocation-list": (_dec_revocation, _enc_revocation),
        "sbcp-info": (_dec_sbcp, _enc_sbcp),
        "si-policy": (_dec_si_policy, _enc_si_policy),
    }
)


# ------------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class SipaTag:
    """One known SIPA event: ID (flag bits cleared), name, payload kind, ``wbcl.h`` macro."""

    tag_id: int
    name: str
    payload: str
    macro: str


@functools.cache
def sipa_tags() -> Mapping[int, SipaTag]:
    """``{tag id: SipaTag}`` read once from :data:`SIPA_TAGS_FILE` (package data).

    Raises:
        DataError: the file is missing or a row is malformed (a broken installation).
    """
    res = importlib.resources.files("tlkit.eventlog").joinpath(SIPA_TAGS_FILE)
    try:
        text = res.read_text(encoding="utf-8")
    except OSError as e:
        raise DataError(f"SIPA tag table {SIPA_TAGS_FILE} not found in tlkit.eventlog ({e})") from None
    out: dict[int, SipaTag] = {}
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            tag = SipaTag(
                int(row["tag_id"], 16), row["name"].strip(), row["payload"].strip(), row["macro"].strip()
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise DataError(
                f"{SIPA_TAGS_FILE} line {n}: expected tag_id (hex),name,payload,macro", record=n
            ) from None
        if not tag.name or tag.tag_id in out or tag.payload not in PAYLOAD_KINDS or tag.tag_id & _FLAGS:
            raise DataError(
                f"{SIPA_TAGS_FILE} line {n}: empty, repeated, flagged or unknown-kind entry", record=n
            )
        out[tag.tag_id] = tag
    return MappingProxyType(out)


def sipa_names() -> Mapping[int, str]:
    """``{tag id: name}`` of :func:`sipa_tags` (the names ``tlkit eventlog show`` prints)."""
    return _names()


@functools.cache
def _names() -> Mapping[int, str]:
    return MappingProxyType({t: s.name for t, s in sipa_tags().items()})


def _name_of(tag_id: int) -> str:
    known = _SYSTEMD_TAGS.get(tag_id)
    if known is None:
        spec = sipa_tags().get(tag_id & ~_FLAGS)
        known = spec.name if spec is not None else None
    return known or f"SIPA_0x{tag_id:08x}"


def sipa_tag(name: str) -> int:
    """The tag ID of ``name`` (e.g. ``"TestSigning"`` -> 0x00050003), with the AGGREGATION flag that
    Windows sets on containers (TrustBoundary is logged as 0x40010001).

    Raises:
        DataError: unknown name.
    """
    found = _ids().get(name)
    if found is None:
        raise DataError("unknown SIPA tag name", record=name)
    return found


@functools.cache
def _ids() -> Mapping[str, int]:
    return MappingProxyType(
        {t.name: t.tag_id | (_AGGREGATION if t.payload == "container" else 0) for t in sipa_tags().values()}
    )


#: The table as loaded (a mapping view that reads the file on first use).
class _LazyTags(Mapping[int, SipaTag]):
    def __getitem__(self, key: int) -> SipaTag:
        return sipa_tags()[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sipa_tags())

    def __len__(self) -> int:
        return len(sipa_tags())


SIPA_TAGS: Mapping[int, SipaTag] = _LazyTags()


def _kind(tag_id: int) -> str:
    if tag_id & _TYPE_MASK == _CONTAINER and tag_id not in _SYSTEMD_TAGS:
        return "container"
    spec = sipa_tags().get(tag_id & ~_FLAGS) if tag_id not in _SYSTEMD_TAGS else None
    return spec.payload if spec is not None else "bytes"


# ------------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class TaggedEvent:
    """TCG_PCClientTaggedEvent (PFP 1.06, 10.4.2.1); on Windows a SIPA event.

    Attributes:
        tag_id: taggedEventID as logged (flag bits included).
        data: taggedEventData as logged.
        children: the nested records of a container.
        value: the decoded value (``bool``, ``int``, ``str``, ``bytes``, :class:`RevocationList`,
            :class:`SbcpInfo`, :class:`SiPolicy`; ``None`` for a container).
    """

    tag_id: int
    data: bytes = field(repr=False)
    children: tuple[TaggedEvent, ...] = ()
    value: object = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """systemd tag name, SIPA name (flag bits 0xC0000000 ignored), else ``SIPA_0x...``."""
        return _name_of(self.tag_id)

    @property
    def text(self) -> str | None:
        """The data as text when it is a printable ASCII string (e.g. systemd's ``Linux initrd``)."""
        body = self.data.rstrip(b"\x00")
        if body and all(0x20 <= c < 0x7F for c in body):
            return body.decode("ascii")
        return None

    @property
    def size(self) -> int:
        return len(self.data)

    def find(self, name: str) -> tuple[TaggedEvent, ...]:
        """Every record called ``name`` in this record's subtree (depth first, itself included)."""
        return tuple(e for e in _walk((self,)) if e.name == name)

    @property
    def summary(self) -> str:
        """``Name=value`` for people (``Name[...]`` for a container, loaded modules counted)."""
        if self.children or _kind(self.tag_id) == "container":
            return f"{self.name}[{_summary(self.children)}]"
        v = self.value
        if isinstance(v, bool):
            shown = "true" if v else "false"
        elif isinstance(v, bytes):
            shown = v.hex() if len(v) <= 8 else f"{v[:6].hex()}…({len(v)} bytes)"
        elif isinstance(v, str):
            shown = repr(v)
        elif isinstance(v, RevocationList | SbcpInfo | SiPolicy):
            shown = f"{type(v).__name__}(digest {v.digest[:6].hex()}…)"
        elif v is None:
            shown = self.text or self.data.hex()
        else:
            shown = str(v)
        return f"{self.name}={shown}"


def _summary(events: Sequence[TaggedEvent]) -> str:
    parts: list[str] = []
    modules = [e for e in events if e.name == "LoadedModuleAggregation"]
    for e in events:
        if e.name != "LoadedModuleAggregation":
            parts.append(e.summary)
        elif e is modules[0]:
            paths = [p.value for m in modules for p in m.children if p.name == "FilePath"]
            first = str(paths[0]).rsplit("\\", 1)[-1] if paths else ""
            parts.append(
                f"{len(modules)} LoadedModule{'s' if len(modules) > 1 else ''}"
                + (f" ({first}…)" if first else "")
            )
    return ", ".join(parts)


def _walk(events: Iterable[TaggedEvent]) -> Iterable[TaggedEvent]:
    for e in events:
        yield e
        yield from _walk(e.children)


@dataclass(frozen=True)
class TaggedEvents:
    """The data of an EV_EVENT_TAG: one or more tagged events (Windows logs put a SIPA stream here)."""

    events: tuple[TaggedEvent, ...]

    @property
    def description(self) -> str:
        return "tags " + _summary(self.events)

    def walk(self) -> tuple[TaggedEvent, ...]:
        """Every tagged event, depth first."""
        return tuple(_walk(self.events))

    def to_bytes(self) -> bytes:
        return encode_tagged_events(self.events)


def _decode(d: bytes, base: int, depth: int) -> tuple[TaggedEvent, ...]:
    if depth > _MAX_DEPTH:
        raise ParseError("tagged events nested too deeply", offset=base, what="TCG_PCClientTaggedEvent")
    out = []
    pos, end = 0, len(d)
    while pos < end:
        if end - pos < 8:
            raise ParseError(
                f"tagged event header needs 8 bytes, {end - pos} left",
                offset=base + pos,
                what="TCG_PCClientTaggedEvent",
            )
        tag, size = _HEADER.unpack_from(d, pos)
        at = pos + 8
        if size > end - at:
            raise ParseError(
                f"{_name_of(tag)}: taggedEventDataSize {size} exceeds the {end - at} bytes left",
                offset=base + pos + 4,
                what="TCG_PCClientTaggedEvent",
            )
        body = d[at : at + size]
        kind = _kind(tag)
        if kind == "container":
            out.append(TaggedEvent(tag, body, _decode(body, base + at, depth + 1)))
        else:
            out.append(TaggedEvent(tag, body, (), PAYLOAD_KINDS[kind][0](body, tag, base + at)))
        pos = at + size
    return tuple(out)


def decode_tagged_events(data: bytes, base: int = 0) -> TaggedEvents:
    """The records of an EV_EVENT_TAG's data (containers nested, values decoded).

    Raises:
        ParseError: a record cut short, a known tag whose data is not its kind's structure, or
            containers nested deeper than 16 (the message names the tag; the offset is absolute
            when ``base`` is the data's offset in the log).
    """
    return TaggedEvents(_decode(bytes(data), base, 0))


def encode_tagged_events(events: Iterable[TaggedEvent]) -> bytes:
    """The bytes of ``events`` as an EV_EVENT_TAG's data (each record's logged data, so decoding then
    encoding gives the same bytes)."""
    return b"".join(_HEADER.pack(e.tag_id, len(e.data)) + e.data for e in events)


def sipa_event(name: str, value: object) -> TaggedEvent:
    """A non-container SIPA record ``name`` (see :data:`SIPA_TAGS`) holding ``value`` in its kind's
    encoding, e.g. ``sipa_event("TestSigning", False)``.

    Raises:
        DataError: unknown name, or a container name (use :func:`sipa_container`).
    """
    tag = sipa_tag(name)
    kind = _kind(tag)
    if kind == "container":
        raise DataError("a container holds records: use sipa_container", record=name)
    data = PAYLOAD_KINDS[kind][1](value)
    return TaggedEvent(tag, data, (), PAYLOAD_KINDS[kind][0](data, tag, 0))


def sipa_container(name: str, children: Iterable[TaggedEvent]) -> TaggedEvent:
    """A container record (TrustBoundary, LoadedModuleAggregation, ElamAggregation...) of ``children``."""
    kids = tuple(children)
    tag = sipa_tag(name)
    if _kind(tag) != "container":
        raise DataError("not a container tag", record=name)
    return TaggedEvent(tag, encode_tagged_events(kids), kids)


# ------------------------------------------------------------------------ the boot configuration
#: The PCRs whose EV_EVENT_TAG events :func:`windows_boot_config` reads (WBCL: 12 is the boot
#: configuration that BitLocker and attestation trust, 13 the loaded modules; both repeat the flags).
CONFIG_PCRS = (12, 13)


@dataclass(frozen=True)
class WindowsBootConfig:
    """The Windows boot configuration a log measured (SIPA events on PCRs 12 and 13, before their
    ``WBCL`` separator, of events whose digest is the hash of their data).

    Flags that weaken security latch on when *any* record says so (as go-attestation reads them);
    flags that strengthen it hold only if *every* record says so. ``None``: no such record.

    Attributes:
        boot_debug: BootDebugging (SIPAEVENT_BOOTDEBUGGING, 0x00040001) true anywhere.
        kernel_debug: OsKernelDebug (SIPAEVENT_OSKERNELDEBUG, 0x00050001) true anywhere.
        test_signing: TestSigning (SIPAEVENT_TESTSIGNING, 0x00050003) true anywhere.
        flight_signing: FlightSigning (SIPAEVENT_FLIGHTSIGNING, 0x00050021) true anywhere.
        hypervisor_debug: HypervisorDebug (SIPAEVENT_HYPERVISOR_DEBUG, 0x0005000D) true anywhere.
        code_integrity: CodeIntegrity (SIPAEVENT_CODEINTEGRITY, 0x00050002) true in every record.
        safe_mode / winpe: SafeMode (0x00050005) / WinPE (0x00050006) true anywhere.
        elam_drivers: ElamKeyname (0x00090001) of each ElamAggregation (0x40010002) container.
        hvci_policy: VbsHvciPolicy (SIPAEVENT_VBS_HVCI_POLICY, 0x000A0007), the largest logged; 0 when
            absent (bit 0 set: hypervisor-enforced code integrity on, as MAA's sample policy reads it).
        hypervisor_launch_type / vsm_launch_type: HypervisorLaunchType (0x0005000A) / VsmLaunchType
            (0x00050012), the last logged (0: off).
        vbs_required: the VBS requirement records (0x000A0001-0x000A000A) that are true, by name.
        lsa_iso_config: LsaIsoConfig (SIPAEVENT_LSAISO_CONFIG, 0x00050028): Credential Guard's
            LSA_ISO flags (1 on with UEFI lock, 2 on without), ``None`` when not logged.
        bitlocker_unlocks: BitlockerUnlock (0x00020005) values that are not 0 (FVEB_UNLOCK_FLAG_*).
        loaded_modules: (FilePath, AuthenticodeHash) of each LoadedModuleAggregation with a path.
        events: indices of the events read; skipped: indices of EV_EVENT_TAG events on those PCRs not
            read (digest not the hash of the data, or after the separator).
    """

    boot_debug: bool = False
    kernel_debug: bool = False
    test_signing: bool = False
    flight_signing: bool = False
    hypervisor_debug: bool = False
    code_integrity: bool | None = None
    safe_mode: bool = False
    winpe: bool = False
    elam_drivers: tuple[str, ...] = ()
    hvci_policy: int = 0
    hypervisor_launch_type: int = 0
    vsm_launch_type: int = 0
    vbs_required: tuple[str, ...] = ()
    lsa_iso_config: int | None = None
    bitlocker_unlocks: tuple[int, ...] = ()
    loaded_modules: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    events: tuple[int, ...] = ()
    skipped: tuple[int, ...] = ()

    @property
    def elam(self) -> bool:
        """An early-launch anti-malware driver was measured (an ElamAggregation with a key name)."""
        return bool(self.elam_drivers)

    @property
    def vbs(self) -> bool:
        """Virtualization-based security ran: VsmLaunchType not 0 and VbsVsmRequired true."""
        return self.vsm_launch_type != 0 and "VbsVsmRequired" in self.vbs_required

    @property
    def hvci(self) -> bool:
        return bool(self.hvci_policy & 1)

    @property
    def credential_guard(self) -> bool:
        return bool(self.lsa_iso_config) and self.vbs


_LATCH_ON = {
    "BootDebugging": "boot_debug",
    "OsKernelDebug": "kernel_debug",
    "TestSigning": "test_signing",
    "FlightSigning": "flight_signing",
    "HypervisorDebug": "hypervisor_debug",
    "SafeMode": "safe_mode",
    "WinPE": "winpe",
}
_LAST = {"HypervisorLaunchType": "hypervisor_launch_type", "VsmLaunchType": "vsm_launch_type",
         "LsaIsoConfig": "lsa_iso_config"}  # fmt: skip


class _Reader:
    """Folds SIPA records into the fields of :class:`WindowsBootConfig` (one small rule per kind)."""

    def __init__(self) -> None:
        self.fields: dict[str, object] = {}
        self.integrity: list[bool] = []
        self.vbs: dict[str, bool] = {}
        self.elam: list[str] = []
        self.unlocks: list[int] = []
        self.modules: list[tuple[str, bytes]] = []
        self.hvci = 0

    def record(self, e: TaggedEvent) -> None:
        name, v = e.name, e.value
        if name in _LATCH_ON:
            self.fields[_LATCH_ON[name]] = bool(self.fields.get(_LATCH_ON[name])) or bool(v)
        elif name in _LAST:
            self.fields[_LAST[name]] = v
        elif name == "CodeIntegrity":
            self.integrity.append(bool(v))
        elif name.startswith("Vbs") and name != "VbsHvciPolicy":
            self.vbs[name] = self.vbs.get(name, True) and bool(v)
        elif name == "VbsHvciPolicy":
            self.hvci = max(self.hvci, int(v))  # type: ignore[call-overload]
        elif name == "BitlockerUnlock" and v:
            self.unlocks.append(int(v))  # type: ignore[call-overload]
        elif name == "ElamAggregation":
            self.elam += [str(k.value) for k in e.children if k.name == "ElamKeyname"]
        elif name == "LoadedModuleAggregation":
            paths = [str(k.value) for k in e.children if k.name == "FilePath"]
            hashes = [bytes(k.data) for k in e.children if k.name == "AuthenticodeHash"]
            if paths and hashes:
                self.modules.append((paths[0], hashes[0]))

    def result(self, events: tuple[int, ...], skipped: tuple[int, ...]) -> WindowsBootConfig:
        return WindowsBootConfig(
            **self.fields,  # type: ignore[arg-type]
            code_integrity=all(self.integrity) if self.integrity else None,
            elam_drivers=tuple(dict.fromkeys(self.elam)),
            hvci_policy=self.hvci,
            vbs_required=tuple(k for k, v in self.vbs.items() if v),
            bitlocker_unlocks=tuple(self.unlocks),
            loaded_modules=tuple(dict.fromkeys(self.modules)),
            events=events,
            skipped=skipped,
        )


def _measured_as_logged(data: bytes, digests: Mapping[str, bytes]) -> bool:
    """Windows extends H(data) of each EV_EVENT_TAG (go-attestation checks the same): every bank's
    digest is the hash of the data (a bank hashlib does not know counts as unchecked, so False)."""
    try:
        return bool(digests) and all(hashlib.new(b, data).digest() == d for b, d in digests.items())
    except ValueError:
        return False


def windows_boot_config(events: Iterable[object]) -> WindowsBootConfig:
    """The Windows boot configuration measured by ``events`` (an :class:`~tlkit.eventlog.EventLog` or
    any iterable of its events): every SIPA record of the EV_EVENT_TAG events on PCRs 12 and 13 up to
    each PCR's ``WBCL`` separator, from events whose digest in every bank is the hash of their data.
    A Linux log gives the defaults (nothing measured). Unverified until the log's replay matched
    quoted PCRs 12 and 13.

    Raises:
        ParseError: an EV_EVENT_TAG on those PCRs whose data does not decode (never skipped silently).
    """
    reader = _Reader()
    read: list[int] = []
    skipped: list[int] = []
    closed: set[int] = set()
    for ev in events:
        pcr, etype = getattr(ev, "pcr", None), getattr(ev, "event_type", None)
        if pcr not in CONFIG_PCRS:
            continue
        if etype == 0x04 and ev.data == b"WBCL":  # type: ignore[attr-defined]
            closed.add(pcr)
            continue
        if etype != 0x06:
            continue
        index = int(ev.index)  # type: ignore[attr-defined]
        if pcr in closed or not _measured_as_logged(ev.data, ev.digests):  # type: ignore[attr-defined]
            skipped.append(index)
            continue
        for record in _walk(decode_tagged_events(ev.data).events):  # type: ignore[attr-defined]
            reader.record(record)
        read.append(index)
    return reader.result(tuple(read), tuple(skipped))
