"""TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12) and the quote body TPMS_QUOTE_INFO (Part 2, 10.12.4).

``Attest.from_bytes`` parses: the result is *unverified* until :func:`tlkit.tpm.verify_quote` has
checked the signature over the same bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from tlkit._binary import Reader, Writer
from tlkit.errors import DataError, ParseError
from tlkit.tpm._alg import HASH_ALGS, HashAlg
from tlkit.tpm._check import check_buffer, check_uint
from tlkit.tpm._layout import ByteLayout, SpanRecorder
from tlkit.tpm._selection import MAX_SELECTION_BANKS, PcrSelection, _mask_to_pcrs

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

    def __post_init__(self) -> None:
        check_uint(self.clock, 64, "TPMS_CLOCK_INFO", "clock")
        check_uint(self.reset_count, 32, "TPMS_CLOCK_INFO", "reset_count")
        check_uint(self.restart_count, 32, "TPMS_CLOCK_INFO", "restart_count")
        if not isinstance(self.safe, bool):
            raise DataError(f"TPMS_CLOCK_INFO.safe must be a bool, got {self.safe!r:.20}", field="safe")

    def write(self, w: Writer) -> None:
        w.u64(self.clock).u32(self.reset_count).u32(self.restart_count).u8(1 if self.safe else 0)


@dataclass(frozen=True, slots=True)
class QuoteInfo:
    """TPMS_QUOTE_INFO (Part 2, 10.12.4): the quoted selection and the digest of those PCRs."""

    pcr_select: PcrSelection
    pcr_digest: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.pcr_select, PcrSelection):
            raise DataError("TPMS_QUOTE_INFO.pcrSelect must be a PcrSelection", field="pcr_select")
        check_buffer(self.pcr_digest, "TPMS_QUOTE_INFO", "pcr_digest")


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

    def __post_init__(self) -> None:
        check_uint(self.magic, 32, "TPMS_ATTEST", "magic")
        check_uint(self.type, 16, "TPMS_ATTEST", "type")
        check_buffer(self.qualified_signer, "TPMS_ATTEST", "qualified_signer")
        check_buffer(self.extra_data, "TPMS_ATTEST", "extra_data")
        check_uint(self.firmware_version, 64, "TPMS_ATTEST", "firmware_version")
        if not isinstance(self.clock_info, ClockInfo):
            raise DataError("TPMS_ATTEST.clockInfo must be a ClockInfo", field="clock_info")
        if isinstance(self.attested, QuoteInfo) != (self.type == TPM_ST_ATTEST_QUOTE) or not isinstance(
            self.attested, (QuoteInfo, bytes)
        ):
            raise DataError(
                "TPMS_ATTEST.attested is a QuoteInfo exactly when type is TPM_ST_ATTEST_QUOTE, else bytes",
                field="attested",
            )

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
        return cls._decode(b)[0] if t is None else t.to_attest()

    @classmethod
    def layout(cls, data: bytes) -> ByteLayout:
        """Which bytes of a TPMS_ATTEST hold which field, recorded by the decoder itself.

        Fields (Part 2, 10.12.12): ``magic``, ``type``, ``qualifiedSigner.size/.name``,
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
    def _decode(cls, data: bytes) -> tuple[Attest, SpanRecorder]:
        """The careful decoder (Reader-based): exact ParseError offsets for any malformed input."""
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
_BANK = struct.Struct(">HB")
_COUNT_BANK = struct.Struct(">IHB")
_HASH_BY_ID = {a.alg_id: a for a in HASH_ALGS}

#: Where the fields before TPMU_ATTEST are, as :func:`scan_head` returns them: ``(magic, type, o,
#: e)``: qualifiedSigner is ``b[8:o]``, extraData ``b[o + 2:e]``, TPMS_CLOCK_INFO and
#: firmwareVersion start at ``e`` and TPMU_ATTEST at ``e + 25``.
ScannedHead = tuple[int, int, int, int]
#: PCR banks as :meth:`PcrSelection.items` gives them: ``((HashAlg, (pcr, ...)), ...)``.
ScannedBanks = tuple[tuple[HashAlg, tuple[int, ...]], ...]
#: A TPMS_QUOTE_INFO as :func:`scan_quote_info` returns it: ``(banks, sizeofSelects, pcrDigest)``.
ScannedQuoteInfo = tuple[ScannedBanks, tuple[int, ...], bytes]


