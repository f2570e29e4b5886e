"""tpm2-tools PCR file formats."""

from __future__ import annotations

import struct

import pytest

from tlkit.errors import DataError, ParseError
from tlkit.tpm import (
    PcrSelection,
    PcrValues,
    is_serialized_pcrs,
    read_pcrs,
    write_pcrs_raw,
    write_pcrs_serialized,
)


def _values(spec: dict[str, list[int]]) -> PcrValues:
    sel = PcrSelection.of(spec)
    vals = tuple(bytes([i % 251]) * alg.digest_size for i, (alg, p) in enumerate(
        (a, p) for a, ps in sel.items() for p in ps))  # fmt: skip
    return PcrValues(sel, vals)


def test_serialized_layout() -> None:
    v = _values({"sha256": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "sha1": [0]})
    data = write_pcrs_serialized(v)
    assert len(data) == 132 + 4 + 2 * 532  # 11 values -> two TPML_DIGESTs of up to 8
    assert struct.unpack_from("<I", data, 0) == (2,)
    assert data[4:12] == bytes.fromhex("0b0003ff03000000")
    assert data[12:20] == bytes.fromhex("0400030100000000")
    assert struct.unpack_from("<II", data, 132) == (2, 8)
    assert struct.unpack_from("<I", data, 136 + 532) == (3,)
    assert is_serialized_pcrs(data)
    assert read_pcrs(data) == v


def test_raw_values() -> None:
    v = _values({"sha256": [0, 7], "sha1": [7]})
    raw = write_pcrs_raw(v)
    assert raw == b"".join(v.values)
    assert len(raw) == 84
    assert not is_serialized_pcrs(raw)
    assert read_pcrs(raw, v.selection) == v
    with pytest.raises(ParseError, match="raw values need a selection"):
        read_pcrs(raw)
    with pytest.raises(ParseError) as e:
        read_pcrs(raw[:-1], v.selection)
    assert e.value.offset == 83


def test_serialized_selection_must_agree() -> None:
    v = _values({"sha256": [0]})
    data = write_pcrs_serialized(v)
    assert read_pcrs(data, v.selection) == v
    with pytest.raises(DataError):
        read_pcrs(data, PcrSelection.of({"sha256": [1]}))


def test_serialized_corruptions() -> None:
    data = bytearray(write_pcrs_serialized(_values({"sha256": [0, 1]})))
    bad = bytearray(data)
    bad[4:6] = b"\x99\x00"  # unknown bank hash
    with pytest.raises(ParseError):
        read_pcrs(bytes(bad))
    bad = bytearray(data)
    struct.pack_into("<H", bad, 136 + 4, 20)  # sha256 PCR with a 20-byte digest
    with pytest.raises(ParseError):
        read_pcrs(bytes(bad))
    bad = bytearray(data)
    struct.pack_into("<I", bad, 136, 9)  # TPML_DIGEST.count > 8
    with pytest.raises(ParseError) as e:
        read_pcrs(bytes(bad))
    assert e.value.offset == 136
