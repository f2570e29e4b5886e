"""tpm2-tools file formats for PCR values.

Two formats exist:

- *values* (``tpm2_pcrread -o``, ``tpm2_quote -F values``): the selected PCR digests
  concatenated in selection order, nothing else; reading it needs the selection.
- *serialized* (the default of ``tpm2_quote -o``; required by ``tpm2_checkquote -f``): a memory
  dump of tpm2-tss C structures with every integer little-endian (tpm2-tools ``lib/pcr.c``
  ``pcr_fwrite_serialized``): a TPML_PCR_SELECTION as the C struct ``{u32 count;
  TPMS_PCR_SELECTION[16]}`` where each entry is ``{u16 hash; u8 sizeofSelect; u8 pcrSelect[4];
  1 padding byte}`` (132 bytes), then ``u32 n`` and ``n`` TPML_DIGEST structs ``{u32 count;
  TPM2B_DIGEST[8]}`` where each digest is ``{u16 size; u8 buffer[64]}`` (532 bytes each). The
  digests of all lists, in order, are the values in selection order.

The quote message (TPMS_ATTEST) and signature (TPMT_SIGNATURE) files are plain TPM wire format:
see :class:`tlkit.tpm.Attest` and :class:`tlkit.tpm.Signature`.
"""

from __future__ import annotations

import struct
from typing import Any

from tlkit._binary import Reader, Writer
from tlkit.errors import DataError, ParseError, UnsupportedAlgorithmError
from tlkit.tpm._alg import HASH_ALGS, hash_alg
from tlkit.tpm._pcr import PcrValues
from tlkit.tpm._selection import PcrSelection, _mask_to_pcrs, _pcrs_to_mask

__all__ = ["is_serialized_pcrs", "read_pcrs", "write_pcrs_raw", "write_pcrs_serialized"]

_NUM_BANKS = 16  # TPM2_NUM_PCR_BANKS
_SELECT_MAX = 4  # TPM2_PCR_SELECT_MAX
_SEL_ENTRY = 8  # sizeof(TPMS_PCR_SELECTION) with padding
_SEL_SIZE = 4 + _NUM_BANKS * _SEL_ENTRY  # 132
_DIGESTS_PER_LIST = 8  # TPML_DIGEST.digests[8]
_HA_MAX = 64  # sizeof(TPMU_HA)
_LIST_SIZE = 4 + _DIGESTS_PER_LIST * (2 + _HA_MAX)  # 532
_MAX_LISTS = 32  # tpm2_pcrs.pcr_values[TPM2_MAX_PCRS]