class ScannedAttest(NamedTuple):
    """What :func:`scan_attest` returns: the TPMS_ATTEST fields (Part 2, 10.12.12) without objects.

    ``pcr_select`` is None for a TPM_ST_ATTEST type other than a quote; ``attested`` is then the
    raw TPMU_ATTEST bytes, and for a quote the TPMS_QUOTE_INFO ``pcrDigest``.
    """

    magic: int
    type: int
    qualified_signer: bytes
    extra_data: bytes
    clock: int
    reset_count: int
    restart_count: int
    safe: int
    firmware_version: int
    pcr_select: PcrSelection | None
    attested: bytes

    def to_attest(self) -> Attest:
        """The :class:`Attest` of these fields."""
        clock = ClockInfo(self.clock, self.reset_count, self.restart_count, self.safe == 1)
        sel = self.pcr_select
        return Attest(
            self.magic,
            self.type,
            self.qualified_signer,
            self.extra_data,
            clock,
            self.firmware_version,
            self.attested if sel is None else QuoteInfo(sel, self.attested),
        )


def scan_head(b: bytes) -> ScannedHead | None:
    """magic, type and the offsets of qualifiedSigner, extraData and TPMS_CLOCK_INFO (10.11.1).

    None when the bytes end before firmwareVersion does or ``clockInfo.safe`` is not a TPMI_YES_NO;
    nothing after is looked at.
    """
    n = len(b)
    if n < 10:
        return None
    magic, typ, size = _HEAD.unpack_from(b, 0)
    o = 8 + size
    if o + 2 > n:
        return None
    e = o + 2 + _U16.unpack_from(b, o)[0]
    if e + 25 > n or b[e + 16] > 1:
        return None
    return magic, typ, o, e


def _scan_banks(b: bytes, o: int) -> tuple[ScannedBanks, tuple[int, ...], int] | None:
    """A TPML_PCR_SELECTION (10.9.7) of TPMS_PCR_SELECTIONs (10.6.2) from offset ``o``: banks,
    sizeofSelects and the end offset; None if malformed or a bank hash is unknown."""
    n = len(b)
    if o + 4 > n:
        return None
    (count,) = _U32.unpack_from(b, o)
    if count > MAX_SELECTION_BANKS:
        return None
    s = o + 4
    items: list[tuple[HashAlg, tuple[int, ...]]] = []
    sizes: list[int] = []
    for _ in range(count):
        if s + 3 > n:
            return None
        alg_id, width = _BANK.unpack_from(b, s)
        alg = _HASH_BY_ID.get(alg_id)
        s += 3 + width
        if alg is None or s > n:
            return None
        items.append((alg, _mask_to_pcrs(b[s - width : s])))
        sizes.append(width)
    return tuple(items), tuple(sizes), s


def scan_quote_info(b: bytes, o: int) -> ScannedQuoteInfo | None:
    """TPMS_QUOTE_INFO (10.12.4) from offset ``o`` to the end: TPML_PCR_SELECTION (10.9.7) of
    TPMS_PCR_SELECTION (10.6.2), then pcrDigest, which must end exactly at the end of ``b``.

    None for anything else, including a bank hash tlkit does not know.
    """
    n = len(b)
    banks: ScannedBanks | None = None
    if o + 7 <= n:
        count, alg_id, width = _COUNT_BANK.unpack_from(b, o)
        alg = _HASH_BY_ID.get(alg_id)
        s = o + 7 + width
        if count == 1 and alg is not None and s <= n:  # the usual quote over one bank
            banks = ((alg, _mask_to_pcrs(b[o + 7 : s])),)
            sizes: tuple[int, ...] = (width,)
    if banks is None:
        scanned = _scan_banks(b, o)
        if scanned is None:
            return None
        banks, sizes, s = scanned
    if s + 2 > n or s + 2 + _U16.unpack_from(b, s)[0] != n:
        return None
    return banks, sizes, b[s + 2 :]


def scan_attest(b: bytes) -> ScannedAttest | None:
    """The one fast TPMS_ATTEST decoder (``struct``-based); None means "use the careful decoder".

    It accepts exactly the inputs the careful decoder (:meth:`Attest.layout`'s Reader-based one)
    accepts, with the same values (hypothesis-tested in ``tests/tpm/test_decoders_fuzz.py``), and
    returns None for everything else, so that the careful decoder reports the error with its
    offset. Its two halves, :func:`scan_head` and :func:`scan_quote_info`, are what
    :func:`tlkit.tpm.verify_quote` reads a message with; it keeps no state between calls.
    """
    head = scan_head(b)
    if head is None:
        return None
    n = len(b)
    magic, typ, o, e = head
    signer, extra = b[8:o], b[o + 2 : e]
    clock, resets, restarts, safe, fw = _CLOCK_FW.unpack_from(b, e)
    if typ != TPM_ST_ATTEST_QUOTE:
        return ScannedAttest(magic, typ, signer, extra, clock, resets, restarts, safe, fw, None, b[e + 25 :])
    info = scan_quote_info(b, e + 25)
    if info is None:
        return None
    sel = PcrSelection._parsed(info[0], info[1], b[e + 25 : n - len(info[2]) - 2])
    return ScannedAttest(magic, typ, signer, extra, clock, resets, restarts, safe, fw, sel, info[2])
