"""PcrSelection, PcrBanks and PcrValues."""

from __future__ import annotations

import hashlib

import pytest

from tlkit.errors import DataError, ParseError, PolicyError
from tlkit.tpm import PcrBanks, PcrSelection, PcrValues, hash_alg


def test_selection_wire_bytes_exact() -> None:
    sel = PcrSelection.of({"sha256": [0, 1, 7], "sha1": range(24)})
    assert sel.to_bytes().hex() == "00000002" + "000b" + "03" + "830000" + "0004" + "03" + "ffffff"
    assert PcrSelection.from_bytes(sel.to_bytes()) == sel
    assert [a.name for a in sel.banks] == ["sha256", "sha1"]
    assert sel.items()[0] == (hash_alg("sha256"), (0, 1, 7))
    assert len(sel) == 27
    assert str(sel).startswith("sha256:0,1,7+sha1:0,1,2")


def test_selection_keeps_size_of_select() -> None:
    wire = bytes.fromhex("00000001000b04" + "01000080")  # sizeofSelect 4: PCR 0 and 31
    sel = PcrSelection.from_bytes(wire)
    assert sel.pcrs("sha256") == (0, 31)
    assert sel.size_of_select == (4,)
    assert sel.to_bytes() == wire
    assert sel == PcrSelection.of({"sha256": [0, 31]})  # equality ignores sizeofSelect


def test_selection_spec_and_errors() -> None:
    assert PcrSelection.parse_spec("sha256:0,1,2+sha1:all") == PcrSelection.of(
        {"sha256": [0, 1, 2], "sha1": range(24)}
    )
    with pytest.raises(DataError):
        PcrSelection.parse_spec("sha256")
    with pytest.raises(DataError):
        PcrSelection.parse_spec("md5:1")
    with pytest.raises(DataError):
        PcrSelection.of({"sha256": [-1]})
    with pytest.raises(ParseError) as e:
        PcrSelection.from_bytes(bytes.fromhex("00000001000103ffffff"))
    assert e.value.offset == 4
    with pytest.raises(ParseError):
        PcrSelection.from_bytes(bytes.fromhex("00000011"))


def test_initial_values_and_locality() -> None:
    banks = PcrBanks(("sha1", "sha256"), locality=3)
    assert banks.read(0, "sha256") == bytes(31) + b"\x03"
    assert banks.read(0, "sha1") == bytes(19) + b"\x03"
    assert banks.read_hex(17, "sha256") == "ff" * 32
    assert banks.read(22, "sha1") == b"\xff" * 20
    assert banks.read(16, "sha256") == bytes(32)
    assert banks.read(23, "sha256") == bytes(32)
    assert PcrBanks(("sha256",)).read(0, "sha256") == bytes(32)
    with pytest.raises(DataError):
        PcrBanks(locality=2)


def test_extend() -> None:
    banks = PcrBanks(("sha1", "sha256"))
    d = hashlib.sha256(b"measurement").digest()
    new = banks.extend(7, d, "sha256")
    assert new == hashlib.sha256(bytes(32) + d).digest()
    assert banks.read(7, "sha256") == new
    assert banks.read(7, "sha1") == bytes(20)
    out = banks.extend_data(4, b"event")
    assert out["sha1"] == hashlib.sha1(bytes(20) + hashlib.sha1(b"event").digest()).digest()
    assert out["sha256"] == hashlib.sha256(bytes(32) + hashlib.sha256(b"event").digest()).digest()
    with pytest.raises(DataError):
        banks.extend(7, bytes(20), "sha256")
    with pytest.raises(DataError):
        banks.extend(24, d, "sha256")
    with pytest.raises(DataError):
        banks.extend(0, bytes(48), "sha384")


def test_reset_copy_startup() -> None:
    banks = PcrBanks(("sha256",), locality=4)
    banks.extend_data(16, b"x")
    banks.extend_data(0, b"x")
    clone = banks.copy()
    banks.reset(16)
    assert banks.read(16, "sha256") == bytes(32)
    assert clone.read(16, "sha256") != bytes(32)
    banks.reset(17)
    assert banks.read(17, "sha256") == bytes(32)  # dynamic launch resets DRTM PCRs to zero
    with pytest.raises(PolicyError) as e:
        banks.reset(0)
    assert e.value.code == "pcr-not-resettable"
    banks.startup()
    assert banks.read(0, "sha256") == bytes(31) + b"\x04"
    assert banks.read(17, "sha256") == b"\xff" * 32


def test_values_and_digest() -> None:
    banks = PcrBanks(("sha1", "sha256"))
    banks.extend_data(1, b"a")
    values = banks.values({"sha256": [1, 0], "sha1": [1]})
    assert values.selection.items()[0][1] == (0, 1)
    assert values.values == (banks.read(0, "sha256"), banks.read(1, "sha256"), banks.read(1, "sha1"))
    assert values.digest("sha256") == hashlib.sha256(b"".join(values.values)).digest()
    assert values.digest("sha1") == hashlib.sha1(b"".join(values.values)).digest()
    assert values.get("sha1", 1) == banks.read(1, "sha1")
    assert values.as_dict()["sha256"][1] == banks.read(1, "sha256")
    assert values.to_hex_dict()["sha1"][1] == banks.read(1, "sha1").hex()
    assert PcrValues.from_dict(values.to_hex_dict()) == values
    with pytest.raises(DataError):
        values.get("sha1", 0)
    with pytest.raises(DataError):
        banks.values({"sha384": [0]})
    with pytest.raises(DataError):
        PcrValues(PcrSelection.of({"sha256": [0]}), (bytes(20),))
    with pytest.raises(DataError):
        PcrValues.from_dict({"sha256": {0: bytes(32)}}, PcrSelection.of({"sha256": [0, 1]}))
