"""TPMT_SIGNATURE, TPMT_PUBLIC / TPM2B_PUBLIC, Names and public-key loading."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tlkit.errors import DataError, ParseError, VerificationError
from tlkit.tpm import Attest, ClockInfo, PcrSelection, PublicArea, QuoteInfo, Signature, load_public_key
from tlkit.tpm._vtpm import _rsa_key


def test_ecdsa_signature_layout_and_der() -> None:
    sig = Signature.ecdsa(1, 2**255, "sha256", size=32)
    wire = sig.to_bytes()
    assert wire[:4].hex() == "0018000b"
    assert wire[4:6] == b"\x00\x20"
    assert len(wire) == 4 + 2 + 32 + 2 + 32
    assert Signature.from_bytes(wire) == sig
    der = encode_dss_signature(1, 2**255)
    assert sig.to_der() == der
    assert Signature.from_der(der, "sha256") == sig
    with pytest.raises(DataError):
        Signature.rsassa(b"\x01" * 256).to_der()


def test_other_signature_arms() -> None:
    assert Signature.from_bytes(bytes.fromhex("0010")).sig_alg_name == "null"
    hmac = Signature.from_bytes(bytes.fromhex("0005000b") + bytes(32))
    assert hmac.hmac == bytes(32)
    assert hmac.to_bytes() == bytes.fromhex("0005000b") + bytes(32)
    pss = Signature.rsapss(b"\x02" * 256, "sha384")
    assert Signature.from_bytes(pss.to_bytes()) == pss
    assert pss.to_dict()["sig_alg"] == "rsapss"
    with pytest.raises(ParseError) as e:
        Signature.from_bytes(bytes.fromhex("0014000b0100") + bytes(10))
    assert e.value.offset == 4
    with pytest.raises(ParseError) as e:
        Signature.from_bytes(bytes.fromhex("00140099"))
    assert e.value.offset == 2


def test_attest_non_quote_keeps_raw_body() -> None:
    body = bytes.fromhex("0022000b") + bytes(34) + bytes.fromhex("0000")
    a = Attest(0xFF544347, 0x8017, b"\x00\x0b" + bytes(32), b"n", ClockInfo(1, 2, 3, False), 7, body)
    wire = a.to_bytes()
    back = Attest.from_bytes(wire)
    assert back == a
    assert back.type_name == "certify"
    assert not back.is_quote
    q = Attest(0xFF544347, 0x8018, b"", b"", ClockInfo(1, 2, 3, True), 7,
               QuoteInfo(PcrSelection.of({"sha1": [0]}), bytes(32)))  # fmt: skip
    assert Attest.from_bytes(q.to_bytes()) == q
    assert Attest._decode(q.to_bytes())[0] == q
    with pytest.raises(ParseError) as e:
        Attest.from_bytes(q.to_bytes()[:-1])
    assert e.value.offset is not None


def test_bad_safe_flag() -> None:
    q = Attest(0xFF544347, 0x8018, b"", b"", ClockInfo(1, 2, 3, True), 7,
               QuoteInfo(PcrSelection.of({"sha1": [0]}), bytes(32))).to_bytes()  # fmt: skip
    bad = q[:26] + b"\x02" + q[27:]  # magic, type, 2 empty TPM2Bs, clock, resetCount, restartCount
    with pytest.raises(ParseError) as e:
        Attest.from_bytes(bad)
    assert e.value.offset == 26


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_ecc_public_round_trip(curve: ec.EllipticCurve) -> None:
    key = ec.derive_private_key(12345, curve).public_key()
    pub = PublicArea.from_cryptography(key)
    assert pub.object_attributes == 0x00050072
    assert PublicArea.from_bytes(pub.to_bytes()) == pub
    assert PublicArea.from_tpm2b(pub.to_tpm2b()) == pub
    assert pub.to_cryptography().public_numbers() == key.public_numbers()
    assert pub.name()[:2] == b"\x00\x0b"
    assert len(pub.name()) == 34
    assert pub.to_dict()["curve"] == curve.name


def test_rsa_public_round_trip_and_formats() -> None:
    key = _rsa_key(1, "test/rsa").public_key()
    pub = PublicArea.from_cryptography(key, restricted_signing=False, scheme="rsapss", name_alg="sha384")
    assert pub.object_attributes == 0x00040072
    assert (pub.key_bits, pub.exponent, len(pub.rsa_modulus)) == (2048, 0, 256)
    assert pub.name()[:2] == b"\x00\x0c"
    assert len(pub.name()) == 50
    assert PublicArea.from_bytes(pub.to_bytes()) == pub
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    for form in (pub.to_pem(), pub.to_pem().decode(), der, pub.to_tpm2b(), pub.to_bytes(), pub, key):
        assert load_public_key(form).public_numbers() == key.public_numbers()  # type: ignore[union-attr]
    with pytest.raises(ParseError):
        load_public_key(b"not a key")
    with pytest.raises(ParseError):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(DataError):
        PublicArea.from_cryptography(key, scheme="bogus")


def test_unusable_ecc_point() -> None:
    pub = PublicArea.from_cryptography(ec.derive_private_key(5, ec.SECP256R1()).public_key())
    broken = PublicArea.from_bytes(pub.to_bytes()[:-1] + bytes((pub.to_bytes()[-1] ^ 1,)))
    with pytest.raises(VerificationError):
        broken.to_cryptography()


#: An ECC key with AES-128-CFB symmetric and a KDF scheme (the TCG EK template family).
_EK_LIKE = bytes.fromhex(
    "0023000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa"
    "0006008000430010" "0003" "0020000b" "0000" "0000"
)  # fmt: skip


def test_public_area_with_symmetric_and_kdf() -> None:
    wire = _EK_LIKE
    pub = PublicArea.from_bytes(wire)
    assert (pub.symmetric_alg, pub.symmetric_key_bits, pub.symmetric_mode) == (0x0006, 128, 0x0043)
    assert (pub.scheme, pub.curve_id, pub.kdf, pub.kdf_hash) == (0x0010, 3, 0x0020, 0x000B)
    assert pub.to_bytes() == wire
    with pytest.raises(ParseError) as e:
        PublicArea.from_bytes(bytes.fromhex("0008000b"))
    assert e.value.offset == 0
    with pytest.raises(ParseError):
        PublicArea.from_tpm2b(b"\x00\x05" + wire)


def test_writers_raise_data_error_for_unmarshallable_user_structures() -> None:
    from dataclasses import replace

    from tlkit._binary import Writer
    from tlkit.tpm import VirtualTpm
    from tlkit.tpm._alg import SHA256

    with pytest.raises(DataError, match="32-byte sha256 digest, got none"):
        Signature(0x0005, SHA256).to_bytes()  # an HMAC signature without its digest
    with pytest.raises(DataError, match="got 31 bytes"):
        Signature(0x0005, SHA256, hmac=bytes(31)).to_bytes()
    hmac = Signature(0x0005, SHA256, hmac=bytes(range(32)))
    assert hmac.to_bytes() == b"\x00\x05\x00\x0b" + bytes(range(32))
    assert Signature.from_bytes(hmac.to_bytes()) == hmac
    with pytest.raises(DataError):
        Signature.rsassa(bytes(70000)).to_bytes()
    pub = VirtualTpm(seed=1).ak_public
    with pytest.raises(DataError):
        replace(pub, auth_policy=bytes(0x10000)).to_bytes()
    with pytest.raises(DataError):
        replace(pub, object_attributes=1 << 32).to_bytes()
    q = VirtualTpm(seed=1).quote("sha256:0", b"n").attest
    with pytest.raises(DataError):
        replace(q, extra_data=bytes(0x10000)).to_bytes()
    with pytest.raises(DataError):
        replace(q, magic=-1).to_bytes()
    for write in (lambda: Writer().u8(256), lambda: Writer().u16(1 << 16), lambda: Writer().u64(-1)):
        with pytest.raises(DataError):
            write()


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (2, "unknown nameAlg 0x9999"),
        (42, "unsupported symmetric algorithm 0x9999"),
        (48, "unsupported key scheme 0x9999"),
        (52, "unsupported KDF scheme 0x9999"),
    ],
)
def test_public_area_unknown_algorithm_ids_name_the_field_and_its_offset(offset: int, message: str) -> None:
    bad = _EK_LIKE[:offset] + b"\x99\x99" + _EK_LIKE[offset + 2 :]
    with pytest.raises(ParseError, match=message) as e:
        PublicArea.from_bytes(bad)
    assert e.value.offset == offset
