"""verify_quote keeps no state between calls: verdicts depend only on the inputs, however they are
built (PcrValues, a fresh PcrValues read from a PCR file, a mapping), and inputs are not mutated."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tpm import _fixtures
from tlkit.tpm import (
    PcrSelection,
    PcrValues,
    VirtualTpm,
    read_pcrs,
    verify_quote,
    write_pcrs_serialized,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEL = PcrSelection.of({"sha256": [0, 1, 7], "sha1": [0, 23]})
NONCE = b"stateless nonce"
_VTPM = VirtualTpm(seed=11, ak="rsa")
_VTPM.pcrs.extend_data(7, b"secure boot on")
_Q = _VTPM.quote(SEL, NONCE)
_KEY = _VTPM.ak_public.to_cryptography()
_WIRE = SEL.to_bytes()


def _fresh(values: PcrValues) -> PcrValues:
    """The same PCR values as a new object with a new selection, as read from a quote's PCR file."""
    return read_pcrs(write_pcrs_serialized(values))


def test_verification_leaves_the_inputs_untouched() -> None:
    pcrs = _fresh(_Q.pcrs)
    before = (dict(vars(pcrs)), dict(vars(pcrs.selection)))
    assert verify_quote(_Q.message, _Q.signature, pcrs, NONCE, _KEY).passed
    assert (dict(vars(pcrs)), dict(vars(pcrs.selection))) == before  # no memo, no remembered wire


def test_equal_selection_with_other_size_of_select_still_verifies() -> None:
    """A selection equal to the quoted one but encoded with sizeofSelect 4 is the same selection."""
    wide = PcrSelection(SEL.items(), (4, 4))
    assert wide == SEL
    assert wide.to_bytes() != _WIRE
    values = PcrValues(PcrSelection.from_bytes(wide.to_bytes()), _Q.pcrs.values)
    result = verify_quote(_Q.message, _Q.signature, values, NONCE, _KEY)
    assert result.passed, result.reasons


def test_lying_pcr_values_fail_however_given() -> None:
    lie = list(_Q.pcrs.values)
    lie[2] = bytes(32)
    lying = PcrValues(_Q.pcrs.selection, tuple(lie))
    for pcrs in (lying, _fresh(lying), lying.as_dict()):
        for _ in range(2):
            result = verify_quote(_Q.message, _Q.signature, pcrs, NONCE, _KEY)
            assert result.reasons == ("pcr-digest-mismatch",)
            assert result.pcr_digest == hashlib.sha256(b"".join(lie)).digest()


def test_digest_is_the_hash_of_the_concatenated_values() -> None:
    pcrs = _fresh(_Q.pcrs)
    assert pcrs.digest("sha256") == hashlib.sha256(b"".join(pcrs.values)).digest()
    assert pcrs.digest("sha1") == hashlib.sha1(b"".join(pcrs.values)).digest()
    assert pcrs.digest("sha256") == pcrs.digest(0x000B)
    assert pcrs == _Q.pcrs


def test_keys_in_every_form_give_the_same_verdicts() -> None:
    pem = _VTPM.ak_pem
    other = VirtualTpm(seed=12, ak="rsa").ak_pem
    assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, pem).passed
    assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, other).reasons == ("signature-invalid",)
    assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, pem.decode()).passed
    assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, _VTPM.ak_public.to_tpm2b()).passed
    assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, _VTPM.ak_public).passed


@pytest.mark.parametrize("q", _fixtures.all_quotes(), ids=lambda q: q.name)
def test_real_quotes_verify_twice_alike(q: _fixtures.RealQuote) -> None:
    values = PcrValues.from_dict(q.pcrs)
    first = verify_quote(q.message, q.signature, values, q.nonce, q.ak)
    second = verify_quote(q.message, q.signature, values, q.nonce, q.ak)
    assert first.passed, (q.name, first.reasons)
    assert second == first


@SETTINGS
@given(data=st.data())
def test_every_form_of_pcr_values_gives_the_same_verdict(data: st.DataObject) -> None:
    buf = bytearray(_Q.message)
    for _ in range(data.draw(st.integers(0, 2))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] ^= data.draw(st.integers(1, 255))
    message = bytes(buf)
    known = PcrValues(PcrSelection.from_bytes(_WIRE), _Q.pcrs.values)
    verdicts = {
        verify_quote(message, _Q.signature, pcrs, NONCE, _KEY).reasons
        for pcrs in (known, _fresh(_Q.pcrs), _Q.pcrs.as_dict(), known)
    }
    assert len(verdicts) == 1, verdicts


def test_genuine_quote_over_an_unknown_bank_is_unsupported_pcr_bank() -> None:
    """A correctly signed quote whose selection names TPM_ALG_SHA3_256 (0x0027), a bank tlkit does
    not know: not "not-a-quote" but "unsupported-pcr-bank"."""
    vtpm = VirtualTpm(seed=5, ak="rsa")
    q = vtpm.quote(PcrSelection.of({"sha256": [0, 1]}), NONCE)
    sha256_bank = bytes.fromhex("00000001000b03030000")  # count 1, hash 0x000B, sizeofSelect 3, PCR 0-1
    assert sha256_bank in q.message
    message = q.message.replace(sha256_bank, bytes.fromhex("00000001002703030000"))
    signature = vtpm._sign(message)
    result = verify_quote(message, signature, q.pcrs, NONCE, vtpm.ak_public)
    assert result.reasons == ("unsupported-pcr-bank",)
    assert verify_quote(message[:-1], signature, q.pcrs, NONCE, vtpm.ak_public).reasons == (
        "signature-invalid",
        "not-a-quote",
    )
