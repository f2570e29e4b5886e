"""PcrSelection, PcrBanks and PcrValues."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    with pytest.raises(PolicyError) as e:
        banks.reset(17)  # the startup locality is not the command's: commands default to locality 0
    assert e.value.code == "pcr-locality"
    banks.dynamic_launch()
    assert [banks.read(p, "sha256") for p in range(16, 24)] == [bytes(32)] * 8
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


#: PCR -> (localities that may reset it, localities that may extend it): the reference
#: implementation's s_initAttributes (TPM 2.0 reference code PCR.c, as in libtpms / swtpm).
PTP_TABLE = {
    **{p: (set(), {0, 1, 2, 3, 4}) for p in range(16)},
    16: ({0, 1, 2, 3}, {0, 1, 2, 3, 4}),
    17: ({4}, {2, 3, 4}),
    18: ({4}, {2, 3, 4}),
    19: ({4}, {2, 3}),
    20: ({2, 4}, {1, 2, 3}),
    21: ({2, 4}, {2}),
    22: ({2, 4}, {2}),
    23: ({0, 1, 2, 3}, {0, 1, 2, 3, 4}),
}


@pytest.mark.parametrize("pcr", range(24))
def test_reset_and_extend_follow_the_ptp_locality_table(pcr: int) -> None:
    resets, extends = PTP_TABLE[pcr]
    for loc in range(5):
        banks = PcrBanks(("sha1", "sha256"))
        before = banks.read(pcr, "sha256")
        if loc in extends:
            new = banks.extend(pcr, bytes(32), "sha256", locality=loc)
            assert new == hashlib.sha256(before + bytes(32)).digest()
        else:
            with pytest.raises(PolicyError) as e:
                banks.extend(pcr, bytes(32), "sha256", locality=loc)
            assert e.value.code == "pcr-locality"
            with pytest.raises(PolicyError):
                banks.extend_data(pcr, b"x", locality=loc)
            assert banks.read(pcr, "sha256") == before
        if loc in resets:
            banks.reset(pcr, locality=loc)
            assert banks.read(pcr, "sha1") == bytes(20)
        else:
            with pytest.raises(PolicyError) as e:
                banks.reset(pcr, locality=loc)
            assert e.value.code == ("pcr-not-resettable" if pcr < 16 else "pcr-locality")


def test_drtm_pcrs_refuse_reset_and_extend_at_locality_0() -> None:
    banks = PcrBanks(("sha256",))
    for pcr in range(17, 23):
        with pytest.raises(PolicyError, match=f"PCR {pcr} is not resettable from locality 0"):
            banks.reset(pcr)
        with pytest.raises(PolicyError, match=f"PCR {pcr} is not extendable from locality 0"):
            banks.extend(pcr, bytes(32), "sha256")
        assert banks.read(pcr, "sha256") == b"\xff" * 32


def test_dynamic_launch_zeroes_17_to_22_and_measures_into_17() -> None:
    banks = PcrBanks(("sha1", "sha256"))
    banks.extend_data(23, b"app")
    banks.dynamic_launch(b"MLE")
    for bank in (hashlib.sha1, hashlib.sha256):
        size = bank().digest_size
        name = bank().name
        assert banks.read(17, name) == bank(bytes(size) + bank(b"MLE").digest()).digest()
        assert [banks.read(p, name) for p in range(18, 23)] == [bytes(size)] * 5
    assert banks.read(23, "sha256") == hashlib.sha256(bytes(32) + hashlib.sha256(b"app").digest()).digest()
    banks.extend(18, bytes(32), "sha256", locality=2)
    banks.dynamic_launch()
    assert banks.read(17, "sha256") == banks.read(18, "sha256") == bytes(32)


@pytest.mark.parametrize("loc", [-1, 5, True, None])
def test_bad_locality_is_a_data_error(loc: object) -> None:
    banks = PcrBanks(("sha256",))
    with pytest.raises(DataError):
        banks.reset(23, locality=loc)  # type: ignore[arg-type]
    with pytest.raises(DataError):
        banks.extend(23, bytes(32), "sha256", locality=loc)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "entries",
    [
        {0: 0},  # an int would become bytes(0); bytes(32) would be 32 zero bytes
        {0: 32},
        {0: None},
        {0: [0] * 32},
        {0: 1.5},
        {None: bytes(32)},
        {1.0: bytes(32)},
        {"0x1": bytes(32)},
        {0: "zz" * 32},
    ],
)
def test_from_dict_accepts_only_bytes_or_hex_values_and_int_indices(entries: dict[object, object]) -> None:
    with pytest.raises(DataError):
        PcrValues.from_dict({"sha256": entries})  # type: ignore[dict-item]


def test_from_dict_accepts_bytes_like_and_hex_and_decimal_keys() -> None:
    v = bytes(range(32))
    for value in (v, bytearray(v), memoryview(v), v.hex()):
        assert PcrValues.from_dict({"sha256": {"7": value}}).get("sha256", 7) == v


def test_quote_does_not_pass_against_claimed_integer_pcrs() -> None:
    from tlkit.tpm import VirtualTpm, verify_quote

    vtpm = VirtualTpm(seed=3)
    q = vtpm.quote({"sha256": [0, 1]}, b"n")
    assert verify_quote(
        q.message, q.signature, {"sha256": {0: bytes(32), 1: bytes(32)}}, b"n", vtpm.ak_public
    )
    with pytest.raises(DataError):
        verify_quote(q.message, q.signature, {"sha256": {0: 32, 1: 32}}, b"n", vtpm.ak_public)  # type: ignore[dict-item]


@pytest.mark.parametrize("bad", [None, 1.0, "7", True])
def test_selection_of_rejects_non_int_indices(bad: object) -> None:
    with pytest.raises(DataError):
        PcrSelection.of({"sha256": [0, bad]})  # type: ignore[list-item]


def test_hash_alg_of_none_is_a_clear_type_error() -> None:
    from tlkit.tpm._alg import hash_alg

    with pytest.raises(TypeError, match="expected a TPM_ALG_ID"):
        hash_alg(None)  # type: ignore[arg-type]
    with pytest.raises(DataError):
        PcrSelection.of({None: [0]})


_BANK_NAMES = st.sampled_from(["sha1", "sha256", "sha384", "sha512"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_BANK_NAMES, st.sets(st.integers(0, 23), min_size=1)), min_size=1, max_size=4))
def test_parse_spec_round_trips_str(banks: list[tuple[str, set[int]]]) -> None:
    sel = PcrSelection.of(banks)
    assert PcrSelection.parse_spec(str(sel)) == sel
    assert PcrSelection.parse_spec(str(sel).replace("+", ";")) == sel


@settings(max_examples=200, deadline=None)
@given(
    st.integers(10, 23), st.sampled_from(["{a}_{b}", "0x{h}", "+{n}", "{n}.0", "0o{o}", " {a} {b}", "{n}e0"])
)
def test_parse_spec_rejects_non_decimal_indices(n: int, form: str) -> None:
    text = form.format(a=n // 10, b=n % 10, h=f"{n:x}", n=n, o=f"{n:o}")
    with pytest.raises(DataError):
        PcrSelection.parse_spec(f"sha256:0,{text}")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_spec_random_text_is_a_selection_or_a_data_error(text: str) -> None:
    try:
        sel = PcrSelection.parse_spec(text)
    except DataError:
        return
    assert PcrSelection.parse_spec(str(sel)) == sel
    assert all(0 <= p < 8 * 255 for _, pcrs in sel.items() for p in pcrs)