def _serialized_shape_ok(data: bytes) -> bool:
    if len(data) < _SEL_SIZE + 4 or (len(data) - _SEL_SIZE - 4) % _LIST_SIZE:
        return False
    (count,) = struct.unpack_from("<I", data, 0)
    (lists,) = struct.unpack_from("<I", data, _SEL_SIZE)
    return bool(1 <= count <= _NUM_BANKS and lists == (len(data) - _SEL_SIZE - 4) // _LIST_SIZE)


def is_serialized_pcrs(data: bytes) -> bool:
    """Whether ``data`` has the shape of a tpm2-tools serialized PCR file (sizes and counts agree)."""
    return _serialized_shape_ok(bytes(data))


_SEL_ENTRY_LE = struct.Struct("<HB4sx")  # {u16 hash; u8 sizeofSelect; u8 pcrSelect[4]; padding}
_U16_LE = struct.Struct("<H")


_U32_LE = struct.Struct("<I")
#: The first ``k`` TPMS_PCR_SELECTION entries of the C struct, for every ``k`` (format table).
_SEL_ENTRIES = tuple(struct.Struct("<" + "HB4sx" * k) for k in range(_NUM_BANKS + 1))
#: ``k`` TPML_DIGESTs: each ``count`` then the eight TPM2B sizes, skipping the buffers.
_LIST_SIZES = tuple(
    struct.Struct("<" + ("I" + f"H{_HA_MAX}x" * _DIGESTS_PER_LIST) * k) for k in range(_MAX_LISTS + 1)
)
#: Offset of each digest buffer of list ``j`` (after the selection and the list count).
_BUFFER_AT = tuple(
    tuple(_SEL_SIZE + 4 + j * _LIST_SIZE + 4 + k * (2 + _HA_MAX) + 2 for k in range(_DIGESTS_PER_LIST))
    for j in range(_MAX_LISTS)
)
_BE_COUNT_BANK = struct.Struct(">IHB")
_BE_BANK = struct.Struct(">HB")
_HASH_BY_ID = {a.alg_id: a for a in HASH_ALGS}


def _scan_selection(entries: tuple[Any, ...]) -> PcrSelection | None:
    """The TPML_PCR_SELECTION of the unpacked selected entries (pcrSelect bytes are the same in
    both byte orders); None if a size or bank hash is out of range."""
    if len(entries) == 3:  # one bank, the usual file
        alg, size = _HASH_BY_ID.get(entries[0]), entries[1]
        if alg is None or size > _SELECT_MAX:
            return None
        mask = entries[2][:size]
        wire1 = _BE_COUNT_BANK.pack(1, alg.alg_id, size) + mask
        return PcrSelection._parsed(((alg, _mask_to_pcrs(mask)),), (size,), wire1)
    items = []
    sizes = []
    wire = [b"\0\0\0" + bytes((len(entries) // 3,))]
    for i in range(0, len(entries), 3):
        alg, size = _HASH_BY_ID.get(entries[i]), entries[i + 1]
        if alg is None or size > _SELECT_MAX:
            return None
        mask = entries[i + 2][:size]
        items.append((alg, _mask_to_pcrs(mask)))
        sizes.append(size)
        wire.append(_BE_BANK.pack(alg.alg_id, size) + mask)
    return PcrSelection._parsed(tuple(items), tuple(sizes), b"".join(wire))


def _scan_serialized(data: bytes) -> PcrValues | None:
    """The fast (``struct``) reader of a serialized file; None sends it to the careful reader,
    which accepts nothing this refuses (hypothesis-tested in ``tests/tpm/test_errors_fuzz.py``)."""
    n = len(data)
    if n < _SEL_SIZE + 4:
        return None
    (count,) = _U32_LE.unpack_from(data, 0)
    (lists,) = _U32_LE.unpack_from(data, _SEL_SIZE)
    if count > _NUM_BANKS or lists > _MAX_LISTS or n != _SEL_SIZE + 4 + lists * _LIST_SIZE:
        return None
    sel = _scan_selection(_SEL_ENTRIES[count].unpack_from(data, 4))
    if sel is None:
        return None
    counts = _LIST_SIZES[lists].unpack_from(data, _SEL_SIZE + 4)
    sizes: list[int] = []
    starts: list[int] = []
    for j in range(0, 9 * lists, 9):
        c = counts[j]
        if c > _DIGESTS_PER_LIST:
            return None
        sizes += counts[j + 1 : j + 1 + c]
        starts += _BUFFER_AT[j // 9][:c]
    expected: list[int] = []
    for alg, pcrs in sel.items():
        expected += [alg.digest_size] * len(pcrs)
    if sizes != expected:  # also refuses sizes over 64: no digest is longer
        return None
    return PcrValues._parsed(sel, tuple([data[a : a + size] for a, size in zip(starts, sizes, strict=True)]))


def _read_selection(r: Reader) -> PcrSelection:
    """The C struct TPML_PCR_SELECTION (entries past ``count`` are padding and not looked at)."""
    count = r.u32("TPML_PCR_SELECTION.count")
    items: list[tuple[int, tuple[int, ...]]] = []
    sizes: list[int] = []
    for i in range(_NUM_BANKS):
        at = r.offset
        alg_id, size, mask = _SEL_ENTRY_LE.unpack(r.take(_SEL_ENTRY, "TPMS_PCR_SELECTION"))
        if i >= count:
            continue
        if size > _SELECT_MAX:
            raise ParseError(f"sizeofSelect {size} exceeds {_SELECT_MAX}", offset=at + 2, what=r.what)
        items.append((alg_id, _mask_to_pcrs(mask[:size])))
        sizes.append(size)
    try:
        return PcrSelection(tuple((hash_alg(a), p) for a, p in items), tuple(sizes))
    except UnsupportedAlgorithmError as e:
        raise ParseError(f"unknown PCR bank hash: {e}", offset=4, what=r.what) from None


def _read_digests(r: Reader) -> list[bytes]:
    """``u32 n`` then ``n`` C struct TPML_DIGESTs: their digests in order."""
    at = r.offset
    lists = r.u32("pcrs.count")
    if lists > _MAX_LISTS:
        raise ParseError(f"{lists} digest lists exceed {_MAX_LISTS}", offset=at, what=r.what)
    digests: list[bytes] = []
    for _ in range(lists):
        at = r.offset
        n = r.u32("TPML_DIGEST.count")
        if n > _DIGESTS_PER_LIST:
            raise ParseError(f"TPML_DIGEST.count {n} exceeds {_DIGESTS_PER_LIST}", offset=at, what=r.what)
        at = r.offset
        block = r.take(_DIGESTS_PER_LIST * (2 + _HA_MAX), "TPML_DIGEST.digests")
        for k in range(n):
            (size,) = _U16_LE.unpack_from(block, k * (2 + _HA_MAX))
            if size > _HA_MAX:
                raise ParseError(
                    f"digest size {size} exceeds {_HA_MAX}", offset=at + k * (2 + _HA_MAX), what=r.what
                )
            start = k * (2 + _HA_MAX) + 2
            digests.append(block[start : start + size])
    return digests


def _read_serialized(data: bytes) -> PcrValues:
    """The careful (Reader-based) reader: a ParseError with the offset for anything malformed."""
    fast = _scan_serialized(data)
    if fast is not None:
        return fast
    r = Reader(data, endian="little", what="tpm2-tools serialized PCRs")
    sel = _read_selection(r)
    digests = _read_digests(r)
    r.expect_end()
    if len(digests) != len(sel):
        raise ParseError(
            f"{len(digests)} PCR values for a selection of {len(sel)}", offset=_SEL_SIZE, what=r.what
        )
    i = 0
    for alg, pcrs in sel.items():
        for p in pcrs:
            if len(digests[i]) != alg.digest_size:
                raise ParseError(
                    f"{alg.name} PCR {p}: digest of {len(digests[i])} bytes", offset=_SEL_SIZE, what=r.what
                )
            i += 1
    return PcrValues(sel, tuple(digests))


def read_pcrs(data: bytes, selection: PcrSelection | None = None) -> PcrValues:
    """Read a tpm2-tools PCR file, detecting the serialized format versus raw values.

    Args:
        data: the file contents.
        selection: the selection of a raw values file (ignored for a serialized file, which
            carries its own; if given, the two must agree).

    Raises:
        ParseError: malformed file, raw values whose length does not fit ``selection``, or
            (without ``selection``) anything that is not a serialized file.
        DataError: a serialized file whose selection disagrees with ``selection``.
    """
    data = data if type(data) is bytes else bytes(data)
    values = _scan_serialized(data)
    if values is not None or _serialized_shape_ok(data):
        if values is None:
            values = _read_serialized(data)
        if selection is not None and selection != values.selection:
            raise DataError(f"the file selects {values.selection}, not {selection}", field="selection")
        return values
    if selection is None:
        try:
            return _read_serialized(data)
        except ParseError as e:
            raise ParseError(
                f"{e.message} (not a tpm2-tools serialized PCR file; raw values need a selection)",
                offset=e.offset,
                what=e.what,
            ) from None
    expected = sum(alg.digest_size * len(pcrs) for alg, pcrs in selection.items())
    if len(data) != expected:
        raise ParseError(
            f"raw PCR values: {len(data)} bytes, selection {selection} needs {expected}",
            offset=min(len(data), expected),
            what="tpm2-tools PCR values",
        )
    out: list[bytes] = []
    pos = 0
    for alg, pcrs in selection.items():
        for _ in pcrs:
            out.append(data[pos : pos + alg.digest_size])
            pos += alg.digest_size
    return PcrValues(selection, tuple(out))


def write_pcrs_raw(values: PcrValues) -> bytes:
    """The *values* format: digests concatenated in selection order (``tpm2_pcrread -o``)."""
    return b"".join(values.values)


def write_pcrs_serialized(values: PcrValues) -> bytes:
    """The *serialized* format of ``tpm2_quote -o`` (little-endian C struct dump, see module doc).

    Digests are packed eight per TPML_DIGEST, in selection order, as a TPM returns them from
    successive TPM2_PCR_Read calls.
    """
    sel = values.selection
    if len(sel.items()) > _NUM_BANKS:
        raise DataError(f"more than {_NUM_BANKS} banks", field="selection")
    w = Writer(endian="little")
    w.u32(len(sel.items()))
    for (alg, pcrs), size in zip(sel.items(), sel.size_of_select, strict=True):
        if size > _SELECT_MAX:
            raise DataError(f"sizeofSelect {size} does not fit the tpm2-tools format", field="selection")
        mask = _pcrs_to_mask(pcrs, size, alg.name).ljust(_SELECT_MAX, b"\0")
        w.u16(alg.alg_id).u8(size).raw(mask).u8(0)
    w.raw(bytes(_SEL_ENTRY * (_NUM_BANKS - len(sel.items()))))
    chunks = [
        values.values[i : i + _DIGESTS_PER_LIST] for i in range(0, len(values.values), _DIGESTS_PER_LIST)
    ]
    if len(chunks) > _MAX_LISTS:
        raise DataError(f"more than {_MAX_LISTS * _DIGESTS_PER_LIST} PCR values", field="values")
    w.u32(len(chunks))
    for chunk in chunks:
        w.u32(len(chunk))
        for d in chunk:
            w.u16(len(d)).raw(d).raw(bytes(_HA_MAX - len(d)))
        w.raw(bytes((2 + _HA_MAX) * (_DIGESTS_PER_LIST - len(chunk))))
    return w.getvalue()
