"""Real quotes from five public sources verify, round-trip byte for byte and fail when tampered."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import expected_pcrs, fixture_path
from tests.tpm import _fixtures
from tlkit.tpm import (
    Attest,
    PcrSelection,
    PcrValues,
    PublicArea,
    QuoteInfo,
    Signature,
    read_pcrs,
    verify_quote,
    write_pcrs_serialized,
)

QUOTES = _fixtures.all_quotes()
IDS = [q.name for q in QUOTES]


@pytest.fixture(params=QUOTES, ids=IDS)
def real(request: pytest.FixtureRequest) -> _fixtures.RealQuote:
    q: _fixtures.RealQuote = request.param
    return q


def test_all_sources_present() -> None:
    fixture_path(_fixtures.KEYLIME)  # fails if the fixtures that ship in data/fixtures are missing
    assert len(QUOTES) == 13, "keylime, windows GCE, 5 Azure, 2x3 GCE quotes"


def test_real_quote_verifies(real: _fixtures.RealQuote) -> None:
    result = verify_quote(real.message, real.signature, real.pcrs, real.nonce, real.ak)
    assert result.passed, result.reasons
    assert bool(result) is True
    assert result.reasons == ()
    assert result.attest is not None
    assert result.attest.extra_data == real.nonce
    quote = result.attest.attested
    assert isinstance(quote, QuoteInfo)
    assert result.pcr_digest == quote.pcr_digest
    assert result.to_dict()["passed"] is True


def test_real_quote_round_trips(real: _fixtures.RealQuote) -> None:
    assert Attest.from_bytes(real.message).to_bytes() == real.message
    if isinstance(real.signature, bytes):
        assert Signature.from_bytes(real.signature).to_bytes() == real.signature
    if real.ak_public is not None:
        assert PublicArea.from_bytes(real.ak_public).to_bytes() == real.ak_public


def test_pcr_digest_uses_signing_hash(real: _fixtures.RealQuote) -> None:
    """GCE quotes over the sha1 and sha384 banks carry a SHA-256 pcrDigest (signing scheme hash)."""
    attest = Attest.from_bytes(real.message)
    assert isinstance(attest.attested, QuoteInfo)
    sig = real.signature if isinstance(real.signature, Signature) else Signature.from_bytes(real.signature)
    assert sig.hash is not None
    values = PcrValues.from_dict(real.pcrs, attest.attested.pcr_select)
    assert values.digest(sig.hash) == attest.attested.pcr_digest
    assert len(attest.attested.pcr_digest) == sig.hash.digest_size


def test_quoted_pcrs_match_expected_file() -> None:
    """The loaders read exactly the PCR values recorded in fixtures/_derived/expected_pcrs.json."""
    table = expected_pcrs()["fixtures"]
    checked = 0
    for q in QUOTES:
        key = {
            "keylime": "keylime/test-data/files/quote.out",
            "windows-gce": _fixtures.WINDOWS,
        }.get(q.name)
        if key is None:
            key = next((k for k in table if k.endswith(q.name.split("/")[0] + ".pb")), None) or next(
                (k for k in table if k.endswith(q.name)), None
            )
        assert key is not None, q.name
        for bank, pcrs in q.pcrs.items():
            want = table[key]["expected_pcrs"].get(bank)
            assert want is not None, (q.name, bank)
            assert {int(i): v for i, v in want.items()} == {i: v.hex() for i, v in pcrs.items()}
            checked += 1
    assert checked == 13


def test_keylime_fields_exact() -> None:
    q = _fixtures.keylime()
    a = Attest.from_bytes(q.message)
    assert a.magic == 0xFF544347
    assert a.type == 0x8018
    assert a.qualified_signer.hex() == "000b7ca54a622c87f30888b6da66f51e4a31ccb723cad8daa111a5006b44342dd623"
    assert a.extra_data == _fixtures.KEYLIME_NONCE
    assert (a.clock_info.clock, a.clock_info.reset_count, a.clock_info.restart_count) == (5994, 0, 0)
    assert a.clock_info.safe is True
    assert a.firmware_version == 0x2016051100162800
    assert isinstance(a.attested, QuoteInfo)
    assert a.attested.pcr_select == PcrSelection.of({"sha256": [15, 16, 22]})
    assert a.attested.pcr_digest.hex() == "ec1636c69c548fd09a165a4f874e5d1610a8fbe36241566017e92b17e144b971"
    sig = Signature.from_bytes(q.signature)  # type: ignore[arg-type]
    assert (sig.sig_alg, sig.hash and sig.hash.name, len(sig.rsa or b"")) == (0x14, "sha256", 256)


def test_keylime_ak_files_agree() -> None:
    d = fixture_path(_fixtures.KEYLIME)
    tpm2b = (d / "ak.pub").read_bytes()
    pub = PublicArea.from_tpm2b(tpm2b)
    assert pub.to_tpm2b() == tpm2b
    assert pub.name() == (d / "ak.name").read_bytes()
    assert pub.to_pem() == (d / "akpub.pem").read_bytes()
    assert pub.object_attributes == 0x00050072
    assert (pub.scheme_name, pub.scheme_hash_alg and pub.scheme_hash_alg.name) == ("rsassa", "sha256")
    assert (pub.key_bits, pub.exponent) == (2048, 0)
    attrs = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign"
    assert pub.to_dict()["attributes"] == attrs


def test_keylime_pcr_file_round_trips() -> None:
    data = (fixture_path(_fixtures.KEYLIME) / "quotepcr.out").read_bytes()
    values = read_pcrs(data)
    assert values.selection == PcrSelection.of({"sha256": [15, 16, 22]})
    assert values.get("sha256", 15) == bytes(32)
    pcr16 = "9dbb22387e019c04da95477333546082ce313152c4a7f8a6e1d5f0c77f4fb6f0"
    assert values.get("sha256", 16).hex() == pcr16
    assert values.get("sha256", 22) == b"\xff" * 32
    assert write_pcrs_serialized(values) == data


def test_windows_ak_public_fields() -> None:
    q = _fixtures.windows()
    assert q.ak_public is not None
    pub = PublicArea.from_bytes(q.ak_public)
    assert pub.object_attributes == 0x00050472  # AK with noDA
    assert pub.auth_policy.hex() == "9dffcbf36c383ae699fb9868dc6dcb89d7153884be2803922c124158bfad22ae"
    assert (pub.scheme_name, pub.scheme_hash_alg and pub.scheme_hash_alg.name) == ("rsassa", "sha1")


# -- negative verdicts -----------------------------------------------------------------------------


def _flip(data: bytes, pos: int) -> bytes:
    return data[:pos] + bytes((data[pos] ^ 0x01,)) + data[pos + 1 :]


def _field_ranges(message: bytes) -> dict[str, range]:
    """Byte ranges of the TPMS_ATTEST fields (Part 2, 10.12.12) in a quote message."""
    signer = int.from_bytes(message[6:8], "big")
    e0 = 8 + signer
    extra = int.from_bytes(message[e0 : e0 + 2], "big")
    c0 = e0 + 2 + extra
    s0 = c0 + 25
    count = int.from_bytes(message[s0 : s0 + 4], "big")
    s = s0 + 4
    for _ in range(count):
        s += 3 + message[s + 2]
    return {
        "magic": range(4),
        "type": range(4, 6),
        "extra": range(e0 + 2, c0),
        "selection-masks": range(s0 + 4, s),
        "digest": range(s + 2, len(message)),
    }


def test_every_message_byte_is_covered(real: _fixtures.RealQuote) -> None:
    fields = _field_ranges(real.message)
    for pos in range(len(real.message)):
        r = verify_quote(_flip(real.message, pos), real.signature, real.pcrs, real.nonce, real.ak)
        assert not r.passed, pos
        assert r.reasons[0] == "signature-invalid", (pos, r.reasons)
        if pos in fields["magic"]:
            assert "bad-magic" in r.reasons
        elif pos in fields["type"]:
            assert "not-a-quote" in r.reasons
        elif pos in fields["extra"]:
            assert "nonce-mismatch" in r.reasons
        elif pos in fields["digest"]:
            assert "pcr-digest-mismatch" in r.reasons
        elif pos in fields["selection-masks"]:
            assert {"pcr-selection-mismatch", "not-a-quote", "unsupported-pcr-bank"} & set(r.reasons)


def test_every_signature_byte_is_covered(real: _fixtures.RealQuote) -> None:
    raw = real.signature.to_bytes() if isinstance(real.signature, Signature) else real.signature
    for pos in range(len(raw)):
        r = verify_quote(real.message, _flip(raw, pos), real.pcrs, real.nonce, real.ak)
        assert not r.passed, pos
        assert r.reasons[0] in ("signature-invalid", "unsupported-signature-scheme"), (pos, r.reasons)
        assert set(r.reasons) <= {"signature-invalid", "unsupported-signature-scheme", "pcr-digest-mismatch"}


def test_wrong_nonce(real: _fixtures.RealQuote) -> None:
    r = verify_quote(real.message, real.signature, real.pcrs, real.nonce + b"x", real.ak)
    assert r.reasons == ("nonce-mismatch",)
    assert r.to_dict()["reasons"] == ["nonce-mismatch"]


def test_wrong_pcr_value(real: _fixtures.RealQuote) -> None:
    bank, values = next(iter(real.pcrs.items()))
    pcr = max(values)
    changed = {bank: {**values, pcr: bytes(len(values[pcr]))[:-1] + b"\x01"}}
    r = verify_quote(real.message, real.signature, changed, real.nonce, real.ak)
    assert r.reasons == ("pcr-digest-mismatch",)


def test_different_selection(real: _fixtures.RealQuote) -> None:
    bank, values = next(iter(real.pcrs.items()))
    fewer = {bank: {i: v for i, v in values.items() if i != min(values)}}
    assert verify_quote(real.message, real.signature, fewer, real.nonce, real.ak).reasons == (
        "pcr-selection-mismatch",
    )
    other_bank = "sha384" if bank != "sha384" else "sha1"
    size = 48 if other_bank == "sha384" else 20
    more = {bank: values, other_bank: {0: bytes(size)}}
    assert verify_quote(real.message, real.signature, more, real.nonce, real.ak).reasons == (
        "pcr-selection-mismatch",
    )


def test_wrong_key(real: _fixtures.RealQuote) -> None:
    other = ec.derive_private_key(7, ec.SECP256R1()).public_key()
    r = verify_quote(real.message, real.signature, real.pcrs, real.nonce, other)
    assert r.reasons == ("signature-invalid",)


def test_pcr_values_in_other_bank_order_still_verify() -> None:
    q = _fixtures.keylime()
    values = PcrValues.from_dict({"sha256": {22: q.pcrs["sha256"][22], 15: q.pcrs["sha256"][15],
                                             16: q.pcrs["sha256"][16]}})  # fmt: skip
    assert verify_quote(q.message, q.signature, values, q.nonce, q.ak).passed
