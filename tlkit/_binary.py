"""Bounds-checked readers and writers for binary structures (private).

TPM 2.0 structures are big-endian (TPM 2.0 Part 1, "Canonicalization"); the tpm2-tools serialized
PCR file is a little-endian C struct dump. :mod:`tlkit.tpm` decodes both with :class:`Reader`, which
never raises anything but :class:`tlkit.errors.ParseError` and never allocates memory for a claimed
size before checking that many bytes remain. (:mod:`tlkit.eventlog` scans its little-endian records
with ``struct`` directly, for speed, under the same two rules.)
"""

from __future__ import annotations

import struct
from typing import Literal

from tlkit.errors import DataError, ParseError

Endian = Literal["big", "little"]

_U8 = {"big": struct.Struct(">B"), "little": struct.Struct("<B")}
_U16 = {"big": struct.Struct(">H"), "little": struct.Struct("<H")}
_U32 = {"big": struct.Struct(">I"), "little": struct.Struct("<I")}
_U64 = {"big": struct.Struct(">Q"), "little": struct.Struct("<Q")}


class Reader:
    """A cursor over ``data`` that reports absolute offsets in its errors.

    Args:
        data: the bytes to read.
        endian: ``"big"`` for TPM structures, ``"little"`` for TCG event logs.
        base: offset of ``data[0]`` within the caller's whole input (for error messages).
        what: name of the structure being read (for error messages).
    """

    __slots__ = ("_data", "_end", "base", "endian", "pos", "what")

    def __init__(self, data: bytes, *, endian: Endian = "big", base: int = 0, what: str = "input") -> None:
        self._data = data
        self._end = len(data)
        self.pos = 0
        self.base = base
        self.endian: Endian = endian
        self.what = what

    @property
    def offset(self) -> int:
        """Absolute offset of the cursor."""
        return self.base + self.pos

    @property
    def remaining(self) -> int:
        return self._end - self.pos

    def _need(self, n: int, field: str) -> None:
        if n < 0 or n > self._end - self.pos:
            raise ParseError(
                f"{field}: need {n} bytes, {self._end - self.pos} left",
                offset=self.offset,
                what=self.what,
            )

    def u8(self, field: str = "u8") -> int:
        self._need(1, field)
        v = self._data[self.pos]
        self.pos += 1
        return v

    def u16(self, field: str = "u16") -> int:
        self._need(2, field)
        (v,) = _U16[self.endian].unpack_from(self._data, self.pos)
        self.pos += 2
        return int(v)

    def u32(self, field: str = "u32") -> int:
        self._need(4, field)
        (v,) = _U32[self.endian].unpack_from(self._data, self.pos)
        self.pos += 4
        return int(v)

    def u64(self, field: str = "u64") -> int:
        self._need(8, field)
        (v,) = _U64[self.endian].unpack_from(self._data, self.pos)
        self.pos += 8
        return int(v)

    def take(self, n: int, field: str = "bytes") -> bytes:
        self._need(n, field)
        v = self._data[self.pos : self.pos + n]
        self.pos += n
        return v

    def sized_u16(self, field: str = "TPM2B") -> bytes:
        """A TPM2B: a 16-bit size followed by that many bytes."""
        start = self.offset
        n = self.u16(f"{field}.size")
        if n > self.remaining:
            raise ParseError(
                f"{field}: size {n} exceeds the {self.remaining} bytes left",
                offset=start,
                what=self.what,
            )
        return self.take(n, field)

    def expect_end(self, field: str = "trailing data") -> None:
        if self.pos != self._end:
            raise ParseError(
                f"{field}: {self._end - self.pos} unexpected bytes after the structure",
                offset=self.offset,
                what=self.what,
            )


class Writer:
    """Accumulates a binary structure; the mirror of :class:`Reader`."""

    __slots__ = ("_parts", "endian")

    def __init__(self, *, endian: Endian = "big") -> None:
        self._parts: list[bytes] = []
        self.endian: Endian = endian

    def _pack(self, fmt: dict[str, struct.Struct], v: int, bits: int) -> Writer:
        try:
            self._parts.append(fmt[self.endian].pack(v))
        except struct.error:
            raise DataError(f"{v!r} does not fit an unsigned {bits}-bit field", field=f"u{bits}") from None
        return self

    def u8(self, v: int) -> Writer:
        """Write an unsigned byte. Raises DataError (as every writer method) when ``v`` does not fit."""
        return self._pack(_U8, v, 8)

    def u16(self, v: int) -> Writer:
        return self._pack(_U16, v, 16)

    def u32(self, v: int) -> Writer:
        return self._pack(_U32, v, 32)

    def u64(self, v: int) -> Writer:
        return self._pack(_U64, v, 64)

    def raw(self, b: bytes) -> Writer:
        self._parts.append(bytes(b))
        return self

    def sized_u16(self, b: bytes) -> Writer:
        """Write a TPM2B (16-bit size, then the bytes); DataError when ``b`` exceeds 65535 bytes."""
        if len(b) > 0xFFFF:
            raise DataError(f"TPM2B payload of {len(b)} bytes does not fit a 16-bit size", field="size")
        return self.u16(len(b)).raw(b)

    def getvalue(self) -> bytes:
        return b"".join(self._parts)
