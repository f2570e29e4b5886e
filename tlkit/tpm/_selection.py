"""TPML_PCR_SELECTION (TPM 2.0 Part 2, 10.9.7) and TPMS_PCR_SELECTION (Part 2, 10.6.2).

A selection names, per hash bank, which PCRs are read or quoted. On the wire each bank is
``hash (u16) || sizeofSelect (u8) || pcrSelect[sizeofSelect]`` where bit ``i % 8`` of byte
``i // 8`` selects PCR ``i`` (Part 2, 10.6.1 "TPMS_PCR_SELECT").
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any

from tlkit._binary import Reader, Writer
from tlkit.errors import DataError, ParseError, UnsupportedAlgorithmError
from tlkit.tpm._alg import HashAlg, hash_alg, read_hash_alg
from tlkit.tpm._layout import SpanRecorder

__all__ = ["MAX_SELECTION_BANKS", "PcrSelection", "parse_pcr_list"]

#: Upper bound on TPML_PCR_SELECTION.count accepted when parsing (tpm2-tss TPM2_NUM_PCR_BANKS).
MAX_SELECTION_BANKS = 16
#: Default sizeofSelect: 3 bytes = 24 PCRs (PC Client PTP, "PCR_SELECT_MIN").
DEFAULT_SIZE_OF_SELECT = 3
_MAX_SIZE_OF_SELECT = 255  # a UINT8
_U32 = struct.Struct(">I")
_BANK = struct.Struct(">HB")
_new_object = object.__new__


#: ``_PCRS_AT[i][v]``: the PCRs that byte value ``v`` at pcrSelect position ``i`` selects (bit ``b``
#: of byte ``i`` selects PCR ``8 * i + b``, Part 2, 10.6.1); a constant table for the first 4 bytes.
_PCRS_AT: tuple[tuple[tuple[int, ...], ...], ...] = tuple(
    tuple(tuple(8 * i + b for b in range(8) if v >> b & 1) for v in range(256)) for i in range(4)
)


def _mask_to_pcrs(mask: bytes) -> tuple[int, ...]:
    """PCR indices set in a pcrSelect bit map (Part 2, 10.6.1), ascending."""
    if len(mask) == DEFAULT_SIZE_OF_SELECT:  # the usual 24-PCR map: three table look-ups
        a, b, c = mask
        return _PCRS_AT[0][a] + _PCRS_AT[1][b] + _PCRS_AT[2][c]
    out: tuple[int, ...] = ()
    for i, byte in enumerate(mask):
        if byte:
            out += _PCRS_AT[i][byte] if i < 4 else tuple(8 * i + b for b in range(8) if byte >> b & 1)
    return out


def _pcrs_to_mask(pcrs: Iterable[int], size: int, bank: str) -> bytes:
    """The ``size``-byte pcrSelect bit map of ``pcrs`` (Part 2, 10.6.1); DataError if one does not fit."""
    mask = bytearray(size)
    for p in pcrs:
        if p // 8 >= size:
            raise DataError(f"PCR {p} does not fit sizeofSelect {size}", record=bank)
        mask[p // 8] |= 1 << (p % 8)
    return bytes(mask)


class UnknownPcrBankError(ParseError):
    """A TPML_PCR_SELECTION names a bank hash that is not a TPM hash algorithm tlkit knows.

    A :class:`ParseError` (and caught as one); :func:`tlkit.tpm.verify_quote` tells it apart to report
    ``unsupported-pcr-bank`` instead of ``not-a-quote``.
    """


def _check_bank(i: int, item: object) -> None:
    """One ``(HashAlg, (pcr, ...))`` entry: PCRs ascending, unique, each a PCR index 0..2039."""
    if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], HashAlg)):
        raise DataError(f"bank {i} is not a (HashAlg, PCRs) pair: {item!r:.80}", record=i, field="banks")
    alg, pcrs = item
    if not isinstance(pcrs, tuple) or not all(
        type(p) is int and 0 <= p < 8 * _MAX_SIZE_OF_SELECT for p in pcrs
    ):
        raise DataError(f"{alg.name} PCRs must be a tuple of indices 0..2039", record=alg.name, field="pcr")
    if any(a >= b for a, b in pairwise(pcrs)):
        raise DataError(f"{alg.name} PCRs must be ascending and unique: {pcrs}", record=alg.name, field="pcr")


def _bank(key: int | str | HashAlg) -> HashAlg:
    """:func:`hash_alg` for a bank named in user data: an unknown or mistyped bank is a DataError."""
    try:
        return hash_alg(key)
    except (UnsupportedAlgorithmError, TypeError) as e:
        raise DataError(str(e), field="bank") from None


#: Highest PCR index a ``--selection`` may name (TPMS_PCR_SELECT holds up to 255 bytes of bits).
_MAX_PCR = 8 * 255 - 1
#: What ``BANK:all`` selects: the 24 PCRs of a PC Client TPM (PC Client PTP, "PCR_SELECT_MIN").
_ALL_PCRS = range(24)


def _pcr_index(token: str, spec: str) -> int:
    if not (token.isascii() and token.isdecimal()) or int(token) > _MAX_PCR:
        raise DataError(
            f"bad PCR {token!r} in selection {spec!r}: a decimal index 0..{_MAX_PCR}, a range "
            "such as 0-7, or 'all'",
            field="selection",
        )
    return int(token)


def parse_pcr_list(text: str, spec: str | None = None) -> list[int]:
    """The PCRs of one bank's list: ``0,2,4-7`` / ``all`` (errors quote ``spec``, default ``text``)."""
    spec = text if spec is None else spec
    out: list[int] = []
    for raw in text.split(","):
        token = raw.strip()
        if token.lower() == "all":
            out.extend(_ALL_PCRS)
            continue
        low, dash, high = token.partition("-")
        first = _pcr_index(low.strip(), spec)
        last = _pcr_index(high.strip(), spec) if dash else first
        if last < first:
            raise DataError(
                f"bad PCR range {token!r} in selection {spec!r}: {low} > {high}", field="selection"
            )
        out.extend(range(first, last + 1))
    return out


