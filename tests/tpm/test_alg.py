"""Hash algorithms by TPM_ALG_ID: SM3-256 where OpenSSL offers it, a clear error where it does not."""

from __future__ import annotations

import hashlib

import pytest

import tlkit.tpm._alg as alg_module
from tlkit.errors import UnsupportedAlgorithmError
from tlkit.tpm import TPM_ALG_RSASSA, PcrBanks, PcrSelection, Signature, VirtualTpm, hash_alg, verify_quote
from tlkit.tpm._alg import SM3_256


def test_sm3_missing_is_unsupported_algorithm_naming_0x0012(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alg_module, "_SM3", False)
    assert not SM3_256.available
    assert hash_alg("sm3_256") is SM3_256  # known, just not computable here
    for compute in (lambda: SM3_256.digest(b"x"), SM3_256.new, SM3_256.crypto_hash):
        with pytest.raises(UnsupportedAlgorithmError, match="0x0012") as info:
            compute()
        assert info.value.alg_id == 0x0012
    banks = PcrBanks(("sha256", "sm3_256"))
    assert banks.read(23, "sm3_256") == bytes(32)
    with pytest.raises(UnsupportedAlgorithmError) as info:
        banks.extend(23, bytes(32), "sm3_256")
    assert info.value.alg_id == 0x0012


def test_sm3_signature_without_sm3_is_an_unsupported_scheme_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    vtpm = VirtualTpm(seed=4, ak="rsa")
    q = vtpm.quote(PcrSelection.of({"sha256": [0]}), b"n")
    claimed_sm3 = Signature(TPM_ALG_RSASSA, SM3_256, rsa=q.sig.rsa)
    monkeypatch.setattr(alg_module, "_SM3", False)
    assert verify_quote(q.message, q.signature, q.pcrs, b"n", vtpm.ak_public).passed  # SHA-256 only
    result = verify_quote(q.message, claimed_sm3, q.pcrs, b"n", vtpm.ak_public)
    assert result.reasons == ("unsupported-signature-scheme",)
    assert verify_quote(q.message, claimed_sm3.to_bytes(), q.pcrs, b"n", vtpm.ak_public).reasons == (
        "unsupported-signature-scheme",
    )


@pytest.mark.skipif(not alg_module._SM3, reason="this OpenSSL build has no SM3")
def test_sm3_bank_extend_matches_hashlib() -> None:
    banks = PcrBanks(("sm3_256",))
    digest = hashlib.new("sm3", b"event").digest()
    new = banks.extend(23, digest, "sm3_256")
    assert new == hashlib.new("sm3", bytes(32) + digest).digest()
    assert banks.extend_data(23, b"event") == {"sm3_256": hashlib.new("sm3", new + digest).digest()}
    assert hash_alg(0x0012).digest(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"  # GB/T 32905-2016 A.1
    )
