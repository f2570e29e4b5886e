"""TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12) and the quote body TPMS_QUOTE_INFO (Part 2, 10.12.4).

``Attest.from_bytes`` parses: the result is *unverified* until :func:`tlkit.tpm.verify_quote` has
checked the signature over the same bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from tlkit._binary import Reader, Writer
from tlkit.errors import ParseError
from tlkit.tpm._layout import ByteLayout, SpanRecorder
from tlkit.tpm._selection import PcrSelection

__all__ = [
    "ATTEST_TYPE_NAMES",
    "TPM_GENERATED_VALUE",
    "TPM_ST_ATTEST_QUOTE",
    "Attest",
    "ClockInfo",
    "QuoteInfo",
]

#: TPM_GENERATED_VALUE, "\xffTCG" (Part 2, 6.2 TPM_GENERATED).
TPM_GENERATED_VALUE = 0xFF544347
#: TPM_ST_ATTEST_* structure tags (Part 2, 6.9 TPM_ST).
TPM_ST_ATTEST_NV = 0x8014
TPM_ST_ATTEST_COMMAND_AUDIT = 0x8015
TPM_ST_ATTEST_SESSION_AUDIT = 0x8016
TPM_ST_ATTEST_CERTIFY = 0x8017
TPM_ST_ATTEST_QUOTE = 0x8018
TPM_ST_ATTEST_TIME = 0x8019
TPM_ST_ATTEST_CREATION = 0x801A
TPM_ST_ATTEST_NV_DIGEST = 0x801C

#: TPM_ST_ATTEST_* tag -> short name (``0x8018`` -> ``"quote"``).
ATTEST_TYPE_NAMES = {
    TPM_ST_ATTEST_NV: "nv",
    TPM_ST_ATTEST_COMMAND_AUDIT: "command-audit",
    TPM_ST_ATTEST_SESSION_AUDIT: "session-audit",
    TPM_ST_ATTEST_CERTIFY: "certify",
    TPM_ST_ATTEST_QUOTE: "quote",
    TPM_ST_ATTEST_TIME: "time",
    TPM_ST_ATTEST_CREATION: "creation",
    TPM_ST_ATTEST_NV_DIGEST: "nv-digest",
}


@dataclass(frozen=True, slots=True)
class ClockInfo:
    """TPMS_CLOCK_INFO (Part 2, 10.11.1): ``clock`` in ms, reset/restart counters, ``safe`` flag."""

    clock: int
    reset_count: int
    restart_count: int
    safe: bool

    def write(self, w: Writer) -> None:
        w.u64(self.clock).u32(self.reset_count).u32(self.restart_count).u8(1 if self.safe else 0)


@dataclass(frozen=True, slots=True)
class QuoteInfo:
    """TPMS_QUOTE_INFO (Part 2, 10.12.4): the quoted selection and the digest of those PCRs."""

    pcr_select: PcrSelection
    pcr_digest: bytes


@dataclass(frozen=True, slots=True)
class Attest:
    """TPMS_ATTEST (Part 2, 10.12.12), byte-exact.

    Attributes:
        magic: should be TPM_GENERATED_VALUE (0xff544347) for anything the TPM produced.
        type: TPM_ST_ATTEST_* tag (0x8018 for a quote).
        qualified_signer: TPM2B_NAME contents: the signing key's qualified name.
        extra_data: TPM2B_DATA contents: the caller's nonce (qualifyingData).
        clock_info: TPMS_CLOCK_INFO.
        firmware_version: the TPM vendor's firmware version (u64).
        attested: :class:`QuoteInfo` for a quote; the raw TPMU_ATTEST bytes for other types.
    """

    magic: int
    type: int
    qualified_signer: bytes
    extra_data: bytes
    clock_info: ClockInfo
    firmware_version: int
    attested: QuoteInfo | bytes

    @property
    def is_quote(self) -> bool:
        return self.type == TPM_ST_ATTEST_QUOTE and isinstance(self.attested, QuoteInfo)

    @property
    def type_name(self) -> str:
        return ATTEST_TYPE_NAMES.get(self.type, f"0x{self.type:04x}")

    @classmethod
    def from_bytes(cls, data: bytes) -> Attest:
        """Parse TPMS_ATTEST bytes (e.g. ``tpm2_quote -m`` output). Unverified.

        Raises:
            ParseError: truncated or malformed input (with the byte offset).
        """
        b = data if type(data) is bytes else bytes(data)
        t = scan_attest(b)
        if t is None:
            return cls._parse(b)
        clock = ClockInfo(t[4], t[5], t[6], t[7] == 1)
        return cls(t[0], t[1], t[2], t[3], clock, t[8], t[10] if t[9] is None else QuoteInfo(t[9], t[10]))

    @classmethod
    def layout(cls, data: bytes) -> ByteLayout:
        """Which bytes of a TPMS_ATTEST hold which field, recorded by the decoder itself.

        Fields (Part 2, 10.12.12): ``magic``, ``type``, ``qualifiedSigner.size/.buffer``,
        ``extraData.size/.buffer``, ``clockInfo.clock/.resetCount/.restartCount/.safe``,
        ``firmwareVersion``, then for a quote (TPMS_QUOTE_INFO, 10.12.4) ``pcrSelect.count``,
        ``pcrSelect[i].hash/.sizeofSelect/.pcrSelect`` per bank and ``pcrDigest.size/.buffer``;
        for other types one ``attested`` span with the raw TPMU_ATTEST. Unverified.

        Raises:
            ParseError: the bytes are not a TPMS_ATTEST (same as :meth:`from_bytes`).
        """
        b = data if type(data) is bytes else bytes(data)
        _, rec = cls._decode(b)
        return rec.layout("TPMS_ATTEST", b)

    @classmethod
    def _parse(cls, data: bytes) -> Attest:
        """The careful decoder: exact ParseError offsets for any malformed input."""
        return cls._decode(data)[0]

    @classmethod
    def _decode(cls, data: bytes) -> tuple[Attest, SpanRecorder]:
        r = Reader(data, what="TPMS_ATTEST")
        rec = SpanRecorder(r)
        magic = rec.add("magic", "TPM_GENERATED", r.u32("magic"))
        typ = rec.add("type", "TPMI_ST_ATTEST", r.u16("type"))
        signer = rec.sized("qualifiedSigner", "TPM2B_NAME", r.sized_u16("qualifiedSigner"), "name")
        extra = rec.sized("extraData", "TPM2B_DATA", r.sized_u16("extraData"))
        # TPMS_CLOCK_INFO (Part 2, 10.11.1)
        clock = rec.add("clockInfo.clock", "UINT64", r.u64("clockInfo.clock"))
        resets = rec.add("clockInfo.resetCount", "UINT32", r.u32("clockInfo.resetCount"))
        restarts = rec.add("clockInfo.restartCount", "UINT32", r.u32("clockInfo.restartCount"))
        at = r.offset
        safe = r.u8("clockInfo.safe")
        if safe > 1:
            raise ParseError(
                f"clockInfo.safe must be 0 or 1 (TPMI_YES_NO), got {safe}", offset=at, what=r.what
            )
        rec.add("clockInfo.safe", "TPMI_YES_NO", bool(safe))
        fw = rec.add("firmwareVersion", "UINT64", r.u64("firmwareVersion"))
        attested: QuoteInfo | bytes
        if typ == TPM_ST_ATTEST_QUOTE:
            sel = PcrSelection.read(r, rec, field="pcrSelect")
            digest = rec.sized("pcrDigest", "TPM2B_DIGEST", r.sized_u16("pcrDigest"))
            r.expect_end()
            attested = QuoteInfo(sel, digest)
        else:
            attested = rec.add("attested", "TPMU_ATTEST", r.take(r.remaining, "attested"))
        attest = cls(magic, typ, signer, extra, ClockInfo(clock, resets, restarts, bool(safe)), fw, attested)
        return attest, rec

    def to_bytes(self) -> bytes:
        """Marshal to TPMS_ATTEST wire bytes."""
        w = Writer()
        w.u32(self.magic).u16(self.type).sized_u16(self.qualified_signer).sized_u16(self.extra_data)
        self.clock_info.write(w)
        w.u64(self.firmware_version)
        if isinstance(self.attested, QuoteInfo):
            self.attested.pcr_select.write(w)
            w.sized_u16(self.attested.pcr_digest)
        else:
            w.raw(self.attested)
        return w.getvalue()

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "magic": f"0x{self.magic:08x}",
            "type": self.type_name,
            "qualified_signer": self.qualified_signer.hex(),
            "extra_data": self.extra_data.hex(),
            "clock": self.clock_info.clock,
            "reset_count": self.clock_info.reset_count,
            "restart_count": self.clock_info.restart_count,
            "safe": self.clock_info.safe,
            "firmware_version": f"0x{self.firmware_version:016x}",
        }
        if isinstance(self.attested, QuoteInfo):
            out["pcr_selection"] = str(self.attested.pcr_select)
            out["pcr_digest"] = self.attested.pcr_digest.hex()
        return out


_HEAD = struct.Struct(">IHH")
_U16 = struct.Struct(">H")
_CLOCK_FW = struct.Struct(">QIIBQ")
_U32 = struct.Struct(">I")


_SELECTIONS: dict[bytes, PcrSelection] = {}


def _selection(wire: bytes) -> PcrSelection:
    """Parsed TPML_PCR_SELECTIONs, cached by their exact bytes (immutable values; bounded cache)."""
    sel = _SELECTIONS.get(wire)
    if sel is None:
        sel = PcrSelection.from_bytes(wire)
        if len(_SELECTIONS) >= 256:
            _SELECTIONS.clear()
        _SELECTIONS[wire] = sel
    return sel


#: What :func:`scan_attest` returns: the TPMS_ATTEST fields without object construction.
ScannedAttest = tuple[int, int, bytes, bytes, int, int, int, int, int, "PcrSelection | None", bytes]


def scan_attest(b: bytes) -> ScannedAttest | None:
    """Struct-based TPMS_ATTEST decoder for well-formed input; None means "use the careful path".

    Returns ``(magic, type, qualifiedSigner, extraData, clock, resetCount, restartCount, safe,
    firmwareVersion, pcrSelect, pcrDigest)`` for a quote, or with ``pcrSelect`` None and the raw
    TPMU_ATTEST bytes last for other types. It accepts exactly the inputs :meth:`Attest.from_bytes`
    accepts, with the same values (tested); it exists so that :func:`tlkit.tpm.verify_quote`
    costs little more than the signature check.
    """
    n = len(b)
    if n < 10:
        return None
    magic, typ, size = _HEAD.unpack_from(b, 0)
    o = 8 + size
    if o + 2 > n:
        return None
    signer = b[8:o]
    (size,) = _U16.unpack_from(b, o)
    e = o + 2 + size
    if e + 25 > n:
        return None
    extra = b[o + 2 : e]
    clock, resets, restarts, safe, fw = _CLOCK_FW.unpack_from(b, e)
    if safe > 1:
        return None
    o = e + 25
    if typ != TPM_ST_ATTEST_QUOTE:
        return magic, typ, signer, extra, clock, resets, restarts, safe, fw, None, b[o:]
    if o + 4 > n:
        return None
    (count,) = _U32.unpack_from(b, o)
    s = o + 4
    for _ in range(min(count, 17)):
        if s + 3 > n:
            return None
        s += 3 + b[s + 2]
    if s + 2 > n:
        return None
    (size,) = _U16.unpack_from(b, s)
    if s + 2 + size != n:
        return None
    wire = b[o:s]
    sel = _SELECTIONS.get(wire)
    if sel is None:
        try:
            sel = _selection(wire)
        except ParseError:
            return None
    return magic, typ, signer, extra, clock, resets, restarts, safe, fw, sel, b[s + 2 :]


def cached_selection(wire: bytes) -> PcrSelection | None:
    """The parsed TPML_PCR_SELECTION ``wire`` (cached by its bytes), or None if it does not parse."""
    sel = _SELECTIONS.get(wire)
    if sel is None:
        try:
            sel = _selection(wire)
        except ParseError:
            return None
    return sel


def scan_quote(b: bytes, known_wire: bytes | None) -> tuple[int, bytes, bytes | None, bytes] | None:
    """``(magic, extraData, selection bytes, pcrDigest)`` of a well-formed TPM_ST_ATTEST_QUOTE, or
    None ("not a quote, or malformed: use :func:`scan_attest`").

    The verifier's fast path. The selection bytes are returned undecoded (decode them with
    :func:`cached_selection`), or as None when they are exactly ``known_wire``, bytes the caller knows
    to decode to its own selection: then they need no decoding at all. Whatever it accepts (with a
    decodable selection), :meth:`Attest.from_bytes` accepts with the same values (tested).
    """
    n = len(b)
    if n < 10:
        return None
    magic, typ, size = _HEAD.unpack_from(b, 0)
    if typ != TPM_ST_ATTEST_QUOTE:
        return None
    o = 8 + size
    if o + 2 > n:
        return None
    (size,) = _U16.unpack_from(b, o)
    e = o + 2 + size
    # clockInfo (8 + 4 + 4 + 1) and firmwareVersion (8) follow extraData; safe is TPMI_YES_NO
    if e + 25 > n or b[e + 16] > 1:
        return None
    start = e + 25
    wire: bytes | None
    if known_wire is not None and b.startswith(known_wire, start):
        s = start + len(known_wire)
        wire = None
    else:
        if start + 4 > n:
            return None
        (count,) = _U32.unpack_from(b, start)
        s = start + 4
        for _ in range(min(count, 17)):
            if s + 3 > n:
                return None
            s += 3 + b[s + 2]
        wire = b[start:s]
    if s + 2 > n:
        return None
    (size,) = _U16.unpack_from(b, s)
    if s + 2 + size != n:
        return None
    return magic, b[o + 2 : e], wire, b[s + 2 :]
