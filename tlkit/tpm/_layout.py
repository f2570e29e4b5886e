"""Byte layouts: which wire field of a TPM structure occupies which bytes.

The decoders record a :class:`FieldSpan` for every field they consume while parsing (see
:meth:`tlkit.tpm.Attest.layout` and :meth:`tlkit.tpm.Signature.layout`), so the layout comes from the
same code that reads the structure and cannot drift from it. Spans tile the input: contiguous, in
wire order, no gaps or overlaps.

Like every parse result, a layout describes what the bytes *claim*; nothing is verified.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar, overload

from tlkit._binary import Reader
from tlkit.errors import DataError
from tlkit.tpm._alg import HashAlg

__all__ = ["ByteLayout", "FieldSpan", "SpanRecorder"]

#: Python types a span's decoded value takes.
SpanValue = int | bool | bytes | HashAlg | tuple[int, ...]

_V = TypeVar("_V", int, bool, bytes, HashAlg, tuple[int, ...])

LAYOUT_COLUMNS = ("offset", "size", "field", "spec_name", "bytes", "value")


@dataclass(frozen=True, slots=True)
class FieldSpan:
    """One wire field.

    Attributes:
        offset: first byte of the field within the parsed input.
        size: number of bytes (0 for an empty TPM2B buffer).
        field: the field's path in the structure, spec spelling, e.g. ``"clockInfo.clock"``,
            ``"extraData.size"``, ``"pcrSelect[0].hash"``.
        spec_name: the TPM 2.0 Part 2 type of the field, e.g. ``"UINT64"``, ``"TPMI_ST_ATTEST"``,
            ``"TPM2B_DATA.buffer"``.
        value: the decoded value: ``int`` for integers and tags, ``bool`` for TPMI_YES_NO,
            ``bytes`` for buffers, :class:`HashAlg` for a hash algorithm, a tuple of PCR indices for
            a pcrSelect bit map.
    """

    offset: int
    size: int
    field: str
    spec_name: str
    value: SpanValue

    @property
    def end(self) -> int:
        """Offset just past the field."""
        return self.offset + self.size


@dataclass(frozen=True, slots=True)
class ByteLayout:
    """The spans of one parsed structure, in wire order; iterate it like a tuple of :class:`FieldSpan`.

    Attributes:
        structure: the TPM type laid out, e.g. ``"TPMS_ATTEST"``.
        data: the bytes the spans refer to.
        spans: the fields in wire order.
    """

    structure: str
    data: bytes
    spans: tuple[FieldSpan, ...]

    def __iter__(self) -> Iterator[FieldSpan]:
        return iter(self.spans)

    def __len__(self) -> int:
        return len(self.spans)

    @overload
    def __getitem__(self, key: int) -> FieldSpan: ...
    @overload
    def __getitem__(self, key: str) -> FieldSpan: ...
    def __getitem__(self, key: int | str) -> FieldSpan:
        """A span by position, or by ``field`` name (:class:`DataError` if there is no such field)."""
        if isinstance(key, int):
            return self.spans[key]
        for span in self.spans:
            if span.field == key:
                return span
        raise DataError(f"{self.structure} has no field {key!r}", field=key)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(s.field for s in self.spans)

    def raw(self, span: FieldSpan) -> bytes:
        """The bytes of one span."""
        return self.data[span.offset : span.end]

    def to_rows(self) -> list[dict[str, object]]:
        """One record per field: ``offset, size, field, spec_name, bytes`` (hex) and ``value``.

        Buffer values are given as hex and hash algorithms by name (``tlkit.viz.table`` makes a
        DataFrame of it).
        """
        return [
            dict(
                zip(
                    LAYOUT_COLUMNS,
                    (s.offset, s.size, s.field, s.spec_name, self.raw(s).hex(), _plain(s.value)),
                    strict=True,
                )
            )
            for s in self.spans
        ]


def _plain(value: SpanValue) -> object:
    if isinstance(value, HashAlg):
        return value.name
    if isinstance(value, bytes):
        return value.hex()
    return value


class SpanRecorder:
    """Collects the spans a decoder consumes from a :class:`Reader`.

    Each call records the bytes read since the previous call (so spans are contiguous by
    construction) and returns the value unchanged. ``None`` is used instead of a recorder when no
    layout is wanted.
    """

    __slots__ = ("_r", "_start", "spans")

    def __init__(self, r: Reader) -> None:
        self._r = r
        self._start = r.offset
        self.spans: list[FieldSpan] = []

    def add(self, field: str, spec_name: str, value: _V) -> _V:
        """Record the bytes since the last call as one field."""
        end = self._r.offset
        self.spans.append(FieldSpan(self._start, end - self._start, field, spec_name, value))
        self._start = end
        return value

    def sized(self, field: str, spec_name: str, value: bytes, member: str = "buffer") -> bytes:
        """Record a TPM2B just read with ``Reader.sized_u16``: ``<field>.size`` then ``<field>.<member>``.

        ``member`` is the spec's name of the byte array (``buffer``; ``name`` for TPM2B_NAME, Part 2,
        10.5.3), used for both the field path and the spec name (``qualifiedSigner.name``,
        ``TPM2B_NAME.name``).
        """
        start, end = self._start, self._r.offset
        self.spans.append(FieldSpan(start, 2, f"{field}.size", "UINT16", len(value)))
        self.spans.append(
            FieldSpan(start + 2, len(value), f"{field}.{member}", f"{spec_name}.{member}", value)
        )
        self._start = end
        return value

    def layout(self, structure: str, data: bytes) -> ByteLayout:
        return ByteLayout(structure, data, tuple(self.spans))
