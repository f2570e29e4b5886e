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
from tlkit.eventlog._model import FORMATS, EventLog, LogFormat, _Rec
from tlkit.eventlog._payloads import SpecIdAlgorithm, SpecIdEvent, parse_spec_id

__all__ = ["parse", "write"]

_SHA1_EVENT = struct.Struct("<II20sI")  # TCG_PCClientPCREvent header (PFP 10.2.1)
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")
_II = struct.Struct("<II")
_MAX_PCR = 31  # PC Client PCRs are 0..23; anything past 31 is not a firmware log...
_NO_PCR = 0xFFFFFFFF  # ...except -1, used by Windows for records that extend nothing (EV_NO_ACTION)
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
        recs: list[_Rec] = [(0, pcr, typ, (0x0004, dig), first)]
        _, trailer = _scan_agile(data, 32 + size, spec.algorithms, recs)
        return EventLog(recs, format="crypto-agile", spec_id=spec, trailer=trailer)
    recs = []
    _, trailer = _scan_sha1(data, 0, recs)
    return EventLog(recs, format="sha1", spec_id=None, trailer=trailer)


def _padding(data: bytes, off: int) -> bool:
    """True when the rest of the input is all 0x00 or all 0xff (unused space of a log area)."""
    rest = data[off:]
    return bool(rest) and (rest.count(0) == len(rest) or rest.count(0xFF) == len(rest))


def _scan_sha1(data: bytes, off: int, recs: list[_Rec]) -> tuple[int, bytes]:
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
        append((off, pcr, typ, (0x0004, dig), data[start:end]))
        off = end
        idx += 1
    return off, b""


def _scan_agile(
    data: bytes, off: int, algs: tuple[SpecIdAlgorithm, ...], recs: list[_Rec]
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
    a0 = order[0] if order else -1
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
                append((off, t[0], t[1], t[3:-1], data[start:end]))
                off = end
                continue
        idx = len(recs)
        # Slow path: TCG_PCR_EVENT2 field by field (PFP 10.2.2).
        if n - off < 12:
            if _padding(data, off):
                return off, data[off:]
            raise _err(f"TCG_PCR_EVENT2 header needs 12 bytes, {n - off} left", off, idx)
        pcr, typ = _II.unpack_from(data, off)
        if (pcr, typ) in _PAD_HEADERS and _padding(data, off):
            return off, data[off:]
        if pcr > _MAX_PCR and pcr != _NO_PCR:
            if _padding(data, off):
                return off, data[off:]
            raise _err(f"PCR index {pcr} out of range", off, idx)
        count = _U32.unpack_from(data, off + 8)[0]
        if count > nalg:
            raise _err(
                f"digest count {count} exceeds the {nalg} algorithms of the Spec ID event",
                off + 8,
                idx,
                "TPML_DIGEST_VALUES",
            )
        p = off + 12
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
        if n - p < 4:
            raise _err(f"eventSize needs 4 bytes, {n - p} left", p, idx)
        esize = _U32.unpack_from(data, p)[0]
        p += 4
        if esize > n - p:
            raise _err(f"event data size {esize} exceeds the {n - p} bytes left", p - 4, idx)
        append((off, pcr, typ, tuple(flat), data[p : p + esize]))
        off = p + esize
    return off, b""


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
    parts: list[bytes] = []
    pack1 = _SHA1_EVENT.pack
    recs = log._recs
    if fmt == "sha1":
        start = 1 if log.format == "crypto-agile" else 0
        for i in range(start, len(recs)):
            _, pcr, typ, flat, data = recs[i]
            d = None
            for k in range(0, len(flat), 2):
                if flat[k] == 0x0004:
                    d = flat[k + 1]
                    break
            if d is None:
                raise DataError(f"event {i} has no sha1 digest; cannot write a SHA1-format log", record=i)
            parts.append(pack1(pcr, typ, d, len(data)))
            parts.append(data)
    else:
        if log.format == "crypto-agile":
            _, pcr, typ, flat, data = recs[0]
            parts.append(pack1(pcr, typ, flat[1] if len(flat) > 1 else b"\x00" * 20, len(data)))
            parts.append(data)
            body = recs[1:]
        else:
            spec = SpecIdEvent.for_algorithms((SpecIdAlgorithm(0x0004, "sha1", 20),))
            sdata = spec.to_bytes()
            parts.append(pack1(0, 3, b"\x00" * 20, len(sdata)))
            parts.append(sdata)
            body = recs
        sizes = {a.alg_id: a.digest_size for a in log.algorithms} if log.format == "crypto-agile" else {4: 20}
        for i, (_, pcr, typ, flat, data) in enumerate(body):
            parts.append(struct.pack("<III", pcr, typ, len(flat) // 2))
            for k in range(0, len(flat), 2):
                if sizes.get(flat[k]) != len(flat[k + 1]):
                    raise DataError(
                        f"event {i + len(recs) - len(body)}: a {len(flat[k + 1])}-byte digest for algorithm "
                        f"0x{flat[k]:04x} does not fit the header's algorithm list",
                        record=i + len(recs) - len(body),
                    )
                parts.append(_U16.pack(flat[k]))
                parts.append(flat[k + 1])
            parts.append(_U32.pack(len(data)))
            parts.append(data)
    if fmt == log.format:
        parts.append(log.trailer)
    return b"".join(parts)
