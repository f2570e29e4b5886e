"""Reading and writing TCG PC Client firmware logs (PC Client PFP 1.06, section 10.2).

Two formats exist:

* SHA1 format: a sequence of ``TCG_PCClientPCREvent`` (PFP 10.2.1: pcrIndex, eventType, a SHA-1
  digest, eventDataSize, event). Used by Windows and older Linux/GCE logs.
* Crypto-agile format: a first ``TCG_PCClientPCREvent`` carrying the ``TCG_EfiSpecIDEventStruct``
  ("Spec ID Event03", PFP 10.4.5.1), then ``TCG_PCR_EVENT2`` records (PFP 10.2.2) whose
  ``TPML_DIGEST_VALUES`` sizes come from the Spec ID algorithm list.

The format is detected from the first event. Parsing checks every claimed size against the bytes
left before reading (or allocating) anything, and raises only :class:`tlkit.errors.ParseError`.
"""

from __future__ import annotations

import struct

from tlkit.errors import DataError, ParseError
from tlkit.eventlog._event import MAX_PCR, NO_PCR, Record
from tlkit.eventlog._logdata import FORMATS, LogFormat
from tlkit.eventlog._model import EventLog
from tlkit.eventlog._payloads import SpecIdAlgorithm, SpecIdEvent, parse_spec_id

__all__ = ["parse", "write"]

_SHA1_EVENT = struct.Struct("<II20sI")  # TCG_PCClientPCREvent header (PFP 10.2.1)
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")
_II = struct.Struct("<II")
_MAX_PCR = MAX_PCR  # PC Client PCRs are 0..23; anything past 31 is not a firmware log...
_NO_PCR = NO_PCR  # ...except -1, used by Windows for records that extend nothing (EV_NO_ACTION)
# Unused space after the last event of a log area (all 0x00 or all 0xff) is kept as a trailer.
_PAD_HEADERS = frozenset({(0, 0), (_NO_PCR, 0xFFFFFFFF)})


def _err(msg: str, offset: int, index: int, what: str = "event log") -> ParseError:
    return ParseError(msg, offset=offset, index=index, what=what)


