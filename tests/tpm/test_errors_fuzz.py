"""Only tlkit.errors escape: malformed PCR values, key inputs and hand-built TPM structures.

Each class of bad input the issue reproduced (a PCR bank given as a list, a key string with a lone
surrogate, ``PublicArea(type=0x99)``...) has a pinned example and a hypothesis property. The fast
readers (serialized PCR file, quoted selection) are checked against the careful ones, and every
single-bit change of a quote is still rejected on the fast path.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import fixture_path
from tlkit.errors import DataError, ParseError, TlkitError
from tlkit.tpm import (
    TPM_ALG_ECC,
    TPM_ALG_RSA,
    Attest,
    ClockInfo,
    PcrSelection,
    PcrValues,
    PublicArea,
    QuoteInfo,
    Signature,
    VirtualTpm,
    load_public_key,
    read_pcrs,
    verify_quote,
    write_pcrs_serialized,
)
from tlkit.tpm._alg import SHA1, SHA256
from tlkit.tpm._attest import ScannedAttest, scan_attest
from tlkit.tpm._files import _scan_serialized

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEL = PcrSelection.of({"sha256": [0, 1, 2, 3, 4, 5, 6, 7, 23], "sha1": [0, 7]})
_ECC = VirtualTpm(seed=7)
_RSA = VirtualTpm(seed=7, ak="rsa")
_QE = _ECC.quote(SEL, b"nonce")
_QR = _RSA.quote(SEL, b"nonce")
KEYLIME = "keylime/test-data/files"

# -- PCR values given as data -----------------------------------------------------------------

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=70),
    st.binary(max_size=70),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(-5, 3000)), inner, max_size=4),
    ),
    max_leaves=12,
)


@pytest.mark.parametrize(
    ("pcrs", "named"),
    [
        ({"sha256": ["00" * 32]}, "sha256"),  # a bank given as a list (was AttributeError)
        ({"sha256": {0: "zz" * 32}}, "sha256"),  # not hex
        ({"sha256": {0: "00" * 31}}, "sha256"),  # wrong length
        ({"sha256": {0: 5}}, "sha256"),  # an int is not a value
        ({"md5": {0: "00" * 16}}, "bank"),  # unknown bank
        ({"sha256": {-1: "00" * 32}}, "sha256"),  # negative index
        ({"sha256": {"9" * 5000: "00" * 32}}, "sha256"),  # int() of 5000 digits would raise ValueError
        ({"sha256": {1.5: "00" * 32}}, "sha256"),  # float index
        (["sha256"], "pcrs"),  # not a mapping at all
    ],
)
def test_malformed_pcr_values_are_data_errors_naming_the_place(pcrs: object, named: str) -> None:
    with pytest.raises(DataError) as info:
        verify_quote(_QE.message, _QE.signature, pcrs, b"nonce", _ECC.ak_public)  # type: ignore[arg-type]
    assert named in str(info.value)
    assert len(str(info.value)) < 400  # a huge bad key is not echoed whole


@SETTINGS
@given(pcrs=_json)
@example(pcrs={"sha256": ["00" * 32]})
@example(pcrs={"sha1": {"7": "00" * 20}, "sha256": {}})
def test_verify_quote_on_any_json_pcrs_gives_a_verdict_or_a_data_error(pcrs: object) -> None:
    try:
        result = verify_quote(_QE.message, _QE.signature, pcrs, b"nonce", _ECC.ak_public)  # type: ignore[arg-type]
    except DataError:
        return
    assert not result.passed  # random values never reproduce the quoted digest
    assert result.reasons


def test_the_right_values_as_a_json_mapping_still_verify() -> None:
    as_json = {bank: {str(p): v.hex() for p, v in regs.items()} for bank, regs in _QE.pcrs.as_dict().items()}
    assert verify_quote(_QE.message, _QE.signature, as_json, b"nonce", _ECC.ak_public).passed


# -- public key inputs ------------------------------------------------------------------------


@SETTINGS
@given(data=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
@example(data="\udcff")
@example(data="\ud800-----BEGIN PUBLIC KEY-----")
@example(data=b"\x30" * 40)
@example(data=b"-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n")
def test_load_public_key_raises_only_tlkit_errors(data: str | bytes) -> None:
    with pytest.raises(TlkitError):
        load_public_key(data)


def test_load_public_key_refuses_absurd_sizes_before_parsing() -> None:
    for data in (b"\x30" * (1 << 20), "A" * (1 << 20)):
        with pytest.raises(ParseError, match=r"too large|exceeds"):
            load_public_key(data)


def test_load_public_key_text_pem_still_loads() -> None:
    pem = _ECC.ak_pem.decode()
    assert load_public_key(pem).public_numbers() == _ECC.ak_public.to_cryptography().public_numbers()  # type: ignore[union-attr]
    with pytest.raises(ParseError, match="not ASCII") as info:
        load_public_key(pem[:30] + "\udcff" + pem[30:])
    assert info.value.offset == 30


# -- constructors validate --------------------------------------------------------------------


def test_public_area_of_an_unknown_type_does_not_construct() -> None:
    pub = _ECC.ak_public
    with pytest.raises(DataError, match="type"):
        dataclasses.replace(pub, type=0x99)
    with pytest.raises(DataError, match="TPM_ECC_CURVE"):
        dataclasses.replace(pub, curve_id=0x99)
    with pytest.raises(DataError, match="nameAlg"):
        dataclasses.replace(pub, name_alg="sha256")
    rsa = _RSA.ak_public
    with pytest.raises(DataError, match="modulus"):
        dataclasses.replace(rsa, rsa_modulus=rsa.rsa_modulus[1:])
    with pytest.raises(DataError, match="keyBits"):
        dataclasses.replace(rsa, key_bits=2047, rsa_modulus=b"")
    assert (rsa.to_dict()["type"], pub.to_dict()["type"]) == ("rsa", "ecc")


_u16 = st.integers(0, 0xFFFF)


@SETTINGS
@given(
    typ=st.sampled_from([TPM_ALG_RSA, TPM_ALG_ECC, 0x99, 0, -1]),
    scheme=st.sampled_from([0x0010, 0x0014, 0x0018, 0x0016, 0x99]),
    key_bits=st.sampled_from([0, 1024, 2048, 2047, 70000]),
    curve=st.sampled_from([0, 3, 4, 0x99]),
    modulus=st.binary(max_size=300),
    x=st.binary(max_size=70),
    attrs=st.integers(-1, 2**33),
)
def test_public_area_constructs_only_what_its_wire_form_reads_back(
    *, typ: int, scheme: int, key_bits: int, curve: int, modulus: bytes, x: bytes, attrs: int
) -> None:
    fields = {"scheme": scheme, "scheme_hash": 0x0B if scheme != 0x0010 else 0}
    if typ == TPM_ALG_RSA:
        fields |= {"key_bits": key_bits, "rsa_modulus": modulus}
    else:
        fields |= {"curve_id": curve, "ecc_x": x, "ecc_y": x}
    try:
        pub = PublicArea(typ, SHA256, attrs, b"", **fields)  # type: ignore[arg-type]
    except DataError:
        return
    assert pub.to_dict()["type"] == {TPM_ALG_RSA: "rsa", TPM_ALG_ECC: "ecc"}[typ]
    assert PublicArea.from_bytes(pub.to_bytes()) == pub


@SETTINGS
@given(
    alg=st.sampled_from([0x0005, 0x0010, 0x0014, 0x0016, 0x0018, 0x001A, 0x99]),
    h=st.sampled_from([None, SHA1, SHA256, "sha256"]),
    arms=st.tuples(*[st.one_of(st.none(), st.binary(max_size=40), st.integers()) for _ in range(4)]),
)
def test_signature_constructs_only_its_own_arm(alg: int, h: object, arms: tuple[object, ...]) -> None:
    try:
        sig = Signature(alg, h, *arms)  # type: ignore[arg-type]
    except DataError:
        return
    assert Signature.from_bytes(sig.to_bytes()) == sig


@SETTINGS
@given(
    items=st.lists(
        st.tuples(
            st.sampled_from([SHA1, SHA256, "sha1"]), st.lists(st.integers(-2, 40), max_size=5).map(tuple)
        ),
        max_size=18,
    ),
    sizes=st.one_of(st.just(()), st.lists(st.integers(-1, 300), max_size=18).map(tuple)),
)
def test_pcr_selection_constructs_only_encodable_selections(
    items: list[tuple[object, ...]], sizes: tuple[int, ...]
) -> None:
    try:
        sel = PcrSelection(tuple(items), sizes)  # type: ignore[arg-type]
    except DataError:
        return
    back = PcrSelection.from_bytes(sel.to_bytes())
    assert (back, back.size_of_select) == (sel, sel.size_of_select)


@SETTINGS
@given(
    typ=st.sampled_from([0x8018, 0x8017, 0x99, -1]),
    clock=st.integers(-1, 2**65),
    safe=st.sampled_from([True, False, 1, None]),
    attested=st.sampled_from(["quote", "bytes", "none"]),
    extra=st.one_of(st.binary(max_size=40), st.text(max_size=3)),
)
def test_attest_constructs_only_encodable_structures(
    typ: int, clock: int, safe: object, attested: str, extra: object
) -> None:
    try:
        body = {"quote": QuoteInfo(SEL, bytes(32)), "bytes": b"\x01\x02", "none": None}[attested]
        att = Attest(0xFF544347, typ, b"", extra, ClockInfo(clock, 0, 0, safe), 0, body)  # type: ignore[arg-type]
    except DataError:
        return
    assert Attest.from_bytes(att.to_bytes()) == att


# -- fast readers agree with the careful ones ---------------------------------------------------


def _careful_pcrs(data: bytes) -> PcrValues | None:
    try:
        return _careful(data)
    except ParseError:
        return None


def _careful(data: bytes) -> PcrValues:
    """The Reader-based reader alone (the fast scan switched off)."""
    import tlkit.tpm._files as files

    saved = files._scan_serialized
    files._scan_serialized = lambda _data: None  # type: ignore[assignment]
    try:
        return files._read_serialized(data)
    finally:
        files._scan_serialized = saved


_SHA512 = PcrValues(PcrSelection.of({"sha512": [0]}), (bytes(range(64)),))
_PCR_FILES = [write_pcrs_serialized(_QE.pcrs), write_pcrs_serialized(_SHA512)]


@SETTINGS
@given(data=st.data())
def test_fast_serialized_reader_accepts_only_what_the_careful_one_does(data: st.DataObject) -> None:
    buf = bytearray(data.draw(st.sampled_from(_PCR_FILES)))
    for _ in range(data.draw(st.integers(0, 3))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] = data.draw(
            st.sampled_from([0, 1, 2, 3, 4, 8, 9, 0x10, 0x20, 0x40, 0x41, 0x80, 0xFF, buf[pos] ^ 1])
        )
    b = bytes(buf)
    fast = _scan_serialized(b)
    if fast is None:
        return
    slow = _careful_pcrs(b)
    assert slow == fast
    assert (
        fast.selection.wire == PcrSelection(fast.selection.items(), fast.selection.size_of_select).to_bytes()
    )


def test_real_keylime_pcr_file_fast_and_careful_agree() -> None:
    data = fixture_path(f"{KEYLIME}/quotepcr.out").read_bytes()
    fast = _scan_serialized(data)
    assert fast is not None
    assert fast == _careful(data)
    assert (
        fast.selection.wire == PcrSelection(fast.selection.items(), fast.selection.size_of_select).to_bytes()
    )


def test_scan_attest_is_a_named_tuple() -> None:
    t = scan_attest(_QE.message)
    assert isinstance(t, ScannedAttest)
    assert (t.extra_data, t.pcr_select, t.magic) == (b"nonce", SEL, 0xFF544347)
    assert t.to_attest() == Attest.from_bytes(_QE.message)
    assert t.pcr_select is not None
    assert t.pcr_select.wire == SEL.to_bytes()


# -- forgeries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("vtpm", [_ECC, _RSA], ids=["ecc", "rsa"])
def test_every_single_bit_flip_is_rejected_on_the_fast_path(vtpm: VirtualTpm) -> None:
    q = vtpm.quote(SEL, b"nonce")
    key = vtpm.ak_public.to_cryptography()
    values = read_pcrs(write_pcrs_serialized(q.pcrs))
    assert verify_quote(q.message, q.signature, values, b"nonce", key).passed
    for part in ("message", "signature"):
        data = getattr(q, part)
        for bit in range(8 * len(data)):
            flipped = bytearray(data)
            flipped[bit // 8] ^= 1 << (bit % 8)
            args = {"message": q.message, "signature": q.signature} | {part: bytes(flipped)}
            result = verify_quote(args["message"], args["signature"], values, b"nonce", key)
            assert not result.passed, (part, bit)
    pcr_file = write_pcrs_serialized(q.pcrs)
    for bit in range(8 * len(pcr_file)):
        flipped = bytearray(pcr_file)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            changed = read_pcrs(bytes(flipped))
        except TlkitError:
            continue
        if changed != values:
            assert not verify_quote(q.message, q.signature, changed, b"nonce", key).passed, ("pcrs", bit)


def test_parse_spec_reads_the_same_pcr_lists_as_the_cli() -> None:
    """One grammar for PCR lists: ranges, ``all`` and comma lists in the library as on the CLI."""
    from tlkit.tpm import parse_pcr_list

    assert PcrSelection.parse_spec("sha256:0-3,7+sha1:all") == PcrSelection.of(
        {"sha256": [0, 1, 2, 3, 7], "sha1": range(24)}
    )
    assert parse_pcr_list("0-2,14") == [0, 1, 2, 14]
    for bad in ("sha256:3-1", "sha256:0x10", "sha256:1_0", "sha256:0,,1", "sha256:"):
        with pytest.raises(DataError) as err:
            PcrSelection.parse_spec(bad)
        assert err.value.field == "selection"


@SETTINGS
@given(data=st.data())
def test_one_pass_verdict_equals_the_careful_one_on_signed_mutations(data: st.DataObject) -> None:
    """``verify_quote``'s one-pass path (bytes signature, PcrValues) passes exactly what the careful
    path (the same values as a mapping) passes, on messages mutated and then validly signed by the
    AK, so only the claims (magic, type, nonce, selection, digest, clock) can make them differ."""
    vtpm = data.draw(st.sampled_from([_ECC, _RSA]))
    q = vtpm.quote(SEL, b"nonce")
    values = read_pcrs(write_pcrs_serialized(q.pcrs))
    buf = bytearray(q.message)
    for _ in range(data.draw(st.integers(0, 2))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] = data.draw(st.sampled_from([0, 1, 2, 0x0B, 0x80, 0xFF, buf[pos] ^ 1]))
    cut = data.draw(st.integers(0, len(buf)))
    m = bytes(buf[:cut]) if data.draw(st.booleans()) else bytes(buf)
    sig = vtpm._sign(m).to_bytes()
    key = vtpm.ak_public.to_cryptography()
    fast = verify_quote(m, sig, values, b"nonce", key)
    careful = verify_quote(m, sig, values.as_dict(), b"nonce", key)
    assert (fast.passed, fast.reasons, fast.pcr_digest) == (
        careful.passed,
        careful.reasons,
        careful.pcr_digest,
    )
    if m == q.message:
        assert fast.passed