@dataclass(frozen=True)
class PcrSelection:
    """An ordered PCR selection: banks in wire order, each with its sorted PCR indices.

    Equality compares the banks and PCRs only; the wire ``sizeofSelect`` of each bank is kept
    (``size_of_select``) so that a parsed selection re-encodes byte for byte.
    """

    _items: tuple[tuple[HashAlg, tuple[int, ...]], ...]
    size_of_select: tuple[int, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        items = self._items
        if not isinstance(items, tuple) or len(items) > MAX_SELECTION_BANKS:
            raise DataError(f"a selection is a tuple of at most {MAX_SELECTION_BANKS} banks", field="banks")
        for i, item in enumerate(items):
            _check_bank(i, item)
        if not self.size_of_select:
            sizes = tuple(max(DEFAULT_SIZE_OF_SELECT, (max(p, default=-1) + 8) // 8) for _, p in items)
            object.__setattr__(self, "size_of_select", sizes)
        elif not isinstance(self.size_of_select, tuple) or len(self.size_of_select) != len(items):
            raise DataError("size_of_select needs one entry per bank", field="size_of_select")
        for (alg, pcrs), size in zip(items, self.size_of_select, strict=True):
            if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_SIZE_OF_SELECT:
                raise DataError(
                    f"sizeofSelect {size!r} is not 0..255", record=alg.name, field="size_of_select"
                )
            if pcrs and pcrs[-1] >= 8 * size:
                raise DataError(f"PCR {pcrs[-1]} does not fit sizeofSelect {size}", record=alg.name)

    @classmethod
    def _parsed(
        cls, items: tuple[tuple[HashAlg, tuple[int, ...]], ...], sizes: tuple[int, ...], wire: bytes
    ) -> PcrSelection:
        """A selection a decoder read (valid by construction), with its TPML_PCR_SELECTION bytes."""
        obj = _new_object(cls)
        fields = obj.__dict__
        fields["_items"] = items
        fields["size_of_select"] = sizes
        fields["wire"] = wire
        return obj

    @cached_property
    def wire(self) -> bytes:
        """The TPML_PCR_SELECTION wire bytes (Part 2, 10.9.7), computed once per selection."""
        return b"".join(
            [_U32.pack(len(self._items))]
            + [
                _BANK.pack(alg.alg_id, size) + _pcrs_to_mask(pcrs, size, alg.name)
                for (alg, pcrs), size in zip(self._items, self.size_of_select, strict=True)
            ]
        )

    @classmethod
    def of(
        cls,
        banks: Mapping[Any, Iterable[int]] | Iterable[tuple[Any, Iterable[int]]],
    ) -> PcrSelection:
        """Build a selection, e.g. ``PcrSelection.of({"sha256": [0, 1, 7], "sha1": range(24)})``.

        Banks keep the given order; PCR indices are sorted and de-duplicated.
        """
        pairs = banks.items() if isinstance(banks, Mapping) else banks
        items: list[tuple[HashAlg, tuple[int, ...]]] = []
        for key, pcrs in pairs:
            alg = _bank(key)
            try:
                given = list(pcrs)
            except TypeError:
                raise DataError(f"{alg.name} PCRs must be a list", record=alg.name, field="pcr") from None
            for p in given:
                if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p < 8 * 255:
                    raise DataError(
                        f"PCR index {p!r} is not an integer in 0..2039", record=alg.name, field="pcr"
                    )
            items.append((alg, tuple(sorted(set(given)))))
        return cls(tuple(items))

    @classmethod
    def parse_spec(cls, spec: str) -> PcrSelection:
        """Parse the tpm2-tools text form, e.g. ``"sha256:0,1,2+sha1:all"`` or ``"sha256:0-7,14"``
        (banks split by ``+``/``;``; PCRS as :func:`parse_pcr_list` reads them).

        PCR indices are plain decimal numbers (``"1_0"``, ``"0x10"`` are refused).

        Raises:
            DataError: not ``BANK:PCRS``, an unknown bank, a non-decimal or out-of-range index.
        """
        items: list[tuple[str, list[int]]] = []
        for chunk in spec.replace("+", ";").split(";"):
            part = chunk.strip()
            if not part:
                continue
            name, sep, pcrs = part.partition(":")
            if not sep:
                raise DataError(f"selection {part!r} is not BANK:PCRS", field="selection")
            idx = parse_pcr_list(pcrs, spec)
            items.append((name.strip(), idx))
        if not items:
            raise DataError("empty PCR selection", field="selection")
        return cls.of(items)

    @property
    def banks(self) -> tuple[HashAlg, ...]:
        return tuple(a for a, _ in self._items)

    def items(self) -> tuple[tuple[HashAlg, tuple[int, ...]], ...]:
        """``((HashAlg, (pcr, ...)), ...)`` in wire order."""
        return self._items

    def pcrs(self, bank: int | str | HashAlg) -> tuple[int, ...]:
        """The PCR indices selected in one bank (empty if the bank is not selected)."""
        alg = _bank(bank)
        out: tuple[int, ...] = ()
        for a, p in self._items:
            if a == alg:
                out += p
        return out

    def __len__(self) -> int:
        return sum(len(p) for _, p in self._items)

    def __str__(self) -> str:
        return "+".join(f"{a.name}:{','.join(map(str, p))}" for a, p in self._items)

    def write(self, w: Writer) -> None:
        """Marshal as TPML_PCR_SELECTION into ``w`` (Part 2, 10.9.7)."""
        w.u32(len(self._items))
        for (alg, pcrs), size in zip(self._items, self.size_of_select, strict=True):
            w.u16(alg.alg_id).u8(size).raw(_pcrs_to_mask(pcrs, size, alg.name))

    def to_bytes(self) -> bytes:
        """TPML_PCR_SELECTION wire bytes."""
        return self.wire

    @classmethod
    def read(cls, r: Reader, rec: SpanRecorder | None = None, *, field: str = "pcrSelect") -> PcrSelection:
        """Unmarshal a TPML_PCR_SELECTION at the reader's cursor (for nested structures).

        With ``rec`` every wire field is recorded as ``<field>.count`` and
        ``<field>[i].hash / .sizeofSelect / .pcrSelect`` (see :meth:`tlkit.tpm.Attest.layout`).
        """
        start = r.offset
        count = r.u32("TPML_PCR_SELECTION.count")
        if count > MAX_SELECTION_BANKS:
            raise ParseError(
                f"TPML_PCR_SELECTION.count {count} exceeds {MAX_SELECTION_BANKS}", offset=start, what=r.what
            )
        if rec is not None:
            rec.add(f"{field}.count", "UINT32", count)
        items: list[tuple[HashAlg, tuple[int, ...]]] = []
        sizes: list[int] = []
        for i in range(count):
            alg = read_hash_alg(r, "TPMS_PCR_SELECTION.hash", "PCR bank hash", UnknownPcrBankError)
            if rec is not None:
                rec.add(f"{field}[{i}].hash", "TPMI_ALG_HASH", alg)
            size = r.u8("TPMS_PCR_SELECTION.sizeofSelect")
            if rec is not None:
                rec.add(f"{field}[{i}].sizeofSelect", "UINT8", size)
            pcrs = _mask_to_pcrs(r.take(size, "TPMS_PCR_SELECTION.pcrSelect"))
            if rec is not None:
                rec.add(f"{field}[{i}].pcrSelect", "BYTE[sizeofSelect]", pcrs)
            items.append((alg, pcrs))
            sizes.append(size)
        return cls(tuple(items), tuple(sizes))

    @classmethod
    def from_bytes(cls, data: bytes) -> PcrSelection:
        """Parse a complete TPML_PCR_SELECTION (unverified data)."""
        r = Reader(bytes(data), what="TPML_PCR_SELECTION")
        sel = cls.read(r)
        r.expect_end()
        return sel


def as_selection(sel: PcrSelection | Mapping[Any, Iterable[int]] | str) -> PcrSelection:
    """Accept a :class:`PcrSelection`, a ``{bank: pcrs}`` mapping or a tpm2-tools spec string."""
    if isinstance(sel, PcrSelection):
        return sel
    if isinstance(sel, str):
        return PcrSelection.parse_spec(sel)
    if isinstance(sel, Mapping):
        return PcrSelection.of(sel)
    raise TypeError(f"expected a PcrSelection, mapping or string, not {type(sel).__name__}")