def parse(data: bytes | bytearray | memoryview) -> EventLog:
    """Parse a binary TCG firmware event log (either format, detected). The result is UNVERIFIED.

    The returned :class:`EventLog` is what the log *claims*. Nothing in it is trustworthy until
    its replay has been compared with PCR values from a verified quote (:meth:`EventLog.verify`).
    Payloads are decoded lazily; an undecodable payload is kept as raw bytes with
    :attr:`Event.payload_error` set.

    Strictness: every record must fit in the size it declares. In particular the Spec ID event's
    ``vendorInfo`` must lie inside its ``eventSize`` (PFP 1.06, 10.4.5.1): tpm2-tools'
    ``test/integration/fixtures/specid-vendordata.bin`` — a *positive* fixture upstream, which
    ``tpm2_eventlog`` accepts — declares ``eventSize`` 37 while its ``vendorInfoSize`` 4 makes the
    structure 41 bytes, and is rejected here on purpose (ParseError at offset 69): a parser that
    reads past a declared size would also accept a header that swallows the next record.

    Raises:
        ParseError: empty input, a record cut short or claiming more bytes than remain (including
            a Spec ID event whose vendor data overruns its declared size), an algorithm not
            announced by the Spec ID event, or a PCR index above 31 (other than 0xffffffff). The
            error carries the byte ``offset`` and event ``index``.
        TypeError: ``data`` is not ``bytes``, ``bytearray`` or ``memoryview`` (e.g. a ``str`` or a
            path: read the file first).
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"parse() needs bytes, not {type(data).__name__}")
    n = len(data)
    if n == 0:
        raise _err("empty event log", 0, 0)
    if n < _SHA1_EVENT.size:
        raise _err(f"first event header needs {_SHA1_EVENT.size} bytes, the input has {n}", 0, 0)
    pcr, typ, dig, size = _SHA1_EVENT.unpack_from(data, 0)
    if pcr > _MAX_PCR and pcr != _NO_PCR:
        raise _err(f"PCR index {pcr} out of range (not a firmware event log?)", 0, 0)
    if size > n - 32:
        raise _err(f"event data size {size} exceeds the {n - 32} bytes left", 28, 0)
    first = data[32 : 32 + size]
    if typ == 3 and first[:16] == b"Spec ID Event03\x00":
        try:
            spec = parse_spec_id(first, 32)
        except ParseError as e:
            raise _err(e.message, e.offset or 32, 0, e.what or "TCG_EfiSpecIDEventStruct") from None
        recs: list[Record] = [Record(0, pcr, typ, (0x0004, dig), first)]
        _, trailer = _scan_agile(data, 32 + size, spec.algorithms, recs)
        return EventLog(recs, format="crypto-agile", spec_id=spec, trailer=trailer)
    recs = []
    _, trailer = _scan_sha1(data, 0, recs)
    return EventLog(recs, format="sha1", spec_id=None, trailer=trailer)


def _padding(data: bytes, off: int) -> bool:
    """True when the rest of the input is all 0x00 or all 0xff (unused space of a log area)."""
    rest = data[off:]
    return bool(rest) and (rest.count(0) == len(rest) or rest.count(0xFF) == len(rest))


def _scan_sha1(data: bytes, off: int, recs: list[Record]) -> tuple[int, bytes]:
    n = len(data)
    unpack = _SHA1_EVENT.unpack_from
    append = recs.append
    idx = len(recs)
    while off < n:
        if n - off < 32:
            if _padding(data, off):
                return off, data[off:]
            raise _err(f"event header needs 32 bytes, {n - off} left", off, idx)
        pcr, typ, dig, size = unpack(data, off)
        if pcr > _MAX_PCR or (pcr == 0 and typ == 0):
            if (pcr, typ) in _PAD_HEADERS and _padding(data, off):
                return off, data[off:]
            if pcr > _MAX_PCR and pcr != _NO_PCR:
                if _padding(data, off):
                    return off, data[off:]
                raise _err(f"PCR index {pcr} out of range", off, idx)
        start = off + 32
        end = start + size
        if end > n:
            raise _err(f"event data size {size} exceeds the {n - start} bytes left", off + 28, idx)
        append(Record(off, pcr, typ, (0x0004, dig), data[start:end]))
        off = end
        idx += 1
    return off, b""


def _scan_agile(
    data: bytes, off: int, algs: tuple[SpecIdAlgorithm, ...], recs: list[Record]
) -> tuple[int, bytes]:
    n = len(data)
    sizes = {a.alg_id: a.digest_size for a in algs}
    nalg = len(algs)
    # Fast path: the usual record carries every bank, in Spec ID order.
    fast = struct.Struct("<III" + "".join(f"H{a.digest_size}s" for a in algs) + "I")
    fsize = fast.size
    order = tuple(a.alg_id for a in algs)
    funpack = fast.unpack_from
    append = recs.append
    a0 = order[0]
    single = nalg == 1
    algs_at = slice(3, 3 + 2 * nalg, 2)
    last = n - fsize
    while off < n:
        if off <= last:
            t = funpack(data, off)
            if t[2] == nalg and t[3] == a0 and t[0] < 32 and (single or t[algs_at] == order):
                start = off + fsize
                end = start + t[-1]
                if end > n:
                    msg = f"event data size {t[-1]} exceeds the {n - start} bytes left"
                    raise _err(msg, start - 4, len(recs))
                append(Record(off, t[0], t[1], t[3:-1], data[start:end]))
                off = end
                continue
        nxt = _slow_record(data, off, sizes, recs)
        if nxt is None:
            return off, data[off:]
        off = nxt
    return off, b""


def _slow_record(data: bytes, off: int, sizes: dict[int, int], recs: list[Record]) -> int | None:
    """TCG_PCR_EVENT2 field by field (PFP 10.2.2): appends the record and returns the next offset,
    or ``None`` when the rest of the input is padding."""
    n, idx = len(data), len(recs)
    if n - off < 12:
        if _padding(data, off):
            return None
        raise _err(f"TCG_PCR_EVENT2 header needs 12 bytes, {n - off} left", off, idx)
    pcr, typ = _II.unpack_from(data, off)
    if ((pcr, typ) in _PAD_HEADERS or (pcr > _MAX_PCR and pcr != _NO_PCR)) and _padding(data, off):
        return None
    if pcr > _MAX_PCR and pcr != _NO_PCR:
        raise _err(f"PCR index {pcr} out of range", off, idx)
    flat, p = _digest_values(data, off + 8, sizes, idx)
    if n - p < 4:
        raise _err(f"eventSize needs 4 bytes, {n - p} left", p, idx)
    esize: int = _U32.unpack_from(data, p)[0]
    p += 4
    if esize > n - p:
        raise _err(f"event data size {esize} exceeds the {n - p} bytes left", p - 4, idx)
    recs.append(Record(off, pcr, typ, flat, data[p : p + esize]))
    return p + esize


def _digest_values(data: bytes, p: int, sizes: dict[int, int], idx: int) -> tuple[tuple[object, ...], int]:
    """TPML_DIGEST_VALUES at ``p`` (count, then TPMT_HA each): the flat digests and the next offset."""
    n = len(data)
    count = _U32.unpack_from(data, p)[0]
    if count > len(sizes):
        raise _err(
            f"digest count {count} exceeds the {len(sizes)} algorithms of the Spec ID event",
            p,
            idx,
            "TPML_DIGEST_VALUES",
        )
    p += 4
    flat: list[object] = []
    for _ in range(count):
        if n - p < 2:
            raise _err("TPMT_HA.hashAlg cut short", p, idx, "TPML_DIGEST_VALUES")
        alg = _U16.unpack_from(data, p)[0]
        dsize = sizes.get(alg)
        if dsize is None:
            raise _err(f"algorithm 0x{alg:04x} is not in the Spec ID event", p, idx, "TPML_DIGEST_VALUES")
        p += 2
        if dsize > n - p:
            raise _err(f"digest needs {dsize} bytes, {n - p} left", p, idx, "TPML_DIGEST_VALUES")
        flat += (alg, data[p : p + dsize])
        p += dsize
    return tuple(flat), p


def write(log: EventLog, format: LogFormat | None = None) -> bytes:
    """Serialise a log in its own format (default) or convert it.

    ``parse(b)`` followed by ``write()`` gives back ``b`` byte for byte (trailing 0x00/0xff
    padding included). Converting to ``"sha1"`` keeps the SHA-1 digests and drops the Spec ID header;
    converting to ``"crypto-agile"`` from a SHA1-format log adds a header announcing SHA-1 only.

    Raises:
        DataError: unknown format, an event lacks the SHA-1 digest a SHA1-format log needs, or an
            event carries a digest the crypto-agile header does not announce (with that size).
    """
    fmt = format or log.format
    if fmt not in FORMATS:
        raise DataError(f"unknown event log format {fmt!r}; use one of {', '.join(FORMATS)}", field="format")
    parts = _write_sha1(log) if fmt == "sha1" else _write_agile(log)
    if fmt == log.format:
        parts.append(log.trailer)
    return b"".join(parts)


def _write_sha1(log: EventLog) -> list[bytes]:
    """TCG_PCClientPCREvent records (PFP 10.2.1) of every event but a crypto-agile header."""
    parts: list[bytes] = []
    pack1 = _SHA1_EVENT.pack
    recs = log.records
    for i in range(1 if log.format == "crypto-agile" else 0, len(recs)):
        r = recs[i]
        d = _sha1_digest(r.digests)
        if d is None:
            raise DataError(f"event {i} has no sha1 digest; cannot write a SHA1-format log", record=i)
        parts += (pack1(r.pcr, r.event_type, d, len(r.data)), r.data)
    return parts


def _sha1_digest(flat: tuple[object, ...]) -> bytes | None:
    for k in range(0, len(flat), 2):
        if flat[k] == 0x0004:
            d = flat[k + 1]
            return d if isinstance(d, bytes) else None
    return None


def _write_agile(log: EventLog) -> list[bytes]:
    """The Spec ID header (a SHA1-format record, PFP 10.4.5.1) then TCG_PCR_EVENT2 records (10.2.2)."""
    pack1 = _SHA1_EVENT.pack
    recs = log.records
    if log.format == "crypto-agile":
        h = recs[0]
        head = h.digests[1] if len(h.digests) > 1 else b"\x00" * 20
        parts = [pack1(h.pcr, h.event_type, head, len(h.data)), h.data]
        body, first = recs[1:], 1
        sizes = {a.alg_id: a.digest_size for a in log.algorithms}
    else:
        sdata = SpecIdEvent.for_algorithms((SpecIdAlgorithm(0x0004, "sha1", 20),)).to_bytes()
        parts = [pack1(0, 3, b"\x00" * 20, len(sdata)), sdata]
        body, first = recs, 0
        sizes = {4: 20}
    for i, r in enumerate(body, start=first):
        flat = r.digests
        parts.append(struct.pack("<III", r.pcr, r.event_type, len(flat) // 2))
        for k in range(0, len(flat), 2):
            if sizes.get(flat[k]) != len(flat[k + 1]):
                raise DataError(
                    f"event {i}: a {len(flat[k + 1])}-byte digest for algorithm 0x{flat[k]:04x} does not fit "
                    "the header's algorithm list",
                    record=i,
                )
            parts += (_U16.pack(flat[k]), flat[k + 1])
        parts += (_U32.pack(len(r.data)), r.data)
    return parts
