"""Every decoder raises only tlkit.errors.ParseError (with an offset) on random or truncated input."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.tpm import _fixtures
from tlkit._binary import Reader
from tlkit.errors import ParseError, TlkitError, UnsupportedAlgorithmError, VerificationError
from tlkit.tpm import (
    Attest,
    PcrSelection,
    PublicArea,
    Signature,
    VirtualTpm,
    load_public_key,
    read_pcrs,
    verify_quote,
    write_pcrs_serialized,
)
from tlkit.tpm._attest import ClockInfo, QuoteInfo, scan_attest
from tlkit.tpm._signature import scan_signature

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEL = PcrSelection.of({"sha256": [0, 1, 2], "sha1": [7]})

_VTPM = VirtualTpm(seed=5)
_Q = _VTPM.quote(SEL, b"nonce")
_RSA_SIG = VirtualTpm(seed=5, ak="rsa").quote(SEL, b"nonce").signature
#: The AK as DER SubjectPublicKeyInfo with the P-256 OID 1.2.840.10045.3.1.7 changed to ...3.1.9,
#: a named curve ``cryptography`` does not know.
_AK_DER = _VTPM.ak_public.to_cryptography().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
_P256_OID = bytes.fromhex("2a8648ce3d030107")
_ODD_CURVE_DER = _AK_DER.replace(_P256_OID, _P256_OID[:-1] + b"\x09")
_ODD_CURVE_PEM = (
    b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(_ODD_CURVE_DER) + b"-----END PUBLIC KEY-----\n"
)
SAMPLES: dict[str, bytes] = {
    "attest": _Q.message,
    "signature": _Q.signature,
    "public": _VTPM.ak_public.to_bytes(),
    "ek-public": _VTPM.ek_public.to_bytes(),
    "tpm2b-public": _VTPM.ak_public.to_tpm2b(),
    "selection": SEL.to_bytes(),
    "pcrs": write_pcrs_serialized(_Q.pcrs),
    "pcrs-raw": b"".join(_Q.pcrs.values),
}

DECODERS: dict[str, Callable[[bytes], object]] = {
    "attest": Attest.from_bytes,
    "signature": Signature.from_bytes,
    "public": PublicArea.from_bytes,
    "ek-public": PublicArea.from_bytes,
    "tpm2b-public": PublicArea.from_tpm2b,
    "selection": PcrSelection.from_bytes,
    "pcrs": read_pcrs,
    "pcrs-raw": lambda b: read_pcrs(b, SEL),
}


def _only_parse_errors(decode: Callable[[bytes], object], data: bytes) -> None:
    """Decoding succeeds, or raises ParseError with an offset inside the input (anything else escapes)."""
    error: ParseError | None = None
    try:
        decode(data)
    except ParseError as e:
        error = e
    if error is not None:
        assert isinstance(error.offset, int)
        assert 0 <= error.offset <= len(data)


@pytest.mark.parametrize("name", sorted(DECODERS))
@SETTINGS
@given(data=st.binary(max_size=600))
def test_random_bytes(name: str, data: bytes) -> None:
    _only_parse_errors(DECODERS[name], data)


@pytest.mark.parametrize("name", sorted(DECODERS))
@SETTINGS
@given(data=st.data())
def test_mutated_samples(name: str, data: st.DataObject) -> None:
    sample = bytearray(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(sample) - 1))
        sample[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(sample)))
    _only_parse_errors(DECODERS[name], bytes(sample[:cut]))


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_every_truncation_fails_with_offset(name: str) -> None:
    sample = SAMPLES[name]
    DECODERS[name](sample)
    for cut in range(len(sample)):
        with pytest.raises(ParseError) as e:
            DECODERS[name](sample[:cut])
        assert e.value.offset is not None
        assert 0 <= e.value.offset <= cut, "the error points inside the truncated input"


def test_real_fixture_truncations() -> None:
    for q in [_fixtures.keylime(), _fixtures.windows()]:
        assert isinstance(q.signature, bytes)
        assert q.ak_public is not None
        for decode, whole in (
            (Attest.from_bytes, q.message),
            (Signature.from_bytes, q.signature),
            (PublicArea.from_bytes, q.ak_public),
        ):
            for cut in range(len(whole)):
                with pytest.raises(ParseError) as e:
                    decode(whole[:cut])
                assert e.value.offset is not None
                assert 0 <= e.value.offset <= cut


@SETTINGS
@given(data=st.binary(max_size=300))
@example(data=b"-----BEGIN PUBLIC KEY-----\n")
@example(data=b"\x30\x03\x02\x01\x00")
@example(data=_ODD_CURVE_DER)
@example(data=_ODD_CURVE_PEM)
def test_load_public_key_random(data: bytes) -> None:
    error: TlkitError | None = None
    try:
        load_public_key(data)
    except TlkitError as e:  # ParseError, or UnsupportedAlgorithmError for a non-RSA/EC SPKI
        error = e
    if isinstance(error, ParseError):
        assert error.offset is not None


def _careful_attest(b: bytes) -> Attest:
    return Attest._decode(b)[0]


def _careful_signature(b: bytes) -> Signature:
    r = Reader(b, what="TPMT_SIGNATURE")
    sig = Signature.read(r)
    r.expect_end()
    return sig


def _from_scan(t: tuple[object, ...]) -> Attest:
    magic, typ, signer, extra, clock, resets, restarts, safe, fw, sel, tail = t
    attested = tail if sel is None else QuoteInfo(sel, tail)  # type: ignore[arg-type]
    return Attest(magic, typ, signer, extra, ClockInfo(clock, resets, restarts, safe == 1), fw, attested)  # type: ignore[arg-type]


_OTHER_TYPE = bytearray(_Q.message)
_OTHER_TYPE[4:6] = b"\x80\x17"  # TPM_ST_ATTEST_CERTIFY: same head, raw TPMU_ATTEST


@SETTINGS
@given(data=st.data())
def test_fast_scans_agree_with_careful_decoders(data: st.DataObject) -> None:
    """The one fast path per structure (scan_attest, scan_signature) accepts exactly what the
    Reader-based careful decoder accepts, with the same field values; None for the rest."""
    for sample, scan, careful in (
        (_Q.message, scan_attest, _careful_attest),
        (bytes(_OTHER_TYPE), scan_attest, _careful_attest),
        (_Q.signature, scan_signature, _careful_signature),
        (_RSA_SIG, scan_signature, _careful_signature),
    ):
        buf = bytearray(sample)
        for _ in range(data.draw(st.integers(0, 3))):
            pos = data.draw(st.integers(0, len(buf) - 1))
            buf[pos] = data.draw(st.sampled_from([0, 1, 2, 3, 0x7F, 0x80, 0xFF, buf[pos] ^ 1]))
        cut = data.draw(st.integers(0, len(buf)))
        b = bytes(buf[:cut]) if data.draw(st.booleans()) else bytes(buf)
        fast = scan(b)  # type: ignore[operator]
        try:
            slow = careful(b)  # type: ignore[operator]
        except ParseError:
            assert fast is None
            continue
        if fast is None:
            assert scan is scan_signature  # the signature scan covers RSA/ECC arms only
            assert slow.sig_alg not in (0x0014, 0x0016, 0x0018, 0x001A, 0x001B, 0x001C)
            continue
        rebuilt = _from_scan(fast) if scan is scan_attest else Signature(*fast)  # type: ignore[misc]
        assert rebuilt == slow


@SETTINGS
@given(message=st.binary(max_size=200), signature=st.binary(max_size=300))
def test_verify_quote_never_raises_on_quote_bytes(message: bytes, signature: bytes) -> None:
    r = verify_quote(message, signature, _Q.pcrs, b"nonce", _VTPM.ak_public)
    assert not r.passed
    assert r.reasons


@pytest.mark.parametrize("data", [_ODD_CURVE_DER, _ODD_CURVE_PEM], ids=["der", "pem"])
def test_key_on_unknown_curve_is_unsupported_algorithm(data: bytes) -> None:
    assert _ODD_CURVE_DER != _AK_DER
    with pytest.raises(UnsupportedAlgorithmError, match=r"1\.2\.840\.10045\.3\.1\.9"):
        load_public_key(data)
    with pytest.raises(UnsupportedAlgorithmError):
        verify_quote(_Q.message, _Q.signature, _Q.pcrs, b"nonce", data)


def test_off_curve_public_area_is_verification_error() -> None:
    pub = _VTPM.ak_public
    off = PublicArea.from_bytes(pub.to_bytes()[:-1] + bytes([pub.to_bytes()[-1] ^ 1]))
    with pytest.raises(VerificationError):
        verify_quote(_Q.message, _Q.signature, _Q.pcrs, b"nonce", off)
    with pytest.raises(VerificationError):
        verify_quote(_Q.message, _Q.signature, _Q.pcrs, b"nonce", off.to_tpm2b())
